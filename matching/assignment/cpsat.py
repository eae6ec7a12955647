"""CP-SAT model of one component of an assignment: rounds and the gap report share it.

What breaks the network structure lives here: sibling units that use several
vacancies of one household (a generalised assignment), never-together pairs, and the
sibling contact bonus. One boolean per candidate pair, nothing else per pair; weights
come already scaled from `matching.assignment.prepared` (the one place scores become
integers). The gap report's instances have every score 0, so the same model maximises
the children placed alone. The budget and worker policy (one worker, deterministic
time, the wall clock as a safety net) is explained in `matching.assignment.search`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from ortools.sat.python import cp_model

from matching.assignment.prepared import IntArray, PreparedInstance
from matching.geo import haversine_km

DEFAULT_WORKERS = 1
# CP-SAT's time limit is soft (presolve can overrun it): a timer stops the search this
# long after the limit, and the caller keeps its fallback if nothing better came back.
_STOP_GRACE_S = 0.5
# How often a solve asks its caller's `should_stop` whether to stop (a cancelled round).
_STOP_POLL_S = 0.1


@dataclass(frozen=True)
class ComponentOutcome:
    """CP-SAT's answer for one component.

    ``chosen`` maps each unit of the component to a pair index or -1 (empty when no
    solution was found). ``bound`` is (children, weight) — a lexicographic upper bound
    derived from CP-SAT's objective bound — valid for the modelled candidate pairs.
    """

    chosen: dict[int, int]
    status: str
    bound: tuple[int, int] | None
    # deterministic seconds CP-SAT spent (reproducible for one worker)
    det_time: float = 0.0
    # the wall-clock safety net may have stopped the search before its deterministic limit
    cut_by_wall: bool = False


def contact_near_pairs(
    prep: PreparedInstance, pairs_a: list[int], pairs_b: list[int], km: float
) -> dict[int, list[int]]:
    """For each candidate pair of unit a, the candidate pairs of unit b within ``km``."""
    if not pairs_a or not pairs_b:
        return {}
    ha = prep.pair_household[np.array(pairs_a)]
    hb = prep.pair_household[np.array(pairs_b)]
    d = haversine_km(
        prep.lat[ha][:, None], prep.lon[ha][:, None], prep.lat[hb][None, :], prep.lon[hb][None, :]
    )
    near = (d <= km) | (ha[:, None] == hb[None, :])
    return {
        p: [pairs_b[j] for j in np.flatnonzero(near[i]).tolist()] for i, p in enumerate(pairs_a)
    }


class ComponentModel:
    """Builds the model in steps, one kind of constraint per method."""

    # the method adding each constraint family of `matching.assignment.plan`
    FAMILY_METHODS: ClassVar[dict[str, str]] = {
        "feasible_pair": "add_one_home_per_unit",
        "capacity": "add_capacity",
        "never_together": "add_never_together",
        "unit_limit": "add_unit_limit",
    }

    def __init__(
        self,
        prep: PreparedInstance,
        units: IntArray,
        pairs: IntArray,
        room: IntArray,
        units_left: IntArray | None = None,
    ) -> None:
        self.prep = prep
        self.room = room
        self.units_left = prep.unit_limit if units_left is None else units_left
        self.model = cp_model.CpModel()
        self.pairs = [int(p) for p in np.sort(pairs)]
        self.x = {p: self.model.new_bool_var(f"x{p}") for p in self.pairs}
        self.by_unit: dict[int, list[int]] = {int(u): [] for u in units}
        self.by_household: dict[int, list[int]] = {}
        for p in self.pairs:
            self.by_unit[int(prep.pair_unit[p])].append(p)
            self.by_household.setdefault(int(prep.pair_household[p]), []).append(p)
        self.z: dict[tuple[int, int], cp_model.IntVar] = {}
        self.near: dict[tuple[int, int], dict[int, list[int]]] = {}

    def add_one_home_per_unit(self) -> None:
        """A unit goes to at most one household, whole."""
        for ps in self.by_unit.values():
            if len(ps) > 1:
                self.model.add_at_most_one(self.x[p] for p in ps)

    def add_capacity(self) -> None:
        """Children placed in a household never exceed its room."""
        size, vac = self.prep.size, self.room
        for h, ps in self.by_household.items():
            sizes = [int(size[self.prep.pair_unit[p]]) for p in ps]
            if sum(sizes) > vac[h]:
                self.model.add(
                    cp_model.LinearExpr.weighted_sum([self.x[p] for p in ps], sizes) <= int(vac[h])
                )

    def add_unit_limit(self) -> None:
        """A household takes at most its limit of units (where that binds before its
        room does: every unit holds at least one child)."""
        for h, ps in self.by_household.items():
            limit = int(self.units_left[h])
            if len(ps) > limit and limit < self.room[h]:
                self.model.add(sum(self.x[p] for p in ps) <= limit)

    def add_never_together(self, pairs: list[tuple[int, int]]) -> None:
        """Units of a never-together pair (siblings assessed apart, a co-placement rule)
        never share a household.

        Vectorised, one constraint per (unit, household) of the unit with more partners:
        x[hub, h] implies no partner at h. A child who must be the only one placed has a
        partner in every unit sharing a household, so one pair-by-pair clause each
        (hundreds of thousands at 10,000 children) cost more to build than to solve.
        """
        if not pairs or not self.pairs:
            return
        prep = self.prep
        model_pairs = np.array(self.pairs, dtype=np.int64)  # sorted
        unit = prep.pair_unit[model_pairs]
        household = prep.pair_household[model_pairs]
        n_h = max(prep.n_households, 1)
        # the model's pairs by (unit, household), and each unit's run of them
        key = unit * n_h + household
        order = np.argsort(key, kind="stable")
        key_sorted = key[order]
        ab = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        degree = np.bincount(ab.ravel(), minlength=prep.n_units)
        swap = degree[ab[:, 1]] > degree[ab[:, 0]]
        hub = np.where(swap, ab[:, 1], ab[:, 0])
        other = np.where(swap, ab[:, 0], ab[:, 1])
        units_sorted = unit[order]
        start = np.searchsorted(units_sorted, other, side="left")
        end = np.searchsorted(units_sorted, other, side="right")
        lengths = end - start
        if not lengths.sum():
            return
        conflict = np.repeat(np.arange(len(ab)), lengths)
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        q_at = order[np.repeat(start, lengths) + offsets]  # the partner's model pairs
        want = hub[conflict] * n_h + household[q_at]
        pos = np.minimum(np.searchsorted(key_sorted, want), len(key_sorted) - 1)
        found = key_sorted[pos] == want
        p_at = order[pos[found]]
        q_at = q_at[found]
        if not len(p_at):
            return
        by_p = np.lexsort((q_at, p_at))
        p_at, q_at = p_at[by_p], q_at[by_p]
        cuts = np.flatnonzero(np.diff(p_at)) + 1
        for ps, qs in zip(np.split(p_at, cuts), np.split(q_at, cuts), strict=True):
            x_p = self.x[int(model_pairs[ps[0]])]
            partners_at = [self.x[int(model_pairs[q])] for q in np.unique(qs).tolist()]
            if len(partners_at) == 1:
                self.model.add_at_most_one([x_p, partners_at[0]])
            else:
                self.model.add_bool_and([~x for x in partners_at]).only_enforce_if(x_p)

    def add_sibling_contact(self, contact: list[tuple[int, int]], km: float) -> None:
        """z[a,b] may be 1 only if both are placed and b's household is within km of a's."""
        for a, b in contact:
            pa, pb = self.by_unit.get(a, []), self.by_unit.get(b, [])
            if not pa or not pb:
                continue
            near = contact_near_pairs(self.prep, pa, pb, km)
            if not any(near.values()):
                continue
            z = self.model.new_bool_var(f"z{a}_{b}")
            self.z[(a, b)], self.near[(a, b)] = z, near
            self.model.add(z <= sum(self.x[p] for p in pa))
            for p in pa:
                self.model.add(z <= 1 - self.x[p] + sum(self.x[q] for q in near[p]))

    def add_objective(self) -> int:
        """Children first (each worth BIG), then weight and contact bonus. Returns BIG."""
        prep = self.prep
        best = sum(int(prep.weight[ps].max()) for ps in self.by_unit.values() if ps)
        bonus = prep.contact_bonus
        big = best + bonus * len(self.z) + 1
        coeffs = [big * int(prep.size[prep.pair_unit[p]]) + int(prep.weight[p]) for p in self.pairs]
        terms = [self.x[p] for p in self.pairs]
        if bonus:
            terms += list(self.z.values())
            coeffs += [bonus] * len(self.z)
        self.model.maximize(cp_model.LinearExpr.weighted_sum(terms, coeffs))
        return big

    def add_hint(self, hint: dict[int, int]) -> None:
        """Start from the current plan (a complete, feasible hint)."""
        chosen = {p for p in hint.values() if p >= 0}
        for p in self.pairs:
            self.model.add_hint(self.x[p], p in chosen)
        for (a, b), z in self.z.items():
            pa, pb = hint.get(a, -1), hint.get(b, -1)
            self.model.add_hint(z, pa >= 0 and pb in self.near[(a, b)].get(pa, []))


def solve_component(
    prep: PreparedInstance,
    units: IntArray,
    pairs: IntArray,
    hint: dict[int, int],
    *,
    never_together: list[tuple[int, int]],
    contact: list[tuple[int, int]],
    contact_km: float,
    det_limit: float,
    deadline: float,
    seed: int,
    workers: int,
    room: IntArray | None = None,
    units_left: IntArray | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ComponentOutcome:
    """Solve one component with CP-SAT, starting from ``hint`` (unit -> pair or -1).

    ``det_limit`` is the search's budget in CP-SAT deterministic seconds: it decides
    where the search stops, reproducibly. ``deadline`` is a ``time.perf_counter()``
    instant used only as a safety net (the wall time left once the model is built);
    ``cut_by_wall`` in the outcome says whether it may have stopped the search first.
    ``room`` and ``units_left`` override the households' vacancies and unit limits (what
    units held fixed outside the model leave). ``should_stop``, asked every
    ``_STOP_POLL_S`` while CP-SAT searches, stops the search when it answers True (the
    caller then raises).
    """
    cm = ComponentModel(prep, units, pairs, prep.vacancies if room is None else room, units_left)
    cm.add_one_home_per_unit()
    cm.add_capacity()
    cm.add_unit_limit()
    cm.add_never_together(never_together)
    if prep.contact_bonus:
        cm.add_sibling_contact(contact, contact_km)
    big = cm.add_objective()
    cm.add_hint(hint)
    time_limit_s = max(deadline - time.perf_counter(), 0.05)
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.max_time_in_seconds = time_limit_s
    prm.max_deterministic_time = max(det_limit, 1e-3)
    prm.random_seed = seed
    prm.num_workers = workers
    if workers == 1:
        prm.linearization_level = 2
    timer = threading.Timer(time_limit_s + _STOP_GRACE_S, solver.stop_search)
    timer.daemon = True
    timer.start()
    solved = threading.Event()
    if should_stop is not None:
        asked = should_stop

        def watch() -> None:
            while not solved.wait(_STOP_POLL_S):
                if asked():
                    solver.stop_search()
                    return

        threading.Thread(target=watch, daemon=True, name="cp-sat-stop").start()
    try:
        status = solver.solve(cm.model)
    finally:
        solved.set()
        timer.cancel()
    name = solver.status_name(status)
    det = float(solver.deterministic_time)
    # a search that neither finished nor used its deterministic budget was stopped by
    # the wall clock (or the deadline had passed before it could start)
    finished = status in (cp_model.OPTIMAL, cp_model.INFEASIBLE, cp_model.MODEL_INVALID)
    cut = not finished and det < prm.max_deterministic_time
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ComponentOutcome({}, name, None, det, cut)
    values = solver.response_proto.solution
    chosen = {u: -1 for u in cm.by_unit}
    for p in cm.pairs:
        if values[cm.x[p].index]:
            chosen[int(prep.pair_unit[p])] = p
    # the bound is on BIG × children + weight: split it lexicographically
    b = int(np.floor(solver.best_objective_bound + 1e-6))
    return ComponentOutcome(chosen, name, (b // big, b % big), det, cut)
