"""Run a matching round: the solver path instance → solve_round(instance, params) → result.

Shortlist mode is a network problem solved exactly by min-cost flow
(`matching.assignment.flow.shortlist_flow`). Allocate mode is the assignment kernel's
search (`matching.assignment.search.assign`: flow bounds and fallback, CP-SAT on the
components that need it, every plan re-checked; its module docstring explains the
budget, the worker policy and when a round is deterministic). This module turns the
round's time limit into that budget and the plan into a `RoundResult`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from matching.assignment.cpsat import DEFAULT_WORKERS
from matching.assignment.flow import shortlist_flow
from matching.assignment.greedy import greedy_allocation, greedy_shortlist
from matching.assignment.plan import contact_hits, homes_of, partners, plan_value
from matching.assignment.prepared import (
    SCORE_SCALE,
    SIBLINGS_APART,
    IntArray,
    PreparedInstance,
    prepare,
    scale_points,
    scaled_weights,
)
from matching.assignment.search import Budget, assign, no_progress
from matching.errors import Cancelled
from matching.geo import haversine_km
from matching.instance import MatchingInstance
from matching.rounds.result import (
    APART_FROM_PLACED,
    CO_PLACEMENT_REASON,
    NO_FEASIBLE_HOUSEHOLD,
    NOT_REACHED,
    TAKEN_BY_OTHERS,
    RoundParams,
    RoundResult,
    SiblingContact,
    Status,
    Unplaced,
)

Progress = Callable[[str, float], None]

# time kept back from the limit for building the result
_RESERVE_S = 0.1

# ---------------------------------------------------------------- result building


def _unplaced_allocate(prep: PreparedInstance, chosen: IntArray) -> tuple[Unplaced, ...]:
    placed = chosen >= 0
    home = homes_of(prep, chosen)
    used = np.bincount(home[placed], weights=prep.size[placed], minlength=prep.n_households).astype(
        np.int64
    )
    occupants: dict[int, list[int]] = {}
    for u in np.flatnonzero(placed).tolist():
        occupants.setdefault(int(home[u]), []).append(u)
    kept_apart = partners(prep.never_together)
    siblings_apart = {
        pair
        for pair, why in zip(prep.never_together, prep.never_together_reason, strict=True)
        if why == SIBLINGS_APART
    }
    out: list[Unplaced] = []
    for u in np.flatnonzero(~placed).tolist():
        hs = prep.pair_household[list(prep.pairs_of(u))].tolist()
        if not hs:
            out.append(Unplaced(u, NO_FEASIBLE_HOUSEHOLD))
            continue
        # room: the children fit, and the household is below its limit of units
        room = [
            prep.vacancies[h] - used[h] >= prep.size[u]
            and len(occupants.get(h, ())) < prep.unit_limit[h]
            for h in hs
        ]
        partners_in = [[v for v in occupants.get(h, []) if v in kept_apart.get(u, ())] for h in hs]
        if any(r and not b for r, b in zip(room, partners_in, strict=True)):
            reason = NOT_REACHED
        elif any(room):
            # every household with room holds a unit it is kept apart from: siblings
            # assessed apart when that is all there is, else a co-placement rule
            by_siblings = all(
                (min(u, v), max(u, v)) in siblings_apart
                for r, vs in zip(room, partners_in, strict=True)
                if r
                for v in vs
            )
            reason = APART_FROM_PLACED if by_siblings else CO_PLACEMENT_REASON
        else:
            reason = TAKEN_BY_OTHERS
        taken = tuple((h, tuple(occupants.get(h, []))) for h in sorted(hs))
        out.append(Unplaced(u, reason, taken))
    return tuple(out)


def _contact_report(
    prep: PreparedInstance, chosen: IntArray, km: float
) -> tuple[SiblingContact, ...]:
    out: list[SiblingContact] = []
    for a, b in prep.contact:
        if chosen[a] < 0 or chosen[b] < 0:
            continue
        ha, hb = int(prep.pair_household[chosen[a]]), int(prep.pair_household[chosen[b]])
        d = (
            haversine_km(prep.lat[ha], prep.lon[ha], prep.lat[hb], prep.lon[hb])
            if ha != hb
            else 0.0
        )
        out.append(SiblingContact(a, b, ha, hb, round(d, 3), d <= km))
    return tuple(out)


def _score_points(
    prep: PreparedInstance, pairs: IntArray, contact_points: int, bound: int
) -> tuple[float, float]:
    """(objective, best bound) in score points: Σ priority × score of `pairs` (+ the
    contact bonus points earned), from the scores themselves; the bound is the kernel's
    with the plan's tiers taken out (`prepare`) and its score unit put back (each floored
    score weight and contact bonus lost less than one unit), never past the most score
    a plan can earn."""
    exact = int(scaled_weights(prep.priority[prep.pair_unit[pairs]], prep.pair_score[pairs]).sum())
    objective = exact + contact_points
    tiers = int(prep.tiers()[pairs].sum())
    unit = prep.score_unit
    score_bound = (bound - tiers) * unit + (unit - 1) * (prep.n_units + len(prep.contact))
    if prep.tier is not None:
        # a bound for more children or higher tiers holds their tiers too: keep it
        # within the most score weight a plan can earn
        score_bound = min(score_bound, prep.score_cap)
    return objective / SCORE_SCALE, max(score_bound, objective) / SCORE_SCALE


def _gap(value: tuple[int, int], bound: tuple[int, int]) -> float:
    if value[0] < bound[0]:
        return (bound[0] - value[0]) / bound[0]
    if bound[1] <= 0 or value[1] >= bound[1]:
        return 0.0
    return (bound[1] - value[1]) / bound[1]


def _allocation_result(
    prep: PreparedInstance,
    chosen: IntArray,
    bound: tuple[int, int],
    *,
    solver: str,
    started: float,
    params: RoundParams,
    workers: int,
    deterministic: bool = True,
) -> RoundResult:
    km = params.sibling_contact_km
    children, weight = plan_value(prep, chosen, km)
    value = (int(children.sum()), int(weight.sum()))
    # a bound below the value would mean a bug in a bound: never report a negative gap
    bound = max(bound, value)
    gap = _gap(value, bound)
    status: Status = "OPTIMAL" if gap == 0.0 else "FEASIBLE"
    contact_points = int(contact_hits(prep, chosen, km).sum()) * scale_points(
        params.sibling_contact_bonus
    )
    objective, best_bound = _score_points(prep, chosen[chosen >= 0], contact_points, bound[1])
    assignments = tuple(
        ((int(prep.pair_household[p]), float(prep.pair_score[p])),) if p >= 0 else ()
        for p in chosen.tolist()
    )
    return RoundResult(
        mode="allocate",
        solver=solver,
        status=status,
        objective=objective,
        best_bound=best_bound,
        gap=gap,
        wall_s=time.perf_counter() - started,
        children_placed=value[0],
        units_covered=int(np.count_nonzero(chosen >= 0)),
        coverage_bound=bound[0],
        assignments=assignments,
        unplaced=_unplaced_allocate(prep, chosen),
        sibling_contact=_contact_report(prep, chosen, km),
        seed=params.seed,
        workers=workers,
        deterministic=deterministic,
    )


def _shortlist_result(
    prep: PreparedInstance,
    picked: IntArray,
    bound: tuple[int, int],
    *,
    solver: str,
    started: float,
    params: RoundParams,
) -> RoundResult:
    per_unit: list[list[int]] = [[] for _ in range(prep.n_units)]
    for p in np.sort(picked).tolist():  # pair order is best first within a unit
        per_unit[int(prep.pair_unit[p])].append(p)
    appearances = np.bincount(prep.pair_household[picked], minlength=prep.n_households)
    listed_by: dict[int, list[int]] = {}
    for u, ps in enumerate(per_unit):
        for p in ps:
            listed_by.setdefault(int(prep.pair_household[p]), []).append(u)
    unplaced: list[Unplaced] = []
    for u, ps in enumerate(per_unit):
        if ps:
            continue
        hs = sorted(prep.pair_household[list(prep.pairs_of(u))].tolist())
        if not hs:
            unplaced.append(Unplaced(u, NO_FEASIBLE_HOUSEHOLD))
            continue
        full = all(appearances[h] >= params.max_appearances for h in hs)
        reason = TAKEN_BY_OTHERS if full else NOT_REACHED
        unplaced.append(Unplaced(u, reason, tuple((h, tuple(listed_by.get(h, []))) for h in hs)))
    covered = sum(1 for ps in per_unit if ps)
    value = (covered, int(prep.weight[picked].sum()))
    bound = max(bound, value)
    gap = _gap(value, bound)
    objective, best_bound = _score_points(prep, picked, 0, bound[1])
    return RoundResult(
        mode="shortlist",
        solver=solver,
        status="OPTIMAL" if gap == 0.0 else "FEASIBLE",
        objective=objective,
        best_bound=best_bound,
        gap=gap,
        wall_s=time.perf_counter() - started,
        children_placed=int(sum(prep.size[u] for u, ps in enumerate(per_unit) if ps)),
        units_covered=covered,
        coverage_bound=bound[0],
        assignments=tuple(
            tuple((int(prep.pair_household[p]), float(prep.pair_score[p])) for p in ps)
            for ps in per_unit
        ),
        unplaced=tuple(unplaced),
        seed=params.seed,
        workers=1,
    )


def _trivial_bound(prep: PreparedInstance, params: RoundParams) -> tuple[int, int]:
    """Each unit alone with its best households: a cheap, valid bound for the greedy."""
    counts = np.diff(prep.unit_start)
    has = counts > 0
    rank = np.arange(prep.n_pairs) - prep.unit_start[prep.pair_unit]
    if params.mode == "shortlist":
        top = rank < max(params.per_unit, 0)
        return (int(np.count_nonzero(has)), int(prep.weight[top].sum()))
    best = int(prep.weight[rank == 0].sum())
    n_contact = sum(1 for a, b in prep.contact if has[a] and has[b])
    return (int(prep.size[has].sum()), best + n_contact * prep.contact_bonus)


# ---------------------------------------------------------------- public entry points


def greedy_round(instance: MatchingInstance, params: RoundParams) -> RoundResult:
    """Baseline: units in priority order each take their best remaining household(s).

    The bound reported is the trivial one (every unit with its own best households).
    """
    started = time.perf_counter()
    if params.mode == "shortlist":
        prep = prepare(instance, allocate=False, pairs_per_unit=params.per_unit)
        picked = greedy_shortlist(prep, params.per_unit, params.max_appearances)
        return _shortlist_result(
            prep,
            picked,
            _trivial_bound(prep, params),
            solver="greedy",
            started=started,
            params=params,
        )
    prep = prepare(instance, allocate=True, contact_bonus=params.sibling_contact_bonus)
    chosen = greedy_allocation(prep)
    return _allocation_result(
        prep,
        chosen,
        _trivial_bound(prep, params),
        solver="greedy",
        started=started,
        params=params,
        workers=1,
    )


def solve_round(
    instance: MatchingInstance,
    params: RoundParams,
    progress: Progress | None = None,
    *,
    should_stop: Callable[[], bool] | None = None,
) -> RoundResult:
    """Solve a shortlist or allocation round (see the module docstring for the method).

    Shortlist mode and single-child allocation without binding `apart` pairs are solved
    exactly by min-cost flow; otherwise CP-SAT improves a flow-based plan per component
    within ``params.time_limit_s``. Deterministic for a given seed and worker count as
    long as CP-SAT finishes within its time limit (one worker by default).

    ``should_stop`` (a cancelled round) is asked before the round, between the search's
    steps and, while CP-SAT searches, every tenth of a second; when it answers True the
    search stops and ``matching.errors.Cancelled`` is raised: a cancelled round has no
    result.
    """
    started = time.perf_counter()
    report = progress or no_progress
    if should_stop is not None and should_stop():
        raise Cancelled("the round was cancelled")
    if params.mode == "shortlist":
        prep = prepare(instance, allocate=False, pairs_per_unit=params.per_unit)
        report("min_cost_flow", 0.0)
        picked = shortlist_flow(prep, params.per_unit, params.max_appearances)
        report("done", 1.0)
        covered = len(np.unique(prep.pair_unit[picked]))
        # the flow is exact: its value is also the bound
        bound = (covered, int(prep.weight[picked].sum()))
        return _shortlist_result(
            prep, picked, bound, solver="min_cost_flow", started=started, params=params
        )
    if params.mode != "allocate":
        raise ValueError(f"unknown round mode {params.mode!r}")
    return _allocate(instance, params, report, started, should_stop)


def _allocate(
    instance: MatchingInstance,
    params: RoundParams,
    report: Progress,
    started: float,
    should_stop: Callable[[], bool] | None = None,
) -> RoundResult:
    prep = prepare(instance, allocate=True, contact_bonus=params.sibling_contact_bonus)
    workers = params.workers or DEFAULT_WORKERS
    budget = Budget.for_time_limit(
        params.time_limit_s - _RESERVE_S,
        started=started,
        seed=params.seed,
        workers=workers,
        prune_to=params.prune_to,
        contact_km=params.sibling_contact_km,
        should_stop=should_stop,
    )
    found = assign(prep, budget, report)
    budget.check()
    solver = "min_cost_flow+cp_sat" if found.used_cp_sat else "min_cost_flow"
    return _allocation_result(
        prep,
        found.chosen,
        found.bound,
        solver=solver,
        started=started,
        params=params,
        workers=workers,
        deterministic=workers == 1 and found.deterministic,
    )
