"""The practice cases of the tiny authority (fixtures/tiny/practice, its README's table)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from matching.clocks import priority_days
from matching.csv_format import read_authority
from matching.domain import Authority
from matching.errors import ConflictError
from matching.feasibility import build_instance
from matching.gaps import gap_report
from matching.rounds import RoundParams, solve_round
from matching.shortlist import shortlist
from tests.matching.round_checker import check_round, practice_problems

PRACTICE = Path(__file__).resolve().parents[2] / "fixtures" / "tiny" / "practice"
AS_OF = date(2026, 6, 1)
ALLOCATE = RoundParams(mode="allocate", time_limit_s=10.0)


@pytest.fixture(scope="module")
def tiny() -> Authority:
    with (
        (PRACTICE / "children.csv").open("rb") as children,
        (PRACTICE / "households.csv").open("rb") as households,
        (PRACTICE / "sibling_links.csv").open("rb") as links,
    ):
        return read_authority(children, households, links, as_of=AS_OF)


def test_the_round_of_the_worked_example(tiny: Authority) -> None:
    built = build_instance(tiny, as_of=AS_OF)
    result = solve_round(built.instance, ALLOCATE)
    check_round(built.instance, result, ALLOCATE)
    assert practice_problems(tiny, built, result) == []
    placed = {
        unit.children: built.instance.households[pairs[0][0]].household_id
        for unit, pairs in zip(built.instance.units, result.assignments, strict=True)
        if pairs
    }
    assert placed == {
        ("C001", "C002", "C003"): "H001",
        ("C004",): "H003",
        ("C005",): "H002",
        ("C006",): "H005",
        ("C007", "C008"): "H007",
        ("C012",): "H008",
        ("C014",): "H009",
    }
    assert result.children_placed == 10
    practice = built.practice
    assert practice is not None
    assert [w.code for w in practice.warnings_of(["C007", "C008"])] == ["pending_assessment"]
    assert [w.code for w in practice.warnings_of(["C012"])] == ["sibling_reunification"]
    assert [(h.children, h.code) for h in practice.held] == [
        (("C009", "C010", "C011"), "sibling_contradiction")
    ]


def test_the_contradiction_refuses_a_shortlist_and_only_for_those_children(
    tiny: Authority,
) -> None:
    for child in ("C009", "C010", "C011"):
        with pytest.raises(ConflictError, match="assessed apart"):
            shortlist(tiny, child, as_of=AS_OF)
    assert shortlist(tiny, "C005", as_of=AS_OF).candidates[0].household_id == "H002"


def test_hal_is_matched_first_to_the_days_and_his_wait_is_not_reset(tiny: Authority) -> None:
    result = shortlist(tiny, "C012", as_of=AS_OF, top=None)
    assert {c.household_id for c in result.candidates} >= {"H004", "H007", "H008"}
    (warning,) = result.warnings
    assert warning.code == "sibling_reunification" and "H008" in warning.message
    assert priority_days(tiny.child("C012"), AS_OF) == 507  # since entering care


def test_a_baby_with_a_placement_order_gets_no_ffa_points(tiny: Authority) -> None:
    result = shortlist(tiny, "C014", as_of=AS_OF, top=None)
    assert {c.household_id for c in result.candidates} == {"H003", "H009"}
    for candidate in result.candidates:
        assert "ffa_duty" not in {x.criterion for x in candidate.contributions}
    # the unborn baby on an ffa plan, with no order, still has the duty
    unborn = shortlist(tiny, "C004", as_of=AS_OF)
    assert "ffa_duty" in {x.criterion for x in unborn.candidates[0].contributions}


def test_the_gap_report_counts_the_held_children_out_and_says_so(tiny: Authority) -> None:
    report = gap_report(tiny, as_of=AS_OF, suppress=False)
    assert (report.children_waiting, report.children_placeable) == (10, 10)
    assert any(note.startswith("3 waiting children are not counted") for note in report.notes)
