"""The typed feasibility pass finds exactly the engine's feasible pairs, and the report
computed on it equals the per-pair report."""

from __future__ import annotations

from datetime import date

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.domain import Authority, SiblingLink
from matching.feasibility import build_instance
from matching.gaps.grouped_feasibility import FeasibleGroups as TypedFeasibility
from matching.gaps.grouped_feasibility import feasible_groups as typed_feasibility
from matching.gaps.placeable import max_children_placed as typed_max_children_placed
from matching.gaps.report import GapReport, gap_report
from matching.gaps.targets import parse_add_spec
from matching.instance import MatchingInstance
from matching.policy import default_policy
from matching.rounds import RoundParams, solve_round
from matching.synthetic import generate_authority
from tests.matching.placeable_oracle import max_children_placed
from tests.matching.test_gaps_report import hall_authority, make_child, make_household

AS_OF = date(2026, 6, 1)


def assert_same_instance(ours: MatchingInstance, theirs: MatchingInstance) -> None:
    assert ours.units == theirs.units
    assert ours.households == theirs.households
    assert np.array_equal(ours.pair_unit, theirs.pair_unit)
    assert np.array_equal(ours.pair_household, theirs.pair_household)
    assert ours.apart_units == theirs.apart_units
    assert ours.sibling_contact_units == theirs.sibling_contact_units


def typed_and_pairs(authority: Authority) -> tuple[MatchingInstance, MatchingInstance]:
    policy = default_policy()
    typed = typed_feasibility(authority, as_of=AS_OF, policy=policy).instance()
    return typed, build_instance(authority, as_of=AS_OF, policy=policy).instance


@settings(max_examples=25, deadline=None)
@given(
    n_children=st.integers(1, 160),
    n_households=st.integers(0, 160),
    seed=st.integers(0, 10_000),
)
def test_typed_pairs_equal_the_engine_on_random_authorities(
    n_children: int, n_households: int, seed: int
) -> None:
    authority = generate_authority(n_children, n_households, seed=seed, as_of=AS_OF)
    assert_same_instance(*typed_and_pairs(authority))


def test_distance_separates_households_that_differ_only_by_location() -> None:
    # Both households pass every other rule; only the far one keeps the child safe.
    child = make_child("C001", min_distance_km=20.0, home_lat=54.77, home_lon=-1.57)
    other = make_child("C002")
    near = make_household("H001", lat=54.78, lon=-1.56)
    far = make_household("H002", lat=55.95, lon=-3.19)
    authority = Authority((child, other), (near, far), ())
    typed, pairs = typed_and_pairs(authority)
    assert_same_instance(typed, pairs)
    feasible = {
        (typed.units[u].children, typed.households[h].household_id)
        for u, h in zip(typed.pair_unit.tolist(), typed.pair_household.tolist(), strict=True)
    }
    assert (("C001",), "H001") not in feasible
    assert (("C001",), "H002") in feasible
    assert (("C002",), "H001") in feasible


def test_connected_household_serves_only_the_siblings_it_knows() -> None:
    a = make_child("C001", plan="kinship")
    b = make_child("C002", plan="kinship")
    c = make_child("C003", plan="kinship")
    links = (SiblingLink("C001", "C002", "full", "together"),)
    aunt = make_household(
        "H001",
        kind="connected",
        term=None,
        approved_places=2,
        max_sibling_group=2,
        vacancies=2,
        connected_child_ids=("C001", "C002"),
    )
    only_one = make_household(
        "H002",
        kind="connected",
        term=None,
        approved_places=2,
        max_sibling_group=2,
        vacancies=2,
        connected_child_ids=("C001", "C003"),
    )
    authority = Authority((a, b, c), (aunt, only_one), links)
    typed, pairs = typed_and_pairs(authority)
    assert_same_instance(typed, pairs)
    feasible = {
        (typed.units[u].children, typed.households[h].household_id)
        for u, h in zip(typed.pair_unit.tolist(), typed.pair_household.tolist(), strict=True)
    }
    assert feasible == {(("C001", "C002"), "H001"), (("C003",), "H002")}


def test_interchangeable_units_and_households_share_one_type() -> None:
    # Locations and names differ, nothing a rule reads does: one type each, one group.
    children = tuple(
        make_child(f"C{i:03d}", first_name=f"N{i}", home_lat=54.0 + i / 100) for i in range(30)
    )
    households = tuple(
        make_household(f"H{i:03d}", lat=54.5 + i / 100, lon=-1.5 - i / 100) for i in range(50)
    )
    authority = Authority(children, households, ())
    types = typed_feasibility(authority, as_of=AS_OF, policy=default_policy())
    assert (types.n_unit_types, types.n_household_types, types.n_groups) == (1, 1, 1)
    assert types.n_pairs() == 30 * 50
    assert_same_instance(*typed_and_pairs(authority))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_typed_report_equals_the_per_pair_report(seed: int) -> None:
    authority = generate_authority(300, 400, seed=seed, as_of=AS_OF)
    typed = gap_report(authority, as_of=AS_OF, suppress=False, method="typed")
    pairs = gap_report(authority, as_of=AS_OF, suppress=False, method="pairs")
    assert typed.children_placeable == pairs.children_placeable
    assert typed.children_unplaceable == pairs.children_unplaceable
    assert typed.units_unplaceable == pairs.units_unplaceable
    assert typed.by_profile == pairs.by_profile
    assert typed.supply == pairs.supply
    assert "unit types" in typed.method["feasibility"]
    assert "build_instance" in pairs.method["feasibility"]


@pytest.mark.parametrize("seed", [3, 4])
def test_typed_instance_agrees_with_the_allocate_round(seed: int) -> None:
    authority = generate_authority(120, 160, seed=seed, as_of=AS_OF)
    report = gap_report(authority, as_of=AS_OF, suppress=False)
    instance = typed_feasibility(authority, as_of=AS_OF, policy=default_policy()).instance()
    theirs = solve_round(instance, RoundParams(mode="allocate", time_limit_s=20))
    assert report.placeability.exact and theirs.status == "OPTIMAL"
    assert report.children_placeable == theirs.children_placed


def test_a_minimum_round_score_falls_back_to_scored_pairs() -> None:
    authority = generate_authority(80, 100, seed=5, as_of=AS_OF)
    policy = default_policy().model_copy(update={"min_round_score": 40.0})
    report = gap_report(authority, as_of=AS_OF, policy=policy, suppress=False)
    assert "min_round_score 40" in report.method["feasibility"]
    scored = build_instance(authority, as_of=AS_OF, policy=policy).instance
    assert report.placeability.feasible_households.sum() == len(scored.pair_unit)
    with pytest.raises(ValueError, match="min_round_score"):
        gap_report(authority, as_of=AS_OF, policy=policy, method="typed")
    with pytest.raises(ValueError, match="unknown method"):
        gap_report(authority, as_of=AS_OF, method="fast")


def assert_valid_placement(types: TypedFeasibility, homes: np.ndarray) -> None:
    """Every placed unit is in a feasible household, within vacancies, apart kept apart."""
    instance = types.instance()
    feasible = set(zip(instance.pair_unit.tolist(), instance.pair_household.tolist(), strict=True))
    load = np.zeros(len(instance.households), dtype=np.int64)
    for u, h in enumerate(homes.tolist()):
        if h >= 0:
            assert (u, h) in feasible
            load[h] += instance.units[u].size
    assert all(load[i] <= max(h.vacancies, 0) for i, h in enumerate(instance.households))
    for a, b in instance.apart_units:
        assert homes[a] < 0 or homes[a] != homes[b]


def relaxation(instance: MatchingInstance) -> int:
    """Max-flow with sibling groups free to split: children -> households, networkx.

    A household with a limit of units (adopters, FfA carers) holds at most that many
    units, so at most the limit times its largest feasible unit's children."""
    graph = nx.DiGraph()
    largest = [0] * len(instance.households)
    for u, h in zip(instance.pair_unit.tolist(), instance.pair_household.tolist(), strict=True):
        largest[h] = max(largest[h], instance.units[u].size)
    for u, unit in enumerate(instance.units):
        graph.add_edge("s", ("u", u), capacity=unit.size)
    for h, household in enumerate(instance.households):
        room = max(household.vacancies, 0)
        if household.max_units is not None:
            room = min(room, household.max_units * largest[h])
        graph.add_edge(("h", h), "t", capacity=room)
    for u, h in zip(instance.pair_unit.tolist(), instance.pair_household.tolist(), strict=True):
        graph.add_edge(("u", u), ("h", h))
    if "s" not in graph or "t" not in graph:
        return 0
    return int(nx.maximum_flow_value(graph, "s", "t"))


@settings(max_examples=30, deadline=None)
@given(
    n_children=st.integers(1, 250),
    n_households=st.integers(0, 200),
    seed=st.integers(0, 10_000),
)
def test_typed_placeable_equals_the_pairs_path_on_random_authorities(
    n_children: int, n_households: int, seed: int
) -> None:
    authority = generate_authority(n_children, n_households, seed=seed, as_of=AS_OF)
    types = typed_feasibility(authority, as_of=AS_OF, policy=default_policy())
    pairs = max_children_placed(types.instance())
    typed = typed_max_children_placed(types)
    assert typed.children_placeable == pairs.children_placeable
    # (the oracle is another engine now: two optimal placements may leave out different
    # numbers of units for the same number of children)
    assert typed.exact == pairs.exact
    assert_valid_placement(types, typed.homes)
    assert np.array_equal(typed.feasible_households, pairs.feasible_households)
    # Never expanding the sibling components gives an honest bound pair around the answer.
    bounds = typed_max_children_placed(types, max_hard_pairs=0)
    assert bounds.children_placeable <= pairs.children_placeable <= bounds.upper_bound
    # an upper bound is never below the relaxation (a cut is at least the max-flow)
    if bounds.upper_bound > bounds.children_placeable:
        assert bounds.upper_bound >= relaxation(types.instance())
    assert bounds.exact == (bounds.children_placeable == bounds.upper_bound)
    if bounds.exact:
        assert bounds.children_placeable == pairs.children_placeable
    else:
        assert "lower bound" in bounds.method
    assert_valid_placement(types, bounds.homes)
    # Given an optimal placement as the caller's plan, the unexpanded path keeps its
    # value, and claims exactness only with a bound that proves it.
    planned = typed_max_children_placed(types, max_hard_pairs=0, plan=pairs.homes)
    assert planned.children_placeable >= pairs.children_placeable
    if pairs.exact:
        assert planned.children_placeable == pairs.children_placeable
    assert planned.upper_bound >= planned.children_placeable
    assert planned.exact == (planned.upper_bound == planned.children_placeable)
    assert_valid_placement(types, planned.homes)


def test_typed_placeable_on_the_hall_violators() -> None:
    types = typed_feasibility(hall_authority(), as_of=AS_OF, policy=default_policy())
    result = typed_max_children_placed(types, max_hard_pairs=0)
    assert (result.children_waiting, result.children_placeable, result.exact) == (4, 2, True)
    assert len(result.unplaced_units) == 2
    assert "without pair expansion" in result.method


def test_a_sibling_bound_that_is_not_met_is_reported_as_a_bound() -> None:
    # The 12-year-old pair fits both households, the two 14-year-olds only H001. Best
    # fit puts the pair in H001 (2 vacancies, fewer than H002's 3), leaving the singles
    # out: the greedy places 2, the flow bound is 4, and CP-SAT (expanded) finds 4.
    pair = (
        make_child("C001", date_of_birth=date(2014, 1, 1)),
        make_child("C002", date_of_birth=date(2014, 1, 1)),
    )
    links = (SiblingLink("C001", "C002", "full", "together"),)
    singles = (
        make_child("C003", date_of_birth=date(2012, 1, 1)),
        make_child("C004", date_of_birth=date(2012, 1, 1)),
    )
    households = (
        make_household("H001", approved_places=2, max_sibling_group=2, vacancies=2),
        make_household(
            "H002",
            approved_min_age=0,
            approved_max_age=12,
            approved_places=3,
            max_sibling_group=2,
            vacancies=3,
        ),
    )
    authority = Authority((*pair, *singles), households, links)
    types = typed_feasibility(authority, as_of=AS_OF, policy=default_policy())
    exact = typed_max_children_placed(types)
    assert (exact.children_placeable, exact.exact) == (4, True)
    bounds = typed_max_children_placed(types, max_hard_pairs=0)
    assert (bounds.children_placeable, bounds.upper_bound, bounds.exact) == (2, 4, False)
    assert "lower bound, upper bound 4" in bounds.method
    assert any("gap 2" in note for note in bounds.notes)


def test_no_available_household_places_nobody() -> None:
    authority = Authority((make_child("C001"),), (make_household("H001", status="on_hold"),), ())
    types = typed_feasibility(authority, as_of=AS_OF, policy=default_policy())
    assert types.n_groups == 0
    result = typed_max_children_placed(types)
    assert (result.children_placeable, result.exact) == (0, True)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_report_on_unexpanded_groups_equals_the_per_pair_report(seed: int) -> None:
    # expand_max_pairs=0 takes the national path (never a pair list) on a small authority
    authority = generate_authority(250, 300, seed=seed, as_of=AS_OF)
    add = [parse_add_spec("kind=foster,term=long,ages=10-15,places=2,count=2")]
    groups = gap_report(
        authority, as_of=AS_OF, suppress=False, method="typed", expand_max_pairs=0, add=add
    )
    pairs = gap_report(authority, as_of=AS_OF, suppress=False, method="pairs", add=add)
    assert "never expanded" in groups.method["feasibility"]
    assert "without pair expansion" in groups.method["placeable"]
    assert groups.children_placeable == pairs.children_placeable
    # (the pairs path is the assignment kernel now, the groups path a greedy proved by a
    # cut: equally good placements may leave out different numbers of units)
    assert groups.placeability.exact == pairs.placeability.exact

    # Which of several equally good placements is found may differ, so the unplaceable
    # units per profile (and the targets derived from them) may too; the rest may not.
    def fixed(report: GapReport) -> list[tuple[object, ...]]:
        return [
            (r.profile, r.waiting_units, r.feasible_households, r.vacancies_in_feasible_households)
            for r in report.by_profile
        ]

    assert fixed(groups) == fixed(pairs)
    assert sum(r.units_unplaceable for r in groups.by_profile) == groups.units_unplaceable
    assert groups.supply == pairs.supply
    assert groups.what_if is not None and pairs.what_if is not None
    assert groups.what_if.children_placeable == pairs.what_if.children_placeable
    assert groups.what_if.exact == pairs.what_if.exact
    # the targets are verified on the groups: they place what they claim
    assert groups.targets and all(t.verified for t in groups.targets)
    placed_by_targets = sum(t.children_placed for t in groups.targets)
    assert placed_by_targets == sum(t.children_claimed for t in groups.targets)
    assert groups.children_placeable_with_targets == groups.children_placeable + placed_by_targets


def test_a_cut_proves_the_greedy_optimal_without_the_relaxation_flow() -> None:
    # Two 14-year-olds (a sibling pair) and three single 14-year-olds want H001 (2
    # places) and H002 (2 places): 4 children at most. The greedy puts the pair in one,
    # the singles' flow fills the other; the singles' minimum cut, carried over to the
    # relaxation, is 4 too, so the answer is exact without a second flow.
    pair = (
        make_child("C001", date_of_birth=date(2012, 1, 1)),
        make_child("C002", date_of_birth=date(2012, 1, 1)),
    )
    links = (SiblingLink("C001", "C002", "full", "together"),)
    singles = tuple(make_child(f"C00{i}", date_of_birth=date(2012, 1, 1)) for i in (3, 4, 5))
    households = tuple(
        make_household(h, approved_places=2, max_sibling_group=2, vacancies=2)
        for h in ("H001", "H002")
    )
    authority = Authority((*pair, *singles), households, links)
    types = typed_feasibility(authority, as_of=AS_OF, policy=default_policy())
    result = typed_max_children_placed(types, max_hard_pairs=0)
    assert (result.children_placeable, result.upper_bound, result.exact) == (4, 4, True)
    assert "a cut of the max-flow relaxation" in result.method
    assert result.homes[0] >= 0  # the sibling pair is placed, together


@settings(max_examples=30, deadline=None)
@given(
    n_children=st.integers(1, 120),
    n_households=st.integers(1, 80),
    seed=st.integers(0, 10_000),
    data=st.data(),
)
def test_a_callers_plan_is_checked_as_the_pairs_path_checks_it(
    n_children: int, n_households: int, seed: int, data: st.DataObject
) -> None:
    # any plan, feasible or not, over capacity or not: the typed check keeps exactly
    # the part the per-pair check keeps (the same priority order decides conflicts)
    from matching.gaps import placeable as typed_placeable
    from tests.matching import placeable_oracle as placeable

    authority = generate_authority(n_children, n_households, seed=seed, as_of=AS_OF)
    types = typed_feasibility(authority, as_of=AS_OF, policy=default_policy())
    instance = types.instance()
    n_u, n_h = len(types.units), len(types.households)
    # mostly feasible households (so capacity and apart pairs bind), some not
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    plan = rng.integers(-1, n_h + 1, size=n_u)
    for u in range(n_u):
        feasible = instance.pair_household[instance.pair_unit == u]
        if len(feasible) and rng.random() < 0.8:
            plan[u] = rng.choice(feasible)
    graph = placeable._graph(instance)
    expected = placeable._checked_plan(graph, plan)
    limit = np.where(graph.unit_limit >= 0, graph.unit_limit, graph.vacancies)
    got = typed_placeable._checked_plan(
        types, plan, graph.sizes, graph.vacancies, graph.priority, limit
    )
    assert np.array_equal(got, expected)


@settings(max_examples=25, deadline=None)
@given(
    n_children=st.integers(1, 150),
    n_households=st.integers(0, 120),
    n_extra=st.integers(0, 60),
    seed=st.integers(0, 10_000),
    some_units=st.booleans(),
)
def test_households_added_to_the_typed_graph_have_the_pairs_of_the_combined_authority(
    n_children: int, n_households: int, n_extra: int, seed: int, some_units: bool
) -> None:
    # Recruits and what-if households are assessed against the prepared units: their
    # pairs must be exactly those of the authority with them in its pool (connected
    # households of the second draw name the same child ids, so they connect too).
    from dataclasses import replace

    from matching.gaps.grouped_feasibility import with_households

    authority = generate_authority(n_children, n_households, seed=seed, as_of=AS_OF)
    # A pending Together-and-Apart group is one unit only if the pool in force can take
    # it together (matching.practice_units), so added households could change the units
    # themselves; the households added here are assessed against the base's units, and
    # this test is about their pairs: settle the pending links first.
    authority = replace(
        authority,
        links=tuple(
            replace(link, assessment="apart") if link.assessment == "pending" else link
            for link in authority.links
        ),
    )
    other = generate_authority(n_children, n_extra, seed=seed + 1, as_of=AS_OF)
    extra = tuple(replace(h, household_id=f"X{h.household_id}") for h in other.households)
    policy = default_policy()
    base = typed_feasibility(authority, as_of=AS_OF, policy=policy)
    units = np.arange(0, len(base.units), 2, dtype=np.int64) if some_units else None
    merged = with_households(base, extra, units).instance()
    combined = Authority(authority.children, authority.households + extra, authority.links)
    expected = typed_feasibility(combined, as_of=AS_OF, policy=policy).instance()
    assert merged.units == expected.units
    assert merged.households == expected.households
    n_base = len(authority.households)
    chosen = set(range(len(base.units))) if units is None else set(units.tolist())
    want = {
        (u, h)
        for u, h in zip(expected.pair_unit.tolist(), expected.pair_household.tolist(), strict=True)
        if h < n_base or u in chosen
    }
    got = set(zip(merged.pair_unit.tolist(), merged.pair_household.tolist(), strict=True))
    assert got == want


def test_a_pool_of_connected_households_of_other_children_places_nobody() -> None:
    # The only available household is connected to a child who is not waiting: it is a
    # candidate but feasible for no unit, so there is no group at all (found by the
    # property test above: the renumbering of groups must cope with none).
    waiting = make_child("C001", plan="kinship")
    gone = make_child("C002", plan="kinship", status="placed")
    aunt = make_household(
        "H001",
        kind="connected",
        term=None,
        approved_places=1,
        max_sibling_group=1,
        vacancies=1,
        connected_child_ids=("C002",),
    )
    authority = Authority((waiting, gone), (aunt,), ())
    types = typed_feasibility(authority, as_of=AS_OF, policy=default_policy())
    assert types.n_groups == 0
    assert typed_max_children_placed(types).children_placeable == 0
    assert_same_instance(*typed_and_pairs(authority))


@pytest.mark.parametrize("seed", [0, 4])
def test_a_report_on_the_callers_pool_equals_one_that_builds_its_own(seed: int) -> None:
    # a service hands its snapshot's pool (every household, in order) to the report
    from matching.pool import HouseholdPool

    authority = generate_authority(300, 250, seed=seed, as_of=AS_OF)
    pool = HouseholdPool.from_households(authority.households)
    for expand in (0, 3_000_000):
        own = gap_report(authority, as_of=AS_OF, suppress=False, expand_max_pairs=expand)
        given = gap_report(
            authority, as_of=AS_OF, suppress=False, expand_max_pairs=expand, pool=pool
        )
        assert given.to_dict() == own.to_dict()
    other = HouseholdPool.from_households(reversed(authority.households))
    with pytest.raises(ValueError, match="not the pool of the authority"):
        gap_report(authority, as_of=AS_OF, pool=other)
