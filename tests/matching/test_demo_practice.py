"""The demo authority (fixtures/demo) under the sibling and legal-status rules: a round
splits no pending sibling pair without a warning, holds only children with a
contradiction or a plan conflict, and no child with a placement order earns the
fostering-for-adoption points (issue 12, "Done when")."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from matching.csv_format import read_authority
from matching.domain import Authority
from matching.errors import ConflictError
from matching.feasibility import build_instance
from matching.legal_status import has_placement_order
from matching.rounds import RoundParams, solve_round
from matching.shortlist import MatchingContext, shortlist
from tests.matching.round_checker import check_round, practice_problems

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
AS_OF = date(2026, 11, 1)  # the date the demo was generated for
ALLOCATE = RoundParams(mode="allocate", time_limit_s=20.0)


@pytest.fixture(scope="module")
def demo() -> Authority:
    with (
        (DEMO / "children.csv").open("rb") as children,
        (DEMO / "households.csv").open("rb") as households,
        (DEMO / "sibling_links.csv").open("rb") as links,
    ):
        return read_authority(children, households, links, as_of=AS_OF)


def test_the_demo_round_keeps_the_sibling_practice_rules(demo: Authority) -> None:
    built = build_instance(demo, as_of=AS_OF)
    result = solve_round(built.instance, ALLOCATE)
    check_round(built.instance, result, ALLOCATE)
    assert practice_problems(demo, built, result) == []
    assert built.practice is not None
    pending = [link for link in demo.links if link.assessment == "pending"]
    assert pending  # the demo has pending assessments to keep


def test_no_ffa_points_for_a_child_with_a_placement_order(demo: Authority) -> None:
    context = MatchingContext.prepare(demo)
    with_order = [
        c
        for c in demo.children
        if c.status == "waiting" and c.plan in ("adoption", "ffa") and has_placement_order(c)
    ]
    assert with_order
    babies = 0
    for child in with_order:
        unit = context.unit_by_child[child.child_id]
        if any(not has_placement_order(demo.child(c)) for c in unit):
            continue  # a sibling without an order may still bring the duty
        try:
            result = shortlist(context, child.child_id, as_of=AS_OF, top=None)
        except ConflictError:  # held for a decision: nothing scored
            continue
        babies += child.age_on(AS_OF) < 2
        for candidate in result.candidates:
            assert "ffa_duty" not in {x.criterion for x in candidate.contributions}
    assert babies  # babies the duty would otherwise have scored
