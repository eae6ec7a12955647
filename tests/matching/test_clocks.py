"""The waiting clocks: the adoption scorecard's A1 and A2, and the round's honest clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from matching.clocks import clocks_of, priority_days
from matching.feasibility import unit_priority
from matching.policy import load_policy
from tests.matching.checker import make_child

AS_OF = date(2026, 6, 1)


def test_adoption_plan_measures_a1_from_care_and_a2_from_the_placement_order() -> None:
    child = make_child(
        plan="adoption",
        entered_care_on=AS_OF - timedelta(days=500),
        placement_order_on=AS_OF - timedelta(days=130),
        plan_date=AS_OF - timedelta(days=10),
    )
    clocks = clocks_of(child, AS_OF)
    assert clocks.scorecard
    assert clocks.shown == 500  # A1, not the re-dated plan's 10 days
    assert clocks.over() == [
        "A1: over 426 days since entering care",
        "A2: over 121 days since the placement order",
    ]
    assert any("scorecard A2" in line for line in clocks.describe())


def test_other_plans_show_days_since_the_plan_with_no_scorecard_label() -> None:
    child = make_child(
        plan="long_term_foster",
        entered_care_on=AS_OF - timedelta(days=900),
        plan_date=AS_OF - timedelta(days=200),
    )
    clocks = clocks_of(child, AS_OF)
    assert not clocks.scorecard
    assert clocks.shown == 200
    assert clocks.over() == []
    assert clocks.describe() == ["200 days since the plan was made"]
    assert not any("scorecard" in line or "121" in line for line in clocks.describe())


def test_an_adoption_plan_without_a_placement_order_has_no_a2_clock() -> None:
    child = make_child(plan="adoption", entered_care_on=AS_OF - timedelta(days=50))
    clocks = clocks_of(child, AS_OF)
    assert clocks.since_placement_order is None
    assert "the A2 clock has not started" in " ".join(clocks.describe())


def test_re_dating_a_plan_does_not_reset_the_round_priority() -> None:
    policy = load_policy()
    before = make_child(
        entered_care_on=AS_OF - timedelta(days=600), plan_date=AS_OF - timedelta(days=400)
    )
    re_dated = make_child(entered_care_on=AS_OF - timedelta(days=600), plan_date=AS_OF)
    assert priority_days(re_dated, AS_OF) == 600
    assert unit_priority([re_dated], AS_OF, policy) == unit_priority([before], AS_OF, policy)
    assert unit_priority([re_dated], AS_OF, policy) > unit_priority(
        [make_child(plan_date=AS_OF, entered_care_on=None)], AS_OF, policy
    )


def test_an_unborn_child_has_no_clock() -> None:
    unborn = make_child(date_of_birth=AS_OF + timedelta(days=20), plan_date=None)
    assert priority_days(unborn, AS_OF) == 0
    assert clocks_of(unborn, AS_OF).shown is None


@pytest.mark.parametrize("days", [0, 30, 121, 426, 800])
def test_the_longest_clock_is_never_shorter_than_any_clock(days: int) -> None:
    child = make_child(
        plan="adoption",
        entered_care_on=AS_OF - timedelta(days=days),
        placement_order_on=AS_OF - timedelta(days=days // 2),
        plan_date=AS_OF - timedelta(days=days // 3),
    )
    clocks = clocks_of(child, AS_OF)
    assert clocks.longest == days
