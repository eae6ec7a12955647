"""Each hard rule excludes a household on its own and under its own name."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.domain import Child, Household
from matching.errors import NotFamilyFoundError
from matching.geo import haversine_km
from matching.pool import HouseholdPool
from matching.rules import HARD_RULES, UnitFeatures, hard_exclusions
from tests.matching.checker import failing_rules, make_child, make_household

AS_OF = date(2026, 6, 1)


def engine_failures(children: list[Child], household: Household) -> set[str]:
    pool = HouseholdPool.from_households([household])
    masks = hard_exclusions(UnitFeatures.from_children(children, AS_OF), pool)
    return {name for name, mask in masks.items() if mask[0]}


def test_rules_are_exactly_the_domain_table_in_order() -> None:
    assert list(HARD_RULES) == [
        "plan_kind",
        "connected_to_child",
        "status",
        "age_range",
        "capacity",
        "will_not_consider",
        "smoker_under_five",
        "requirement",
        "safeguarding_distance",
    ]


def test_baseline_pair_passes_every_rule() -> None:
    assert engine_failures([make_child()], make_household()) == set()


# (rule expected, child overrides, household overrides)
SINGLE_RULE_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("plan_kind", {}, {"kind": "adopter", "term": None}),
    ("plan_kind", {}, {"term": "short"}),
    ("plan_kind", {"plan": "kinship"}, {}),
    ("plan_kind", {"plan": "sgo"}, {}),
    ("plan_kind", {"plan": "ffa"}, {"kind": "adopter", "term": None}),
    ("plan_kind", {"plan": "residential"}, {}),
    (
        "plan_kind",
        {"plan": "residential"},
        {"kind": "connected", "term": None, "connected_child_ids": ("C1",)},
    ),
    ("connected_to_child", {}, {"kind": "connected", "term": None, "connected_child_ids": ("C9",)}),
    ("status", {}, {"status": "on_hold"}),
    ("status", {}, {"status": "in_assessment"}),
    ("age_range", {}, {"approved_max_age": 7}),
    ("age_range", {}, {"approved_min_age": 9}),
    ("age_range", {"date_of_birth": date(2026, 9, 1), "plan_date": None}, {"approved_min_age": 1}),
    ("capacity", {}, {"vacancies": 0}),
    ("will_not_consider", {"needs": {"autism": 1}}, {"will_not_consider": frozenset({"autism"})}),
    ("smoker_under_five", {"date_of_birth": date(2021, 6, 2)}, {"smoker": True}),
    ("smoker_under_five", {"requirements": frozenset({"no_smokers"})}, {"smoker": True}),
    ("requirement", {"requirements": frozenset({"no_pets"})}, {"pets": True}),
    (
        "requirement",
        {"requirements": frozenset({"no_younger_children"})},
        {"children_in_home_ages": (7,)},
    ),
    (
        "requirement",
        {"requirements": frozenset({"no_older_children"})},
        {"children_in_home_ages": (9,)},
    ),
    (
        "requirement",
        {"requirements": frozenset({"no_other_children"})},
        {"children_in_home_ages": (15,)},
    ),
    ("requirement", {"requirements": frozenset({"wheelchair_access"})}, {}),
    ("safeguarding_distance", {"min_distance_km": 30.0}, {}),
]


@pytest.mark.parametrize(("rule", "child_kw", "household_kw"), SINGLE_RULE_CASES)
def test_each_rule_excludes_alone_and_by_name(
    rule: str, child_kw: dict[str, Any], household_kw: dict[str, Any]
) -> None:
    child = make_child(**child_kw)
    household = make_household(**household_kw)
    assert engine_failures([child], household) == {rule}
    assert failing_rules([child], household, AS_OF) == {rule}


# Cases that look close to a rule but must pass it.
PASSING_CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"plan": "adoption"}, {"kind": "ffa", "term": None}),
    ({"plan": "adoption"}, {"kind": "adopter", "term": None}),
    ({}, {"term": "both"}),
    ({"plan": "residential"}, {"kind": "residential", "term": None}),
    ({"plan": "kinship"}, {"kind": "connected", "term": None, "connected_child_ids": ("C1",)}),
    ({}, {"kind": "connected", "term": None, "connected_child_ids": ("C1", "C7")}),
    ({"date_of_birth": date(2021, 6, 1)}, {"smoker": True}),  # five today
    ({"requirements": frozenset({"no_younger_children"})}, {"children_in_home_ages": (8, 12)}),
    ({"requirements": frozenset({"no_older_children"})}, {"children_in_home_ages": (3, 8)}),
    ({"requirements": frozenset({"wheelchair_access"})}, {"wheelchair_access": True}),
    ({"needs": {"autism": 2}}, {"will_not_consider": frozenset({"fire_setting"})}),
    ({"min_distance_km": 1.0}, {}),  # the household is ~1.3 km away
    ({"min_distance_km": 30.0, "home_lat": None, "home_lon": None}, {}),
]


@pytest.mark.parametrize(("child_kw", "household_kw"), PASSING_CASES)
def test_near_misses_pass(child_kw: dict[str, Any], household_kw: dict[str, Any]) -> None:
    child = make_child(**child_kw)
    household = make_household(**household_kw)
    assert engine_failures([child], household) == set()
    assert failing_rules([child], household, AS_OF) == set()


def test_capacity_counts_places_and_largest_group_too() -> None:
    pair = [make_child(child_id="C1"), make_child(child_id="C2")]
    assert engine_failures(pair, make_household(approved_places=1, vacancies=2)) == {"capacity"}
    assert engine_failures(pair, make_household(max_sibling_group=1)) == {"capacity"}
    assert engine_failures(pair, make_household()) == set()


def test_sibling_group_of_three_needs_three_of_everything_and_every_age() -> None:
    group = [
        make_child(child_id="C1", date_of_birth=date(2016, 3, 1)),  # 10
        make_child(child_id="C2", date_of_birth=date(2018, 7, 1)),  # 7
        make_child(child_id="C3", date_of_birth=date(2021, 1, 20)),  # 5
    ]
    roomy = {"approved_places": 3, "max_sibling_group": 3, "vacancies": 3}
    assert engine_failures(group, make_household(**roomy)) == set()
    for short in ("approved_places", "max_sibling_group", "vacancies"):
        assert engine_failures(group, make_household(**{**roomy, short: 2})) == {"capacity"}
    # the youngest sets the lower bound, the eldest the upper bound
    assert engine_failures(group, make_household(**roomy, approved_min_age=6)) == {"age_range"}
    assert engine_failures(group, make_household(**roomy, approved_max_age=9)) == {"age_range"}


def test_a_rule_holds_for_the_unit_only_when_it_holds_for_every_child() -> None:
    older = make_child(child_id="C1", requirements=frozenset({"no_younger_children"}))  # 8
    younger = make_child(child_id="C2", date_of_birth=date(2022, 1, 1))  # 4
    home = make_household(children_in_home_ages=(6,), smoker=True)
    assert engine_failures([older, younger], home) == {"requirement", "smoker_under_five"}
    # the connected household must be connected to both
    kin = make_household(kind="connected", term=None, connected_child_ids=("C1",))
    assert engine_failures([older, younger], kin) == {"connected_to_child"}
    kin_both = make_household(kind="connected", term=None, connected_child_ids=("C2", "C1"))
    assert engine_failures([older, younger], kin_both) == set()


def test_safeguarding_uses_great_circle_distance_per_child() -> None:
    near = make_household(lat=54.77, lon=-1.2)  # ~24 km east of the child's home
    child = make_child(min_distance_km=20.0)
    assert engine_failures([child], near) == set()
    assert engine_failures([make_child(min_distance_km=25.0)], near) == {"safeguarding_distance"}
    # a sibling without a safeguarding distance does not lift the rule for the unit
    sibling = make_child(child_id="C2")
    assert engine_failures([make_child(min_distance_km=25.0), sibling], near) == {
        "safeguarding_distance"
    }


@pytest.mark.parametrize("plan", ["return_home", "supported_living"])
def test_plan_not_family_found_is_an_error(plan: str) -> None:
    with pytest.raises(NotFamilyFoundError, match=plan):
        UnitFeatures.from_children([make_child(plan=plan)], AS_OF)


@settings(max_examples=200, deadline=None)
@given(
    home=st.tuples(st.floats(-89.9, 89.9), st.floats(-180, 180)),
    km=st.floats(0.5, 3000),
    places=st.lists(st.tuples(st.floats(-89.9, 89.9), st.floats(-180, 180)), max_size=40),
    near=st.lists(st.tuples(st.floats(-0.5, 0.5), st.floats(-0.5, 0.5)), max_size=40),
)
def test_safeguarding_distance_equals_the_haversine_over_the_whole_pool(
    home: tuple[float, float],
    km: float,
    places: list[tuple[float, float]],
    near: list[tuple[float, float]],
) -> None:
    # The rule looks only at a band around the child's home: it must exclude exactly the
    # households the plain great-circle distance excludes, poles and antimeridian too.
    points = places + [(max(-90.0, min(90.0, home[0] + a)), home[1] + b) for a, b in near]
    households = [
        make_household(household_id=f"H{i}", lat=lat, lon=((lon + 180) % 360) - 180)
        for i, (lat, lon) in enumerate(points)
    ]
    child = make_child(min_distance_km=km, home_lat=home[0], home_lon=home[1])
    pool = HouseholdPool.from_households(households)
    mask = HARD_RULES["safeguarding_distance"](UnitFeatures.from_children([child], AS_OF), pool)
    expected = [haversine_km(home[0], home[1], h.lat, h.lon) < km for h in households]
    assert mask.tolist() == expected
