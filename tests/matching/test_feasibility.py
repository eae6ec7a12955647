"""The round instance: feasible pairs, unit priorities, sibling pairs, per-unit counts."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from matching.csv_format import read_authority
from matching.domain import Authority, SiblingLink
from matching.feasibility import build_instance, excluded_counts_for_unit, unit_priority
from matching.policy import Policy, default_policy_text, load_policy
from matching.pool import HouseholdPool
from matching.shortlist import shortlist
from matching.synthetic import generate_authority
from tests.matching.checker import failing_rules, make_child, make_household

AS_OF = date(2026, 6, 1)
# The hand-worked authority from shared/examples/tiny, kept in the repo.
TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny"


def tiny() -> Authority:
    with (
        (TINY / "children.csv").open("rb") as children,
        (TINY / "households.csv").open("rb") as households,
        (TINY / "sibling_links.csv").open("rb") as links,
    ):
        return read_authority(children, households, links, as_of=AS_OF)


def pairs(a: Authority, policy: Policy | None = None) -> set[tuple[tuple[str, ...], str]]:
    instance = build_instance(a, as_of=AS_OF, policy=policy).instance
    return {
        (instance.units[u].children, instance.households[h].household_id)
        for u, h in zip(instance.pair_unit.tolist(), instance.pair_household.tolist(), strict=True)
    }


def test_tiny_instance() -> None:
    result = build_instance(tiny(), as_of=AS_OF)
    instance = result.instance
    assert [u.children for u in instance.units] == [
        ("C001", "C002", "C003"),
        ("C004",),
        ("C005",),
        ("C006",),
        ("C011",),
        ("C012",),
    ]
    assert [h.household_id for h in instance.households] == [
        *(f"H00{i}" for i in range(1, 7)),
        *(f"H01{i}" for i in range(1, 6)),
    ]
    assert pairs(tiny()) == {
        (("C001", "C002", "C003"), "H001"),
        (("C004",), "H003"),
        (("C005",), "H002"),
        (("C006",), "H005"),
        *((("C011",), h) for h in ("H003", "H011", "H012")),
        *((("C012",), h) for h in ("H001", "H004", "H013", "H014", "H015")),
    }
    # Dee and Eli are half-siblings assessed apart, in different units
    assert instance.apart_units == ((2, 3),)
    assert instance.sibling_contact_units == ((2, 3),)
    assert result.excluded_counts[2]["safeguarding_distance"] == 4
    assert result.skipped_units == ()
    for score in instance.pair_score:
        assert 0 <= score <= 100


def test_per_unit_counts_match_the_shortlist() -> None:
    a = tiny()
    result = build_instance(a, as_of=AS_OF)
    pool = HouseholdPool.from_households(a.households)
    for unit, counts in zip(result.instance.units, result.excluded_counts, strict=True):
        assert counts == shortlist(a, unit.children[0], as_of=AS_OF).excluded_counts
        kids = [a.child(c) for c in unit.children]
        assert counts == excluded_counts_for_unit(kids, pool, AS_OF)


def test_units_not_waiting_or_not_family_found_are_skipped() -> None:
    a = Authority(
        children=(
            make_child(child_id="C1"),
            make_child(child_id="C2", status="placed"),
            make_child(child_id="C3"),
            make_child(child_id="C4", plan="return_home"),
            make_child(child_id="C5"),
        ),
        households=(make_household(),),
        links=(
            SiblingLink("C1", "C2", "full", "together"),
            SiblingLink("C3", "C4", "half", "pending"),
            SiblingLink("C3", "C5", "half", "apart"),
        ),
    )
    result = build_instance(a, as_of=AS_OF)
    # C1 waits to join C2, who is placed (where is not recorded): C1 is still matched,
    # never silently dropped with its placed sister's unit (issue 12)
    assert [u.children for u in result.instance.units] == [("C1",), ("C3",), ("C5",)]
    assert result.skipped_units == (("C2",), ("C4",))
    assert result.instance.apart_units == ((1, 2),)
    assert result.instance.sibling_contact_units == ((1, 2),)
    assert pairs(a) == {(("C1",), "H1"), (("C3",), "H1"), (("C5",), "H1")}


def test_pending_link_across_units_asks_for_contact_not_apart() -> None:
    # no household takes two: matched separately, with contact and no apart pair
    a = Authority(
        children=(make_child(child_id="C1"), make_child(child_id="C2")),
        households=(make_household(vacancies=1),),
        links=(SiblingLink("C1", "C2", "step", "pending"),),
    )
    result = build_instance(a, as_of=AS_OF)
    instance = result.instance
    assert [u.children for u in instance.units] == [("C1",), ("C2",)]
    assert instance.apart_units == ()
    assert instance.sibling_contact_units == ((0, 1),)
    assert result.practice is not None
    (warning,) = result.practice.warnings_of(["C1"])
    assert warning.code == "pending_assessment"
    assert "no household in the pool can take them together" in warning.message


def test_pending_siblings_are_one_unit_where_a_household_can_take_them() -> None:
    a = Authority(
        children=(make_child(child_id="C1"), make_child(child_id="C2")),
        households=(make_household(),),
        links=(SiblingLink("C1", "C2", "step", "pending"),),
    )
    result = build_instance(a, as_of=AS_OF)
    assert [u.children for u in result.instance.units] == [("C1", "C2")]
    assert result.practice is not None
    (warning,) = result.practice.warnings_of(["C1", "C2"])
    assert warning.code == "pending_assessment"
    assert "searched as one unit" in warning.message


def test_min_round_score_drops_weak_pairs() -> None:
    a = Authority(
        children=(make_child(),),
        households=(
            make_household(household_id="HA"),
            make_household(
                household_id="HB",
                provider="private",
                lat=51.5,
                lon=-0.1,
                children_in_home_ages=(8,),
            ),
        ),
    )
    scores = {c.household_id: c.score for c in shortlist(a, "C1", as_of=AS_OF).candidates}
    threshold = (scores["HA"] + scores["HB"]) / 2
    strict = load_policy(
        default_policy_text().replace("min_round_score = 0.0", f"min_round_score = {threshold}")
    )
    assert pairs(a) == {(("C1",), "HA"), (("C1",), "HB")}
    assert pairs(a, policy=strict) == {(("C1",), "HA")}


def test_priority_grows_with_waiting_against_the_scorecard_thresholds() -> None:
    policy = load_policy()

    def waited(days: int, **kw: object) -> float:
        child = make_child(plan_date=AS_OF - timedelta(days=days), **kw)
        return unit_priority([child], AS_OF, policy)

    assert waited(0) == 1.0
    assert waited(121) == pytest.approx(2.0)
    assert waited(426) == pytest.approx(4.0)
    assert waited(426 + 365) == pytest.approx(5.0)
    assert waited(10_000) == 6.0  # capped
    values = [waited(d) for d in range(0, 1200, 30)]
    assert values == sorted(values)
    # no plan date: time since entering care; the longest-waiting child sets the unit
    in_care = make_child(plan_date=None, entered_care_on=AS_OF - timedelta(days=121))
    assert unit_priority([in_care], AS_OF, policy) == pytest.approx(2.0)
    newer = make_child(child_id="C2", plan_date=AS_OF)
    assert unit_priority([newer, in_care], AS_OF, policy) == pytest.approx(2.0)
    unborn = make_child(date_of_birth=AS_OF + timedelta(days=30), plan_date=None)
    assert unit_priority([unborn], AS_OF, policy) == 1.0


def test_synthetic_instance_agrees_with_the_checker() -> None:
    # (how fast it is built is measured in benchmarks/, not asserted: issue #13)
    a = generate_authority(400, 600, seed=3, as_of=AS_OF)
    result = build_instance(a, as_of=AS_OF)
    instance = result.instance
    assert instance.n_pairs > 0
    got = set(zip(instance.pair_unit.tolist(), instance.pair_household.tolist(), strict=True))
    # every pair passes the checker, and a sample of units has exactly the checker's pairs
    for u, h in list(got)[:300]:
        kids = [a.child(c) for c in instance.units[u].children]
        assert not failing_rules(kids, a.households[h], AS_OF)
    for u in range(0, len(instance.units), max(1, len(instance.units) // 15)):
        kids = [a.child(c) for c in instance.units[u].children]
        expected = {h for h, hh in enumerate(a.households) if not failing_rules(kids, hh, AS_OF)}
        assert {h for uu, h in got if uu == u} == expected
