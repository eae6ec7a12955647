"""Greedy plans: the round's baseline, the repair step that turns a relaxation into a
plan, and the best-fit placement of sibling groups (the kernel's one greedy sibling
placement, used as a fallback by every assignment).

In `fill_allocation` units go in priority order (highest first, then unit index) and
each takes its best household that still has room (and, in allocate mode, holds no unit
it must never share one with).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from matching.assignment.flow import allocation_relaxation
from matching.assignment.plan import homes_of, partners
from matching.assignment.prepared import IntArray, PreparedInstance


def priority_order(prep: PreparedInstance) -> IntArray:
    """Units by descending priority, ties by index (stable, deterministic)."""
    return np.lexsort((np.arange(prep.n_units), -prep.priority)).astype(np.int64)


def fill_allocation(prep: PreparedInstance, chosen: IntArray, units: IntArray) -> IntArray:
    """Give each unplaced unit in ``units`` (in that order) its best household with room.

    ``chosen[u]`` is the pair index of unit ``u`` or -1; a new array is returned and
    the existing placements are kept as they are.
    """
    chosen = chosen.copy()
    used = np.zeros(prep.n_households, dtype=np.int64)
    placed = chosen >= 0
    np.add.at(used, prep.pair_household[chosen[placed]], prep.size[placed])
    room = (prep.vacancies - used).tolist()
    units_left = (
        prep.unit_limit
        - np.bincount(prep.pair_household[chosen[placed]], minlength=prep.n_households)
    ).tolist()
    apart = partners(prep.never_together)
    ph = prep.pair_household.tolist()
    start = prep.unit_start.tolist()
    size = prep.size.tolist()
    home = [ph[p] if p >= 0 else -1 for p in chosen.tolist()]
    for u in units.tolist():
        if home[u] >= 0:
            continue
        s = size[u]
        for p in range(start[u], start[u + 1]):
            h = ph[p]
            if (
                room[h] >= s
                and units_left[h] > 0
                and not any(home[v] == h for v in apart.get(u, ()))
            ):
                room[h] -= s
                units_left[h] -= 1
                home[u] = h
                chosen[u] = p
                break
    return chosen


def raise_tiers(prep: PreparedInstance, chosen: IntArray) -> IntArray:
    """Move each unit, in priority order, to its best household of a higher tier than
    the one it holds (any tier when unplaced) that has room for it and holds none of its
    never-together partners, until no such move is left.

    Each move keeps or raises the children placed and raises the tiers, so the plan's
    lexicographic value only grows. It makes the tier invariant hold whatever stopped
    the search: no unit sits below a tier of its own whose household could take it (a
    unit with a feasible connected household with room is never left with strangers).
    """
    tiers = prep.tiers()
    if not tiers.any():
        return chosen
    chosen = chosen.copy()
    home = homes_of(prep, chosen)
    placed = chosen >= 0
    used = np.bincount(home[placed], weights=prep.size[placed], minlength=prep.n_households)
    room = (prep.vacancies - used.astype(np.int64)).tolist()
    units_left = (prep.unit_limit - np.bincount(home[placed], minlength=prep.n_households)).tolist()
    apart = partners(prep.never_together)
    ph, start, size = prep.pair_household.tolist(), prep.unit_start.tolist(), prep.size.tolist()
    tier = tiers.tolist()
    holds = home.tolist()
    moved = True
    while moved:
        moved = False
        for u in priority_order(prep).tolist():
            current = -1 if chosen[u] < 0 else tier[int(chosen[u])]
            for p in range(start[u], start[u + 1]):  # best tier, then best score, first
                if tier[p] <= current:
                    break
                h = ph[p]
                if room[h] < size[u] or units_left[h] < 1:
                    continue
                if any(holds[v] == h for v in apart.get(u, ())):
                    continue
                old = holds[u]
                if old >= 0:
                    room[old] += size[u]
                    units_left[old] += 1
                room[h] -= size[u]
                units_left[h] -= 1
                holds[u], chosen[u] = h, p
                moved = True
                break
    return chosen


def greedy_allocation(prep: PreparedInstance) -> IntArray:
    """The greedy allocation: ``chosen[u]`` is a pair index or -1."""
    return fill_allocation(prep, np.full(prep.n_units, -1, dtype=np.int64), priority_order(prep))


def greedy_shortlist(prep: PreparedInstance, per_unit: int, max_appearances: int) -> IntArray:
    """Greedy shortlists: each unit in priority order takes its best K households that
    appear in fewer than M shortlists so far. Returns the chosen pair indices."""
    if per_unit <= 0 or max_appearances <= 0:
        return np.zeros(0, dtype=np.int64)
    count = [0] * prep.n_households
    ph = prep.pair_household.tolist()
    start = prep.unit_start.tolist()
    picked: list[int] = []
    for u in priority_order(prep).tolist():
        taken = 0
        for p in range(start[u], start[u + 1]):
            if taken == per_unit:
                break
            h = ph[p]
            if count[h] < max_appearances:
                count[h] += 1
                picked.append(p)
                taken += 1
    return np.array(sorted(picked), dtype=np.int64)


def best_fit_allocation(prep: PreparedInstance) -> IntArray:
    """Sibling groups and one unit of each never-together pair first, then the single
    children by flow.

    The constrained units go largest first (then fewest options, then index), each to
    the household with the least room that fits it and holds none of its
    never-together partners (best fit keeps roomy households for the groups still to
    come); the single children then get a min-cost flow on the room left, which is
    exact for them. It complements `greedy_allocation` (priority order, best weight
    first) as a fallback: it often places every child a bound allows.
    """
    chosen = np.full(prep.n_units, -1, dtype=np.int64)
    room = prep.vacancies.copy()
    units_left = prep.unit_limit.copy()
    apart = partners(prep.never_together)
    degree = np.diff(prep.unit_start)
    units = np.arange(prep.n_units, dtype=np.int64)
    # Of each never-together pair one unit goes first, the one with more partners (a
    # child who must not live with younger children is kept apart from many units,
    # each of them from few): the others are single children again for the flow, kept
    # out of the households where a partner went.
    cover = {a if len(apart[a]) >= len(apart[b]) else b for a, b in prep.never_together}
    in_pair = np.isin(units, np.fromiter(cover, dtype=np.int64, count=len(cover)))
    constrained = units[(prep.size > 1) | in_pair]
    order = constrained[np.lexsort((constrained, degree[constrained], -prep.size[constrained]))]
    home = np.full(prep.n_units, -1, dtype=np.int64)
    for u in order.tolist():
        pairs = np.arange(prep.unit_start[u], prep.unit_start[u + 1])
        hs = prep.pair_household[pairs]
        ok = (room[hs] >= prep.size[u]) & (units_left[hs] > 0)
        banned = [int(home[v]) for v in apart.get(u, ()) if home[v] >= 0]
        if banned:
            ok &= ~np.isin(hs, banned)
        if not ok.any():
            continue
        at = int(np.flatnonzero(ok)[np.argmin(room[hs[ok]])])
        chosen[u], home[u] = pairs[at], hs[at]
        room[hs[at]] -= prep.size[u]
        units_left[hs[at]] -= 1
    singles = (prep.size == 1) & ~in_pair
    # a single child is one unit and one child: the room left for them is both at once
    room = np.minimum(room, units_left)
    usable = singles[prep.pair_unit] & (room[prep.pair_household] >= 1)
    n_h = max(prep.n_households, 1)
    blocked = [v * n_h + int(home[u]) for u in cover if home[u] >= 0 for v in apart[u]]
    if blocked:
        usable &= ~np.isin(prep.pair_unit * n_h + prep.pair_household, blocked)
    kept = np.flatnonzero(usable)
    if len(kept):
        rest = dataclasses.replace(
            prep,
            vacancies=room,
            pair_unit=prep.pair_unit[kept],
            pair_household=prep.pair_household[kept],
            pair_score=prep.pair_score[kept],
            weight=prep.weight[kept],
            tier=None if prep.tier is None else prep.tier[kept],
        )
        flow = allocation_relaxation(rest).pair_flow
        took = kept[flow > 0]
        chosen[prep.pair_unit[took]] = took
    return chosen
