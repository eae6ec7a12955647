"""Round optima against independent methods: scipy assignment and brute force.

The lexicographic weights are built here the same way the solvers build them: a
pair is worth round(priority × score × 100) hundredths of a point, each child placed
outweighs any total of those, and a sibling pair placed within the contact radius
earns round(bonus × 100).
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from matching.instance import MatchingInstance, RoundHousehold, RoundUnit
from matching.rounds import RoundParams, random_instance, solve_round
from tests.matching.round_checker import check_round, feasible_scores, km_between

SCALE = 100
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# places 2–60 km apart, so some sibling pairs fall within the 25 km contact radius
PLACES = [(51.50, -0.10), (51.52, -0.05), (51.70, -0.30), (51.95, 0.30)]


@st.composite
def tiny_instances(
    draw: st.DrawFn,
    *,
    max_units: int,
    max_households: int,
    max_size: int,
    with_apart: bool,
) -> MatchingInstance:
    n_u = draw(st.integers(0, max_units))
    n_h = draw(st.integers(1, max_households))
    units = tuple(
        RoundUnit(
            tuple(f"C{u}-{k}" for k in range(draw(st.integers(1, max_size)))),
            draw(st.sampled_from([1.0, 1.25, 2.0, 3.5])),
        )
        for u in range(n_u)
    )
    households = tuple(
        RoundHousehold(f"H{h}", draw(st.integers(1, 3)), *draw(st.sampled_from(PLACES)))
        for h in range(n_h)
    )
    pairs = [
        (u, h, draw(st.integers(0, 1000)) / 10)
        for u in range(n_u)
        for h in range(n_h)
        if units[u].size <= households[h].vacancies and draw(st.booleans())
    ]
    links: tuple[tuple[int, int], ...] = ()
    if with_apart and n_u >= 2:
        all_pairs = list(itertools.combinations(range(n_u), 2))
        links = tuple(draw(st.lists(st.sampled_from(all_pairs), max_size=3, unique=True)))
    return MatchingInstance(
        units=units,
        households=households,
        pair_unit=np.array([p[0] for p in pairs], dtype=np.int32),
        pair_household=np.array([p[1] for p in pairs], dtype=np.int32),
        pair_score=np.array([p[2] for p in pairs], dtype=np.float64),
        apart_units=links,
        sibling_contact_units=links,
    )


def weight(inst: MatchingInstance, u: int, score: float) -> int:
    return round(inst.units[u].priority * score * SCALE)


def brute_force_allocation(inst: MatchingInstance, bonus: float, km: float) -> tuple[int, int]:
    """Best (children placed, weight + contact bonus) over every possible allocation."""
    pairs = feasible_scores(inst, allocate=True)
    options = [[None] + [h for (v, h) in sorted(pairs) if v == u] for u in range(len(inst.units))]
    best = (0, 0)
    for plan in itertools.product(*options):
        load = [0] * len(inst.households)
        for u, h in enumerate(plan):
            if h is not None:
                load[h] += inst.units[u].size
        if any(load[h] > hh.vacancies for h, hh in enumerate(inst.households)):
            continue
        kept_apart = (*inst.apart_units, *inst.co_placement_units)
        if any(plan[a] is not None and plan[a] == plan[b] for a, b in kept_apart):
            continue
        if any(
            hh.max_units is not None and sum(1 for h in plan if h == i) > hh.max_units
            for i, hh in enumerate(inst.households)
        ):
            continue
        children = sum(inst.units[u].size for u, h in enumerate(plan) if h is not None)
        total = sum(weight(inst, u, pairs[(u, h)]) for u, h in enumerate(plan) if h is not None)
        for a, b in inst.sibling_contact_units:
            ha, hb = plan[a], plan[b]
            if ha is not None and hb is not None:
                x, y = inst.households[ha], inst.households[hb]
                if ha == hb or km_between(x.lat, x.lon, y.lat, y.lon) <= km:
                    total += round(bonus * SCALE)
        best = max(best, (children, total))
    return best


def brute_force_shortlist(inst: MatchingInstance, k: int, m: int) -> tuple[int, int]:
    """Best (units covered, weight) over every shortlist of ≤ k per unit, ≤ m per household."""
    pairs = feasible_scores(inst, allocate=False)
    options = []
    for u in range(len(inst.units)):
        hs = [h for (v, h) in sorted(pairs) if v == u]
        options.append(
            [c for r in range(min(k, len(hs)) + 1) for c in itertools.combinations(hs, r)]
        )
    best = (0, 0)
    for plan in itertools.product(*options):
        count = [0] * len(inst.households)
        for hs in plan:
            for h in hs:
                count[h] += 1
        if max(count, default=0) > m:
            continue
        total = sum(weight(inst, u, pairs[(u, h)]) for u, hs in enumerate(plan) for h in hs)
        best = max(best, (sum(1 for hs in plan if hs), total))
    return best


def assignment_optimum(inst: MatchingInstance) -> tuple[int, int]:
    """Single-child allocation by scipy: one column per vacancy, one 'unplaced' per unit."""
    pairs = feasible_scores(inst, allocate=True)
    slots = [h for h, hh in enumerate(inst.households) for _ in range(hh.vacancies)]
    n_u = len(inst.units)
    if n_u == 0:
        return (0, 0)
    big = sum(weight(inst, u, s) for (u, _), s in pairs.items()) + 1
    forbid = -(big * (n_u + 1))
    value = np.full((n_u, len(slots) + n_u), forbid, dtype=np.float64)
    for u in range(n_u):
        value[u, len(slots) + u] = 0
        for j, h in enumerate(slots):
            if (u, h) in pairs:
                value[u, j] = big + weight(inst, u, pairs[(u, h)])
    rows, cols = linear_sum_assignment(value, maximize=True)
    total = int(value[rows, cols].sum())
    return divmod(total, big)


def value_of(result: object) -> tuple[int, int]:
    return (result.children_placed, round(result.objective * SCALE))  # type: ignore[attr-defined]


@SETTINGS
@given(tiny_instances(max_units=8, max_households=5, max_size=1, with_apart=False))
def test_single_child_allocation_equals_the_assignment_optimum(inst: MatchingInstance) -> None:
    params = RoundParams(mode="allocate")
    result = solve_round(inst, params)
    check_round(inst, result, params)
    assert result.status == "OPTIMAL" and result.solver == "min_cost_flow"
    assert value_of(result) == assignment_optimum(inst)


def test_a_medium_single_child_allocation_equals_the_assignment_optimum() -> None:
    inst = random_instance(150, 120, min_feasible=5, max_feasible=40, seed=11)
    params = RoundParams(mode="allocate")
    result = solve_round(inst, params)
    check_round(inst, result, params)
    assert result.status == "OPTIMAL"
    assert value_of(result) == assignment_optimum(inst)


@SETTINGS
@given(tiny_instances(max_units=5, max_households=4, max_size=3, with_apart=True))
def test_allocation_with_siblings_and_apart_pairs_equals_brute_force(
    inst: MatchingInstance,
) -> None:
    params = RoundParams(mode="allocate", time_limit_s=10)
    result = solve_round(inst, params)
    check_round(inst, result, params)
    best = brute_force_allocation(inst, params.sibling_contact_bonus, params.sibling_contact_km)
    assert result.status == "OPTIMAL"
    assert value_of(result) == best
    # the reported bound is a real bound
    assert result.coverage_bound >= best[0]
    assert result.coverage_bound > best[0] or round(result.best_bound * SCALE) >= best[1]


# coverage first: unit 0 would take both households by weight alone, leaving unit 1 none
COVERAGE_BEATS_WEIGHT = MatchingInstance(
    units=(RoundUnit(("A",)), RoundUnit(("B",))),
    households=(RoundHousehold("H0", 1), RoundHousehold("H1", 1)),
    pair_unit=np.array([0, 0, 1], dtype=np.int32),
    pair_household=np.array([0, 1, 0], dtype=np.int32),
    pair_score=np.array([99.0, 90.0, 10.0]),
)


@SETTINGS
@given(
    tiny_instances(max_units=4, max_households=3, max_size=2, with_apart=False),
    st.integers(1, 2),
    st.integers(1, 2),
)
@example(COVERAGE_BEATS_WEIGHT, 2, 1)
def test_shortlists_equal_brute_force(inst: MatchingInstance, k: int, m: int) -> None:
    params = RoundParams(mode="shortlist", per_unit=k, max_appearances=m)
    result = solve_round(inst, params)
    check_round(inst, result, params)
    assert result.status == "OPTIMAL"
    assert (result.units_covered, round(result.objective * SCALE)) == brute_force_shortlist(
        inst, k, m
    )
