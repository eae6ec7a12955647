"""Run a matching round: the solver path instance → solve_round(instance, params) → result.

Allocate mode, step by step:

1. The flow relaxation (siblings split child by child, `apart` ignored; it equals the
   LP relaxation) gives, per connected component of the feasibility graph, an exact
   lexicographic upper bound (children, weight) on the unpruned structure; the
   contact bonus is bounded by granting it to every sibling pair that could earn it.
2. Its integral part, repaired greedily, and the plain greedy round are both turned
   into plans; the better one is the fallback, and no answer is ever worse.
3. A component whose fallback already meets its bound is proven optimal (this is every
   component when all units are single children and no `apart` pair binds: the round
   is then a network problem solved exactly by min-cost flow). The others go to CP-SAT,
   smallest first, sharing the time left:
   - up to FULL_MODEL_PAIRS pairs: modelled whole, and CP-SAT's bound tightens the
     component's bound;
   - larger: pruned to each unit's best ``prune_to`` candidates plus the relaxation's
     and the fallback's arcs, then improved by a large-neighbourhood search (each
     step frees ~_LNS_UNITS units around sibling groups and apart/contact pairs and
     re-solves them exactly with the rest fixed); up to SINGLE_MODEL_PAIRS the second
     half of the time goes to one model of the whole pruned component, which often
     proves the pruned optimum.
4. Every CP-SAT plan is re-checked for feasibility and kept only when it beats the
   current plan, so the result is never below the flow/greedy fallback.

Time and determinism: ``time_limit_s`` is turned once into a budget of CP-SAT
deterministic seconds (``DET_PER_SECOND`` × the limit; CP-SAT counts work, not time,
so the budget means the same on a busy or an idle machine). The budget is shared among
components by their pair counts (what one leaves unused goes to the next); the
neighbourhood search runs steps until the deterministic seconds they used (plus a
fixed charge per step for model building) reach its share, each step capped at
``_LNS_STEP_DET``; every CP-SAT solve has ``max_deterministic_time`` set. Flows and
greedy are deterministic, so with one worker (the default) a round is identical for
a given instance, seed and time limit.

The wall clock is kept only as a safety net: each solve also has ``max_time_in_seconds``
up to the round's deadline and a timer that stops it, and no component or step starts
once the deadline has passed. If the machine is so slow (or so loaded) that the net
fires, the result is still valid and never below the fallback, but may differ from run
to run; ``RoundResult.deterministic`` is then False. It is also False with more than
one worker: CP-SAT's parallel portfolio is not deterministic.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from matching.errors import Cancelled
from matching.instance import MatchingInstance
from matching.rounds.cpsat import DEFAULT_WORKERS, solve_component
from matching.rounds.flow import Relaxation, allocation_relaxation, shortlist_flow
from matching.rounds.greedy import (
    fill_allocation,
    greedy_allocation,
    greedy_shortlist,
    priority_order,
)
from matching.rounds.prep import SCORE_SCALE, IntArray, PreparedRound, haversine_km, prepare
from matching.rounds.result import (
    APART_FROM_PLACED,
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
ShouldStop = Callable[[], bool]

# a component with at most this many feasible pairs is modelled whole in CP-SAT
FULL_MODEL_PAIRS = 30_000
# a pruned component up to this many candidate pairs is one CP-SAT model; larger ones
# are improved by neighbourhoods of about _LNS_UNITS units
SINGLE_MODEL_PAIRS = 15_000
_LNS_SEEDS = 30
_LNS_UNITS = 250
# of a mid-sized pruned component's budget, before the single model: on the 1k×2k
# sibling benchmark 0.25 reached a smaller gap than 0.5 with the same budget
_LNS_SHARE = 0.25
# time kept back from the limit for building the result
_RESERVE_S = 0.1

# The search budget is in CP-SAT deterministic seconds, never wall seconds, so where the
# search stops does not depend on machine load. Measured on this 2-core machine (1k×2k
# sibling round, one worker, 47 solves): 1.42 deterministic s in 11.8 s of CP-SAT wall
# time (0.12 per second), 0.094-0.12 per second of the whole round including model
# building and the flow phase. 0.08 uses about half the limit on an idle machine (8-12 s
# of 20 s, gap 0.24-0.27%, as good as the wall-clock search it replaced), so the
# wall-clock safety net does not fire unless the machine is about twice as slow.
DET_PER_SECOND = 0.08
# one neighbourhood step may use at most this many deterministic seconds (typical
# steps use 0.01-0.02 and finish)
_LNS_STEP_DET = 0.3
# a step is also charged for its model building (Python, not counted by CP-SAT):
# about _STEP_OVERHEAD_S plus _PAIR_OVERHEAD_S per candidate pair of the component
_STEP_OVERHEAD_S = 0.03
_PAIR_OVERHEAD_S = 5e-7


def _no_progress(stage: str, fraction: float) -> None:
    return None


def _never() -> bool:
    return False


def _check(should_stop: ShouldStop) -> None:
    if should_stop():
        raise Cancelled("the round was cancelled")


# ---------------------------------------------------------------- evaluation helpers


def _contact_hits(prep: PreparedRound, chosen: IntArray, km: float) -> IntArray:
    """For each contact pair: 1 if both placed within km (or together), else 0."""
    if not prep.contact:
        return np.zeros(0, dtype=np.int64)
    cp = np.array(prep.contact, dtype=np.int64)
    pa, pb = chosen[cp[:, 0]], chosen[cp[:, 1]]
    both = (pa >= 0) & (pb >= 0)
    ha = prep.pair_household[np.where(both, pa, 0)] if prep.n_pairs else np.zeros(len(cp), np.int64)
    hb = prep.pair_household[np.where(both, pb, 0)] if prep.n_pairs else np.zeros(len(cp), np.int64)
    d = (
        haversine_km(prep.lat[ha], prep.lon[ha], prep.lat[hb], prep.lon[hb])
        if prep.n_households
        else 0
    )
    return np.asarray(both & ((d <= km) | (ha == hb)), dtype=np.int64)


def _unit_values(prep: PreparedRound, chosen: IntArray, km: float) -> tuple[IntArray, IntArray]:
    """Per-unit children placed and weight (contact bonus credited to the pair's first unit)."""
    placed = chosen >= 0
    children = np.where(placed, prep.size, 0)
    weight = np.zeros(prep.n_units, dtype=np.int64)
    weight[placed] = prep.weight[chosen[placed]]
    if prep.contact and prep.contact_bonus:
        hits = _contact_hits(prep, chosen, km)
        np.add.at(weight, np.array(prep.contact, dtype=np.int64)[:, 0], hits * prep.contact_bonus)
    return children, weight


def _violations(prep: PreparedRound, chosen: IntArray) -> list[str]:
    """Independent feasibility re-check of an allocation plan."""
    problems: list[str] = []
    placed = np.flatnonzero(chosen >= 0)
    pairs = chosen[placed]
    if np.any(prep.pair_unit[pairs] != placed):
        problems.append("a unit holds another unit's pair")
    used = np.bincount(
        prep.pair_household[pairs], weights=prep.size[placed], minlength=prep.n_households
    )
    if np.any(used > prep.vacancies):
        problems.append("a household is over its vacancies")
    for a, b in prep.apart:
        if (
            chosen[a] >= 0
            and chosen[b] >= 0
            and prep.pair_household[chosen[a]] == prep.pair_household[chosen[b]]
        ):
            problems.append(f"units {a} and {b} are kept apart but share a household")
    return problems


def _better(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a > b  # lexicographic: children, then weight


# ---------------------------------------------------------------- result building


def _unplaced_allocate(prep: PreparedRound, chosen: IntArray) -> tuple[Unplaced, ...]:
    placed = chosen >= 0
    home = np.full(prep.n_units, -1, dtype=np.int64)
    home[placed] = prep.pair_household[chosen[placed]]
    used = np.bincount(home[placed], weights=prep.size[placed], minlength=prep.n_households).astype(
        np.int64
    )
    occupants: dict[int, list[int]] = {}
    for u in np.flatnonzero(placed).tolist():
        occupants.setdefault(int(home[u]), []).append(u)
    partners: dict[int, set[int]] = {}
    for a, b in prep.apart:
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    out: list[Unplaced] = []
    for u in np.flatnonzero(~placed).tolist():
        hs = prep.pair_household[list(prep.pairs_of(u))].tolist()
        if not hs:
            out.append(Unplaced(u, NO_FEASIBLE_HOUSEHOLD))
            continue
        room = [prep.vacancies[h] - used[h] >= prep.size[u] for h in hs]
        blocked = [any(v in partners.get(u, ()) for v in occupants.get(h, [])) for h in hs]
        if any(r and not b for r, b in zip(room, blocked, strict=True)):
            reason = NOT_REACHED
        elif any(room):
            reason = APART_FROM_PLACED
        else:
            reason = TAKEN_BY_OTHERS
        taken = tuple((h, tuple(occupants.get(h, []))) for h in sorted(hs))
        out.append(Unplaced(u, reason, taken))
    return tuple(out)


def _contact_report(prep: PreparedRound, chosen: IntArray, km: float) -> tuple[SiblingContact, ...]:
    out: list[SiblingContact] = []
    for a, b in prep.contact:
        if chosen[a] < 0 or chosen[b] < 0:
            continue
        ha, hb = int(prep.pair_household[chosen[a]]), int(prep.pair_household[chosen[b]])
        d = (
            float(haversine_km(prep.lat[[ha]], prep.lon[[ha]], prep.lat[[hb]], prep.lon[[hb]])[0])
            if ha != hb
            else 0.0
        )
        out.append(SiblingContact(a, b, ha, hb, round(d, 3), d <= km))
    return tuple(out)


def _gap(value: tuple[int, int], bound: tuple[int, int]) -> float:
    if value[0] < bound[0]:
        return (bound[0] - value[0]) / bound[0]
    if bound[1] <= 0 or value[1] >= bound[1]:
        return 0.0
    return (bound[1] - value[1]) / bound[1]


def _allocation_result(
    prep: PreparedRound,
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
    children, weight = _unit_values(prep, chosen, km)
    value = (int(children.sum()), int(weight.sum()))
    # a bound below the value would mean a bug in a bound: never report a negative gap
    bound = max(bound, value)
    gap = _gap(value, bound)
    status: Status = "OPTIMAL" if gap == 0.0 else "FEASIBLE"
    assignments = tuple(
        ((int(prep.pair_household[p]), float(prep.pair_score[p])),) if p >= 0 else ()
        for p in chosen.tolist()
    )
    return RoundResult(
        mode="allocate",
        solver=solver,
        status=status,
        objective=value[1] / SCORE_SCALE,
        best_bound=bound[1] / SCORE_SCALE,
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
    prep: PreparedRound,
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
    return RoundResult(
        mode="shortlist",
        solver=solver,
        status="OPTIMAL" if gap == 0.0 else "FEASIBLE",
        objective=value[1] / SCORE_SCALE,
        best_bound=bound[1] / SCORE_SCALE,
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


def _trivial_bound(prep: PreparedRound, params: RoundParams) -> tuple[int, int]:
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
        prep = prepare(instance, allocate=False)
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
    should_stop: ShouldStop | None = None,
) -> RoundResult:
    """Solve a shortlist or allocation round (see the module docstring for the method).

    Shortlist mode and single-child allocation without binding `apart` pairs are solved
    exactly by min-cost flow; otherwise CP-SAT improves a flow-based plan per component
    within ``params.time_limit_s``. Deterministic for a given seed and worker count as
    long as CP-SAT finishes within its time limit (one worker by default).

    ``should_stop`` (a cancelled round) is asked between steps and, while CP-SAT
    searches, every tenth of a second; when it answers True the search stops and
    ``matching.errors.Cancelled`` is raised: a cancelled round has no result.
    """
    started = time.perf_counter()
    report = progress or _no_progress
    stop = should_stop or _never
    _check(stop)
    if params.mode == "shortlist":
        prep = prepare(instance, allocate=False)
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
    result = _allocate(instance, params, report, started, stop)
    _check(stop)
    return result


def _components(prep: PreparedRound) -> tuple[int, IntArray]:
    """Connected components over units + households, joined by pairs, apart and contact."""
    u, h = prep.n_units, prep.n_households
    extra = np.array(list(prep.apart) + list(prep.contact), dtype=np.int64).reshape(-1, 2)
    rows = np.concatenate([prep.pair_unit, extra[:, 0]])
    cols = np.concatenate([prep.pair_household + u, extra[:, 1]])
    graph = sp.coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(u + h, u + h))
    n, labels = connected_components(graph, directed=False)
    return int(n), labels[:u].astype(np.int64)


def _from_relaxation(prep: PreparedRound, relax: Relaxation) -> IntArray:
    """The relaxation's whole, apart-respecting placements, then greedy for the rest."""
    chosen = np.full(prep.n_units, -1, dtype=np.int64)
    whole = np.flatnonzero(relax.pair_flow == prep.size[prep.pair_unit])
    chosen[prep.pair_unit[whole]] = whole
    for a, b in prep.apart:
        pa, pb = chosen[a], chosen[b]
        if pa >= 0 and pb >= 0 and prep.pair_household[pa] == prep.pair_household[pb]:
            chosen[b if prep.weight[pb] < prep.weight[pa] else a] = -1
    return fill_allocation(prep, chosen, priority_order(prep))


def _allocate(
    instance: MatchingInstance,
    params: RoundParams,
    report: Progress,
    started: float,
    should_stop: ShouldStop,
) -> RoundResult:
    prep = prepare(instance, allocate=True, contact_bonus=params.sibling_contact_bonus)
    workers = params.workers or DEFAULT_WORKERS
    km = params.sibling_contact_km
    deadline = started + params.time_limit_s - _RESERVE_S
    budget = DET_PER_SECOND * max(params.time_limit_s - _RESERVE_S, 0.0)
    if prep.n_pairs == 0:  # nothing can be placed: that is the (proven) optimum
        empty = np.full(prep.n_units, -1, dtype=np.int64)
        return _allocation_result(
            prep,
            empty,
            (0, 0),
            solver="min_cost_flow",
            started=started,
            params=params,
            workers=workers,
        )
    report("flow_relaxation", 0.0)
    relax = allocation_relaxation(prep)
    candidates = [_from_relaxation(prep, relax), greedy_allocation(prep)]
    scored = []
    for plan in candidates:
        ch, w = _unit_values(prep, plan, km)
        scored.append(((int(ch.sum()), int(w.sum())), plan))
    chosen = max(scored, key=lambda s: s[0])[1].copy()
    report("components", 0.1)
    _check(should_stop)

    n_comp, label = _components(prep)
    unit_children, unit_weight = _unit_values(prep, chosen, km)
    comp_children = np.bincount(label, weights=unit_children, minlength=n_comp).astype(np.int64)
    comp_weight = np.bincount(label, weights=unit_weight, minlength=n_comp).astype(np.int64)
    pair_comp = label[prep.pair_unit]
    bound_children = np.bincount(pair_comp, weights=relax.pair_flow, minlength=n_comp).astype(
        np.int64
    )
    flow_num = np.bincount(
        pair_comp,
        weights=(relax.pair_flow * relax.pair_cost_num).astype(np.float64),
        minlength=n_comp,
    )
    bound_weight = np.floor(flow_num / relax.scale + 1e-9).astype(np.int64)
    counts = np.diff(prep.unit_start)
    for a, b in prep.contact:
        if counts[a] and counts[b]:
            bound_weight[label[a]] += prep.contact_bonus
    bounds = {c: (int(bound_children[c]), int(bound_weight[c])) for c in range(n_comp)}
    open_comps = [
        c for c in range(n_comp) if (int(comp_children[c]), int(comp_weight[c])) < bounds[c]
    ]
    used_cp_sat = False
    cut = False
    if open_comps:
        units_of = np.argsort(label, kind="stable")
        ustart = np.searchsorted(label[units_of], np.arange(n_comp + 1))
        pairs_of_comp = np.argsort(pair_comp, kind="stable")
        pstart = np.searchsorted(pair_comp[pairs_of_comp], np.arange(n_comp + 1))
        size_of = {c: int(pstart[c + 1] - pstart[c]) for c in open_comps}
        open_comps.sort(key=lambda c: (size_of[c], c))
        rank = np.arange(prep.n_pairs) - prep.unit_start[prep.pair_unit]
        search = _Search(prep, params, workers, label, deadline, should_stop)
        left = sum(size_of.values())
        for i, c in enumerate(open_comps):
            _check(should_stop)
            if time.perf_counter() >= deadline:  # safety net: the machine is too slow
                search.cut = True
                break
            comp_budget = (budget - search.det_used) * size_of[c] / max(left, 1)
            left -= size_of[c]
            units = units_of[ustart[c] : ustart[c + 1]]
            pairs = pairs_of_comp[pstart[c] : pstart[c + 1]]
            report(f"cp_sat component {i + 1}/{len(open_comps)}", 0.1 + 0.85 * i / len(open_comps))
            used_cp_sat = True
            if len(pairs) <= FULL_MODEL_PAIRS:
                # modelled whole: CP-SAT's bound is valid for the component
                chosen, cp_bound = search.solve(chosen, units, pairs, comp_budget)
                if cp_bound is not None:
                    bounds[c] = min(bounds[c], cp_bound)
                continue
            keep = (rank[pairs] < params.prune_to) | (relax.pair_flow[pairs] > 0)
            keep |= np.isin(pairs, chosen[units])
            pairs = pairs[keep]
            if len(pairs) <= SINGLE_MODEL_PAIRS:
                # neighbourhood steps improve the start quickly and reliably; one model
                # of the pruned component then polishes (and often proves) it
                before = search.det_used
                chosen = search.neighbourhoods(chosen, units, pairs, _LNS_SHARE * comp_budget)
                rest = comp_budget - (search.det_used - before)
                if rest > 0 and not search.cut:
                    chosen, _ = search.solve(chosen, units, pairs, rest)
            else:
                chosen = search.neighbourhoods(chosen, units, pairs, comp_budget)
        cut = search.cut
    report("done", 1.0)
    bound = (sum(b[0] for b in bounds.values()), sum(b[1] for b in bounds.values()))
    solver = "min_cost_flow+cp_sat" if used_cp_sat else "min_cost_flow"
    if _violations(
        prep, chosen
    ):  # pragma: no cover - the fallback plans are feasible by construction
        raise RuntimeError("internal error: the round plan breaks a hard constraint")
    deterministic = workers == 1 and not cut
    return _allocation_result(
        prep,
        chosen,
        bound,
        solver=solver,
        started=started,
        params=params,
        workers=workers,
        deterministic=deterministic,
    )


class _Search:
    """CP-SAT improvement of a feasible plan, one (sub)model at a time.

    Every answer is re-checked by ``_violations`` and kept only if the whole plan's
    (children, weight) value improves, so the plan never gets worse. ``det_used`` sums
    the deterministic seconds spent (and charged); ``cut`` records that the wall-clock
    safety net may have changed the outcome.
    """

    def __init__(
        self,
        prep: PreparedRound,
        params: RoundParams,
        workers: int,
        label: IntArray,
        deadline: float,
        should_stop: ShouldStop = _never,
    ) -> None:
        self.prep, self.params, self.workers, self.label = prep, params, workers, label
        self.deadline = deadline
        self.should_stop = should_stop
        self.det_used = 0.0
        self.cut = False
        self.km = params.sibling_contact_km
        self.partners: dict[int, list[int]] = {}
        for a, b in prep.apart + prep.contact:
            self.partners.setdefault(a, []).append(b)
            self.partners.setdefault(b, []).append(a)
        self.apart_of: dict[int, list[int]] = {}
        for a, b in prep.apart:
            self.apart_of.setdefault(a, []).append(b)
            self.apart_of.setdefault(b, []).append(a)

    def value(self, chosen: IntArray) -> tuple[int, int]:
        """The plan's (children placed, weight with contact bonus)."""
        children, weight = _unit_values(self.prep, chosen, self.km)
        return int(children.sum()), int(weight.sum())

    def solve(
        self, chosen: IntArray, units: IntArray, pairs: IntArray, det_limit: float
    ) -> tuple[IntArray, tuple[int, int] | None]:
        """Free ``units`` (the rest stays fixed) over candidate ``pairs`` for at most
        ``det_limit`` deterministic seconds; returns the plan kept and CP-SAT's bound
        on the freed units' (children, weight)."""
        prep = self.prep
        free = np.zeros(prep.n_units, dtype=bool)
        free[units] = True
        fixed = np.flatnonzero(~free & (chosen >= 0))
        used = np.bincount(
            prep.pair_household[chosen[fixed]],
            weights=prep.size[fixed],
            minlength=prep.n_households,
        )
        room = prep.vacancies - used.astype(np.int64)
        ph = prep.pair_household
        pairs = pairs[room[ph[pairs]] >= prep.size[prep.pair_unit[pairs]]]
        apart: list[tuple[int, int]] = []
        contact: list[tuple[int, int]] = []
        banned: set[tuple[int, int]] = set()
        for u in units.tolist():
            for v in self.apart_of.get(u, []):
                if free[v]:
                    if u < v:
                        apart.append((u, v))
                elif chosen[v] >= 0:
                    banned.add((u, int(ph[chosen[v]])))  # never join a fixed sibling kept apart
        if banned:
            ok = [(int(prep.pair_unit[p]), int(ph[p])) not in banned for p in pairs.tolist()]
            pairs = pairs[np.array(ok, dtype=bool)]
        for a, b in prep.contact:
            if free[a] and free[b]:
                contact.append((a, b))
        out = solve_component(
            prep,
            units,
            pairs,
            {int(u): int(chosen[u]) for u in units},
            apart=apart,
            contact=contact,
            contact_km=self.km,
            det_limit=det_limit,
            deadline=self.deadline,
            seed=self.params.seed,
            workers=self.workers,
            room=room,
            should_stop=self.should_stop,
        )
        _check(self.should_stop)  # a search stopped by a cancel: its answer is not wanted
        self.det_used += out.det_time
        self.cut |= out.cut_by_wall
        if not out.chosen:
            return chosen, out.bound
        trial = chosen.copy()
        for u, p in out.chosen.items():
            trial[u] = p
        if _violations(prep, trial) or not _better(self.value(trial), self.value(chosen)):
            return chosen, out.bound
        return trial, out.bound

    def neighbourhoods(
        self, chosen: IntArray, units: IntArray, pairs: IntArray, det_budget: float
    ) -> IntArray:
        """Large-neighbourhood search for a component too big for one model.

        Each step frees a random batch of the units that break the network structure
        (sibling groups, units in `apart` or contact pairs), their partners and the
        units now holding their candidate households, and re-solves them exactly
        (up to ``_LNS_STEP_DET``) with everything else fixed. Steps run until they
        have used ``det_budget`` deterministic seconds, each also charged a fixed
        amount for building its model, so their number does not depend on the clock.
        """
        prep = self.prep
        allowed = np.zeros(prep.n_pairs, dtype=bool)
        allowed[pairs] = True
        in_comp = np.zeros(prep.n_units, dtype=bool)
        in_comp[units] = True
        special = units[
            (prep.size[units] > 1) | np.isin(units, np.array(list(self.partners), dtype=np.int64))
        ]
        if len(special) == 0:
            special = units
        rng = np.random.default_rng(self.params.seed)
        charge = DET_PER_SECOND * (_STEP_OVERHEAD_S + _PAIR_OVERHEAD_S * len(pairs))
        spent = 0.0
        while spent + charge < det_budget:
            _check(self.should_stop)
            if time.perf_counter() >= self.deadline:  # safety net: the machine is too slow
                self.cut = True
                break
            seeds = rng.choice(special, min(len(special), _LNS_SEEDS), replace=False)
            free = set(seeds.tolist())
            for u in seeds.tolist():
                free.update(v for v in self.partners.get(u, []) if in_comp[v])
            seed_pairs = np.concatenate(
                [np.arange(prep.unit_start[u], prep.unit_start[u + 1]) for u in sorted(free)]
            )
            households = np.unique(prep.pair_household[seed_pairs[allowed[seed_pairs]]])
            placed = np.flatnonzero(in_comp & (chosen >= 0))
            holders = placed[np.isin(prep.pair_household[chosen[placed]], households)]
            holders = np.setdiff1d(holders, np.array(sorted(free), dtype=np.int64))
            room_for = max(_LNS_UNITS - len(free), 0)
            if len(holders) > room_for:
                holders = rng.choice(holders, room_for, replace=False)
            batch = np.array(sorted(free | set(holders.tolist())), dtype=np.int64)
            batch_pairs = pairs[np.isin(prep.pair_unit[pairs], batch)]
            step = min(_LNS_STEP_DET, det_budget - spent - charge)
            before = self.det_used
            chosen, _ = self.solve(chosen, batch, batch_pairs, step)
            spent += self.det_used - before + charge
            self.det_used += charge
        return chosen
