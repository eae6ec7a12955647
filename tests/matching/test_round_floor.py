"""The round's floor (issue 12): an allocate round never places fewer children than the
gap report's placement of the same authority, whatever its search budget."""

from __future__ import annotations

import dataclasses
import random
from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.assignment.plan import components, homes_of, kept_in_priority_order, plan_problems
from matching.assignment.prepared import prepare
from matching.assignment.search import Budget, assign
from matching.feasibility import ROUND_MAX_PAIRS, build_instance
from matching.gaps.report import gap_report
from matching.instance import MatchingInstance
from matching.rounds import RoundParams, random_instance, solve_round
from matching.synthetic import generate_authority
from tests.matching.round_checker import check_round

# a wall-clock deadline no test reaches: the budgets are deterministic seconds
_NEVER = 1e9
# the least CP-SAT may search (`solve_component` asks for at least 1e-3 det. seconds)
_TINY = Budget(det_seconds=0.0, deadline=_NEVER)
_ROOMY = Budget(det_seconds=5.0, deadline=_NEVER)


def _children(instance: MatchingInstance, homes: np.ndarray) -> int:
    return sum(instance.units[u].size for u in np.flatnonzero(homes >= 0).tolist())


def _with_floor(instance: MatchingInstance, homes: np.ndarray) -> MatchingInstance:
    return dataclasses.replace(instance, floor_household=np.asarray(homes, dtype=np.int64))


def _sibling_instance() -> MatchingInstance:
    # sibling groups, siblings apart, few households each: conflict-heavy
    return random_instance(
        60, 30, sibling_share=0.5, apart_share=0.3, min_feasible=2, max_feasible=6, seed=5
    )


def test_the_floor_lifts_a_search_whose_tiny_budget_places_fewer_children() -> None:
    instance = _sibling_instance()
    prep = prepare(instance, allocate=True)
    tiny = assign(prep, _TINY)
    better = assign(prep, _ROOMY)
    floor = homes_of(prep, better.chosen)
    # the regression: the kernel alone, with the least budget, places fewer
    assert _children(instance, homes_of(prep, tiny.chosen)) < _children(instance, floor)

    floored = prepare(_with_floor(instance, floor), allocate=True)
    found = assign(floored, _TINY)
    assert not plan_problems(floored, found.chosen)
    assert found.floor_skipped == ()
    assert _children(instance, homes_of(floored, found.chosen)) >= _children(instance, floor)

    # the whole round too, under a time limit too short to search, checked independently
    params = RoundParams(time_limit_s=0.15)
    result = solve_round(_with_floor(instance, floor), params)
    check_round(_with_floor(instance, floor), result, params)
    assert result.children_placed >= _children(instance, floor)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), searched=st.booleans(), picks=st.randoms())
def test_any_valid_floor_is_met_in_every_component(
    seed: int, searched: bool, picks: random.Random
) -> None:
    instance = random_instance(
        40, 20, sibling_share=0.5, apart_share=0.3, min_feasible=1, max_feasible=5, seed=seed
    )
    prep = prepare(instance, allocate=True)
    if searched:  # the kernel's own plan under a roomier budget
        floor = homes_of(prep, assign(prep, Budget(det_seconds=1.0, deadline=_NEVER)).chosen)
    else:  # a random placement of feasible pairs, made valid in priority order
        wish = np.full(prep.n_units, -1, dtype=np.int64)
        for u in range(prep.n_units):
            options = list(prep.pairs_of(u))
            if options and picks.random() < 0.8:
                wish[u] = prep.pair_household[picks.choice(options)]
        floor = kept_in_priority_order(
            wish, prep.size, prep.vacancies, prep.priority, prep.never_together, prep.unit_limit
        )
    floored = prepare(_with_floor(instance, floor), allocate=True)
    found = assign(floored, _TINY)
    assert not plan_problems(floored, found.chosen)
    assert found.floor_skipped == ()
    n, label, _ = components(
        prep.n_units,
        prep.n_households,
        prep.pair_unit,
        prep.pair_household,
        prep.never_together + prep.contact,
    )
    placed = homes_of(floored, found.chosen) >= 0
    got = np.bincount(label, weights=np.where(placed, prep.size, 0), minlength=n)
    want = np.bincount(label, weights=np.where(floor >= 0, prep.size, 0), minlength=n)
    assert np.all(got >= want)


def test_a_floor_that_breaks_a_constraint_is_skipped_with_its_reason() -> None:
    instance = _sibling_instance()
    prep = prepare(instance, allocate=True)
    # every unit in its first household: far over the vacancies somewhere
    floor = np.array(
        [
            prep.pair_household[prep.unit_start[u]]
            if prep.unit_start[u] < prep.unit_start[u + 1]
            else -1
            for u in range(prep.n_units)
        ],
        dtype=np.int64,
    )
    floored = prepare(_with_floor(instance, floor), allocate=True)
    found = assign(floored, _TINY)
    assert not plan_problems(floored, found.chosen)
    assert found.floor_skipped
    assert all("not valid here" in why for why in found.floor_skipped)


def test_the_round_places_at_least_the_gap_reports_placeable_children() -> None:
    as_of = date(2026, 6, 1)
    # two children for each household, as the 10,000 x 5,000 benchmark: contested
    authority = generate_authority(2000, 1000, seed=0, as_of=as_of)
    feasibility = build_instance(authority, as_of=as_of, max_pairs=ROUND_MAX_PAIRS, floor=True)
    instance = feasibility.instance
    assert len(instance.floor_household) == len(instance.units)
    params = RoundParams(time_limit_s=0.2)
    result = solve_round(instance, params)
    check_round(instance, result, params)
    placeable = gap_report(authority, as_of=as_of, suppress=False).to_dict()["children_placeable"]
    assert result.children_placed >= placeable


def test_without_floor_the_instance_carries_none() -> None:
    as_of = date(2026, 6, 1)
    authority = generate_authority(200, 100, seed=1, as_of=as_of)
    assert len(build_instance(authority, as_of=as_of).instance.floor_household) == 0
    prep = prepare(build_instance(authority, as_of=as_of).instance, allocate=True)
    assert prep.floor_household is None
