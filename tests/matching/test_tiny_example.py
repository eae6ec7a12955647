"""The hand-worked tiny authority (shared/examples/tiny): the hard-rule table, cell by cell."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from matching.csv_format import read_authority
from matching.domain import Authority
from matching.feasibility import build_instance
from matching.rounds import RoundParams, solve_round
from matching.shortlist import MatchingContext, ShortlistResult, shortlist
from tests.matching.checker import failing_rules
from tests.matching.round_checker import check_round

# The hand-worked authority from shared/examples/tiny, kept in the repo.
TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny"
AS_OF = date(2026, 6, 1)

UNITS = {
    "Ava+Ben+Cal": ("C001", "C002", "C003"),
    "C004 (unborn)": ("C004",),
    "Dee": ("C005",),
    "Eli": ("C006",),
    "Fay": ("C011",),
    "Gus": ("C012",),
}
HOUSEHOLDS = (
    "H001", "H002", "H003", "H004", "H005", "H006", "H011", "H012", "H013", "H014", "H015",
)  # fmt: skip

# Transcribed from shared/examples/tiny/README.md ("—" = feasible).
EXPECTED: dict[str, tuple[str, ...]] = {
    "Ava+Ben+Cal": (
        "—",
        "age_range, capacity",
        "plan_kind, age_range, capacity",
        "capacity",
        "connected_to_child, capacity",
        "plan_kind, status, age_range, capacity",
        "connected_to_child, capacity",
        "plan_kind, age_range, capacity",
        "age_range, capacity",
        "capacity",
        "capacity",
    ),
    "C004 (unborn)": (
        "plan_kind",
        "plan_kind, age_range",
        "—",
        "plan_kind, smoker_under_five",
        "connected_to_child",
        "plan_kind, status",
        "connected_to_child",
        "plan_kind",
        "plan_kind",
        "plan_kind",
        "plan_kind",
    ),
    "Dee": (
        "age_range, will_not_consider, safeguarding_distance",
        "—",
        "plan_kind, age_range, safeguarding_distance",
        "requirement, safeguarding_distance",
        "connected_to_child, safeguarding_distance",
        "plan_kind, status, age_range",
        "connected_to_child",
        "plan_kind, age_range",
        "age_range",
        "requirement",
        "requirement",
    ),
    "Eli": (
        "plan_kind",
        "plan_kind, age_range",
        "plan_kind, age_range",
        "plan_kind",
        "—",
        "plan_kind, status, age_range",
        "connected_to_child",
        "plan_kind, age_range",
        "plan_kind",
        "plan_kind",
        "plan_kind",
    ),
    "Fay": (
        "plan_kind",
        "plan_kind, age_range",
        "—",
        "plan_kind, smoker_under_five",
        "connected_to_child",
        "status",
        "—",
        "—",
        "plan_kind",
        "plan_kind",
        "plan_kind",
    ),
    "Gus": (
        "—",
        "age_range",
        "plan_kind, age_range",
        "—",
        "connected_to_child",
        "plan_kind, status, age_range",
        "connected_to_child",
        "plan_kind, age_range",
        "—",
        "—",
        "—",
    ),
}


def _cell(text: str) -> set[str]:
    return set() if text == "—" else {part.strip() for part in text.split(",")}


@pytest.fixture(scope="module")
def tiny() -> Authority:
    with (
        (TINY / "children.csv").open("rb") as children,
        (TINY / "households.csv").open("rb") as households,
        (TINY / "sibling_links.csv").open("rb") as links,
    ):
        return read_authority(children, households, links, as_of=AS_OF)


def test_transcription_matches_the_readme_table() -> None:
    rows = [
        line
        for line in (TINY / "README.md").read_text().splitlines()
        if line.startswith("| ") and line.split("|")[1].strip() in UNITS
    ]
    assert len(rows) == len(UNITS)
    for row in rows:
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        assert tuple(cells[1:]) == EXPECTED[cells[0]]


@pytest.mark.parametrize("label", list(UNITS))
def test_hard_rule_table_cell_by_cell(tiny: Authority, label: str) -> None:
    context = MatchingContext.prepare(tiny)
    unit = UNITS[label]
    assert context.unit_by_child[unit[0]] == unit
    for household_id, expected in zip(HOUSEHOLDS, EXPECTED[label], strict=True):
        result = shortlist(context, unit[0], as_of=AS_OF, why_not=household_id)
        assert result.why_not is not None
        assert set(result.why_not.rules) == _cell(expected), (label, household_id)
        children = [tiny.child(c) for c in unit]
        household = next(h for h in tiny.households if h.household_id == household_id)
        assert failing_rules(children, household, AS_OF) == _cell(expected), (label, household_id)


def test_each_unit_shortlists_exactly_its_feasible_household(tiny: Authority) -> None:
    context = MatchingContext.prepare(tiny)
    for label, unit in UNITS.items():
        result = shortlist(context, unit[-1], as_of=AS_OF)
        feasible = [h for h, cell in zip(HOUSEHOLDS, EXPECTED[label], strict=True) if cell == "—"]
        assert sorted(c.household_id for c in result.candidates) == feasible
        assert result.unit == unit


def test_kinship_puts_aunt_jo_first_for_eli(tiny: Authority) -> None:
    result = shortlist(tiny, "C006", as_of=AS_OF)
    first = result.candidates[0]
    assert (first.household_id, first.kinship, first.rank) == ("H005", True, 1)


def test_excluded_counts_for_dee(tiny: Authority) -> None:
    result = shortlist(tiny, "C005", as_of=AS_OF)
    assert result.excluded_counts == {
        "plan_kind": 3,
        "connected_to_child": 2,
        "status": 1,
        "age_range": 5,
        "capacity": 0,
        "will_not_consider": 1,
        "smoker_under_five": 0,
        "requirement": 3,
        "safeguarding_distance": 4,
    }


def _order(result: ShortlistResult) -> list[tuple[str, float]]:
    return [(c.household_id, round(c.score, 1)) for c in result.candidates]


def test_fays_grandparents_come_first_with_their_questions(tiny: Authority) -> None:
    # README: kinship first though the Lees and the Quinns score higher; the age range
    # and the smoking are questions for connected persons, not exclusions
    result = shortlist(tiny, "C011", as_of=AS_OF)
    assert _order(result) == [("H011", 42.8), ("H003", 90.9), ("H012", 74.8)]
    codes = [w.code for w in result.candidates[0].warnings]
    assert codes == ["kinship_age_range", "kinship_smoker"]


def test_gus_needs_first_then_permanence_then_score(tiny: Authority) -> None:
    result = shortlist(tiny, "C012", as_of=AS_OF)
    assert _order(result) == [
        ("H015", 57.3),
        ("H013", 83.3),
        ("H014", 86.9),
        ("H004", 54.0),
        ("H001", 51.5),
    ]
    ings = result.candidates[1]
    assert [w.message for w in ings.warnings] == [
        "Approved to age 8; the child is 8: discuss re-approval before a long-term match."
    ]


def test_the_round_gives_every_unit_the_readme_household(tiny: Authority) -> None:
    feasibility = build_instance(tiny, as_of=AS_OF)
    params = RoundParams(mode="allocate", time_limit_s=5)
    result = solve_round(feasibility.instance, params)
    check_round(feasibility.instance, result, params)
    homes = {
        unit.children: feasibility.instance.households[result.assignments[u][0][0]].household_id
        for u, unit in enumerate(feasibility.instance.units)
    }
    assert homes == {
        UNITS["Ava+Ben+Cal"]: "H001",
        UNITS["C004 (unborn)"]: "H003",
        UNITS["Dee"]: "H002",
        UNITS["Eli"]: "H005",
        UNITS["Fay"]: "H011",
        UNITS["Gus"]: "H015",
    }
    assert result.children_placed == 8
