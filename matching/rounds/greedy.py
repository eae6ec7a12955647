"""Greedy rounds: the baseline and the repair step that turns a relaxation into a plan.

Units go in priority order (highest first, then unit index) and each takes its best
household that still has room (and, in allocate mode, holds no unit it must be kept
apart from).
"""

from __future__ import annotations

import numpy as np

from matching.rounds.prep import IntArray, PreparedRound


def priority_order(prep: PreparedRound) -> IntArray:
    """Units by descending priority, ties by index (stable, deterministic)."""
    return np.lexsort((np.arange(prep.n_units), -prep.priority)).astype(np.int64)


def apart_partners(prep: PreparedRound) -> list[list[int]]:
    """For each unit, the units it must never share a household with."""
    partners: list[list[int]] = [[] for _ in range(prep.n_units)]
    for a, b in prep.apart:
        partners[a].append(b)
        partners[b].append(a)
    return partners


def fill_allocation(prep: PreparedRound, chosen: IntArray, units: IntArray) -> IntArray:
    """Give each unplaced unit in ``units`` (in that order) its best household with room.

    ``chosen[u]`` is the pair index of unit ``u`` or -1; a new array is returned and
    the existing placements are kept as they are.
    """
    chosen = chosen.copy()
    used = np.zeros(prep.n_households, dtype=np.int64)
    placed = chosen >= 0
    np.add.at(used, prep.pair_household[chosen[placed]], prep.size[placed])
    room = (prep.vacancies - used).tolist()
    partners = apart_partners(prep)
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
            if room[h] >= s and not any(home[v] == h for v in partners[u]):
                room[h] -= s
                home[u] = h
                chosen[u] = p
                break
    return chosen


def greedy_allocation(prep: PreparedRound) -> IntArray:
    """The greedy allocation: ``chosen[u]`` is a pair index or -1."""
    return fill_allocation(prep, np.full(prep.n_units, -1, dtype=np.int64), priority_order(prep))


def greedy_shortlist(prep: PreparedRound, per_unit: int, max_appearances: int) -> IntArray:
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
