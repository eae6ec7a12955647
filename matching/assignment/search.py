"""The assignment search: most children placed, then the largest weight, within a budget.

`assign(prep, budget)` is what an allocate round and the gap report's placeable count
both run (the report with every score 0, so its objective is the children placed):

1. The flow relaxation (siblings split child by child, never-together pairs ignored;
   it equals the LP relaxation) gives, per connected component of the feasibility
   graph, an exact lexicographic upper bound (children, weight) on the unpruned
   structure; the contact bonus is bounded by granting it to every sibling pair that
   could earn it.
2. Its integral part, repaired greedily, the plain greedy plan and the best-fit
   placement of sibling groups are the candidate plans; the best is the fallback, and
   no answer is ever worse.
3. A component whose fallback already meets its bound is proven optimal (this is every
   component when all units are single children and no never-together pair binds: it
   is then a network problem solved exactly by min-cost flow). The others go to CP-SAT
   (`ComponentModel`), smallest first, sharing the budget:
   - up to FULL_MODEL_PAIRS pairs: modelled whole, and CP-SAT's bound tightens the
     component's bound;
   - larger: pruned to each unit's best ``prune_to`` candidates plus the relaxation's
     and the fallback's arcs, then improved by a large-neighbourhood search (each
     step frees ~_LNS_UNITS units around sibling groups and never-together/contact
     pairs and re-solves them exactly with the rest fixed); up to SINGLE_MODEL_PAIRS
     the rest of the budget goes to one model of the whole pruned component, which
     often proves the pruned optimum.
4. Every CP-SAT plan is re-checked (`plan_problems`) and kept only when it beats the
   current plan, so the result is never below the flow/greedy fallback.

Budget, workers and determinism (the one place this is explained). A caller's time
limit is turned once into a budget of CP-SAT deterministic seconds (``DET_PER_SECOND``
× the limit: CP-SAT counts work, not time, so the budget means the same on a busy or an
idle machine). The budget is shared among components by their pair counts (what one
leaves unused goes to the next); the neighbourhood search runs steps until the
deterministic seconds they used (plus a fixed charge per step for model building) reach
its share, each step capped at ``_LNS_STEP_DET``; every CP-SAT solve has
``max_deterministic_time`` set. One worker (``DEFAULT_WORKERS``): measured on this
2-core machine (benchmarks/rounds.py), a single worker with ``linearization_level=2``
proved the 1k×2k sibling rounds as fast as 8 workers with a fraction of the memory, and
a single worker is deterministic, so flows, greedy and CP-SAT together give the same
plan for the same instance, seed and budget. The wall clock is only a safety net: each
solve also has ``max_time_in_seconds`` up to the deadline and a timer that stops it, and
no component or step starts once the deadline has passed; ``Assignment.cut`` says when
it may have fired (the result is then still valid and never below the fallback, but may
differ from run to run). More workers may be asked for; CP-SAT's parallel portfolio is
not deterministic.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from matching.assignment.cpsat import DEFAULT_WORKERS, solve_component
from matching.assignment.flow import Relaxation, allocation_relaxation
from matching.assignment.greedy import (
    best_fit_allocation,
    fill_allocation,
    greedy_allocation,
    priority_order,
    raise_tiers,
)
from matching.assignment.plan import (
    components,
    homes_of,
    partners,
    plan_problems,
    plan_value,
    total_value,
)
from matching.assignment.prepared import SIBLINGS_APART, IntArray, PreparedInstance
from matching.errors import Cancelled

Progress = Callable[[str, float], None]

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

# Measured on this 2-core machine (1k×2k sibling round, one worker, 47 solves): 1.42
# deterministic s in 11.8 s of CP-SAT wall time (0.12 per second), 0.094-0.12 per second
# of the whole round including model building and the flow phase. 0.08 uses about half
# the limit on an idle machine (8-12 s of 20 s, gap 0.24-0.27%, as good as the
# wall-clock search it replaced), so the wall-clock safety net does not fire unless the
# machine is about twice as slow.
DET_PER_SECOND = 0.08
# one neighbourhood step may use at most this many deterministic seconds (typical
# steps use 0.01-0.02 and finish)
_LNS_STEP_DET = 0.3
# a step is also charged for its model building (Python, not counted by CP-SAT):
# about _STEP_OVERHEAD_S plus _PAIR_OVERHEAD_S per candidate pair of the component
_STEP_OVERHEAD_S = 0.03
_PAIR_OVERHEAD_S = 5e-7


def no_progress(stage: str, fraction: float) -> None:
    """A progress callback that reports nothing."""
    return None


@dataclass(frozen=True)
class Budget:
    """How much search an assignment may use (see the module docstring).

    ``det_seconds`` is the CP-SAT budget in deterministic seconds; ``deadline`` a
    ``time.perf_counter()`` instant, the wall-clock safety net only. ``should_stop``
    (a person cancelled the round) is asked between components and steps and, while
    CP-SAT searches, every tenth of a second; when it answers True the search stops and
    ``matching.errors.Cancelled`` is raised.
    """

    det_seconds: float
    deadline: float
    seed: int = 0
    workers: int = DEFAULT_WORKERS
    prune_to: int = 12
    contact_km: float = 25.0
    should_stop: Callable[[], bool] | None = field(default=None, compare=False)

    def check(self) -> None:
        """Raise Cancelled when the search has been asked to stop."""
        if self.should_stop is not None and self.should_stop():
            raise Cancelled("the search was cancelled")

    @classmethod
    def for_time_limit(
        cls,
        time_limit_s: float,
        *,
        started: float,
        seed: int = 0,
        workers: int = DEFAULT_WORKERS,
        prune_to: int = 12,
        contact_km: float = 25.0,
        should_stop: Callable[[], bool] | None = None,
    ) -> Budget:
        """The budget of a search given ``time_limit_s`` from ``started``."""
        return cls(
            det_seconds=DET_PER_SECOND * max(time_limit_s, 0.0),
            deadline=started + time_limit_s,
            seed=seed,
            workers=workers,
            prune_to=prune_to,
            contact_km=contact_km,
            should_stop=should_stop,
        )


@dataclass(frozen=True)
class Assignment:
    """A plan (``chosen[u]``: pair index or -1), valid by construction and re-checked,
    with a proven lexicographic upper bound (children, weight) on any plan."""

    chosen: IntArray
    bound: tuple[int, int]
    used_cp_sat: bool
    # the wall-clock safety net may have stopped a search before its deterministic budget
    cut: bool

    @property
    def deterministic(self) -> bool:
        """Whether the same instance and budget give this same plan on any run."""
        return not self.cut


def assign(
    prep: PreparedInstance,
    budget: Budget,
    report: Progress = no_progress,
    *,
    start: IntArray | None = None,
) -> Assignment:
    """The best plan found within ``budget``, and its bound (see the module docstring).

    ``start`` is a valid plan known to the caller (pair index per unit or -1): it joins
    the fallback candidates, and wins a tie with them.
    """
    km = budget.contact_km
    if prep.n_pairs == 0:  # nothing can be placed: that is the (proven) optimum
        return Assignment(np.full(prep.n_units, -1, dtype=np.int64), (0, 0), False, False)
    report("flow_relaxation", 0.0)
    relax = allocation_relaxation(prep)
    candidates = [_from_relaxation(prep, relax), greedy_allocation(prep), best_fit_allocation(prep)]
    if start is not None:
        if plan_problems(prep, start):
            raise ValueError("the starting plan breaks a constraint")
        candidates.insert(0, start)
    chosen = max(candidates, key=lambda plan: total_value(prep, plan, km)).copy()
    report("components", 0.1)
    budget.check()

    n_comp, label, _ = components(
        prep.n_units,
        prep.n_households,
        prep.pair_unit,
        prep.pair_household,
        prep.never_together + prep.contact,
    )
    unit_children, unit_weight = plan_value(prep, chosen, km)
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
    search = _Search(prep, budget)
    if open_comps:
        units_of = np.argsort(label, kind="stable")
        ustart = np.searchsorted(label[units_of], np.arange(n_comp + 1))
        pairs_of_comp = np.argsort(pair_comp, kind="stable")
        pstart = np.searchsorted(pair_comp[pairs_of_comp], np.arange(n_comp + 1))
        size_of = {c: int(pstart[c + 1] - pstart[c]) for c in open_comps}
        open_comps.sort(key=lambda c: (size_of[c], c))
        rank = np.arange(prep.n_pairs) - prep.unit_start[prep.pair_unit]
        left = sum(size_of.values())
        for i, c in enumerate(open_comps):
            budget.check()
            if time.perf_counter() >= budget.deadline:  # safety net: the machine is too slow
                search.cut = True
                break
            comp_budget = (budget.det_seconds - search.det_used) * size_of[c] / max(left, 1)
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
            keep = (rank[pairs] < budget.prune_to) | (relax.pair_flow[pairs] > 0)
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
    # whatever stopped the search, no unit is left below a tier of its own with room,
    # and no two units could exchange households to meet a higher tier more often
    chosen = raise_tiers(prep, chosen)
    while True:
        swapped = exchange_tiers(prep, chosen)
        if swapped is chosen:
            break
        chosen = raise_tiers(prep, swapped)
    report("done", 1.0)
    if plan_problems(prep, chosen):  # pragma: no cover - every plan kept was re-checked
        raise RuntimeError("internal error: the plan breaks a hard constraint")
    bound = (sum(b[0] for b in bounds.values()), sum(b[1] for b in bounds.values()))
    return Assignment(chosen, bound, used_cp_sat, search.cut)


def exchange_tiers(prep: PreparedInstance, chosen: IntArray) -> IntArray:
    """Exchange the households of two placed units wherever that raises their tiers
    (the tier weights of `prepare`: lexicographic, so the pair of units meets a higher
    tier more often, whatever it loses below it), until no such exchange is left.

    Both keep a feasible pair, both households stay within their vacancies (the units'
    sizes may differ), no never-together partner is met, and unit counts do not change;
    the children placed stay the same and the tiers rise, so the plan's lexicographic
    value only grows. Returns `chosen` itself when nothing changed.
    """
    tiers = prep.tiers()
    if not tiers.any():
        return chosen
    may = _may_exchange(prep, chosen, tiers)
    if not len(may):
        return chosen
    n_h = max(prep.n_households, 1)
    pair_at = {
        int(k): p for p, k in enumerate((prep.pair_unit * n_h + prep.pair_household).tolist())
    }
    home = homes_of(prep, chosen)
    placed = chosen >= 0
    used = np.bincount(home[placed], weights=prep.size[placed], minlength=prep.n_households)
    room = (prep.vacancies - used.astype(np.int64)).tolist()
    holders: dict[int, list[int]] = {}
    for u in np.flatnonzero(placed).tolist():
        holders.setdefault(int(home[u]), []).append(u)
    apart = partners(prep.never_together)
    tier, size, ph = tiers.tolist(), prep.size.tolist(), prep.pair_household.tolist()
    start = prep.unit_start.tolist()
    out = chosen.copy()
    changed = True
    while changed:  # sweeps until one exchanges nothing
        changed = False
        for u in may.tolist():
            if _exchange_one(u, out, tier, size, ph, start, pair_at, n_h, room, holders, apart):
                changed = True
        may = _may_exchange(prep, out, tiers)
    return out if (out != chosen).any() else chosen


def _may_exchange(prep: PreparedInstance, chosen: IntArray, tiers: IntArray) -> IntArray:
    """Placed units with an exchange that would raise the tiers, room and partners not
    yet asked (vectorised: most plans have none, and then no unit is looked at)."""
    n_h = max(prep.n_households, 1)
    home = homes_of(prep, chosen)
    placed = np.flatnonzero(chosen >= 0)
    by_home = placed[np.argsort(home[placed], kind="stable")]
    held = home[by_home]
    pu = prep.pair_unit
    q = np.flatnonzero((chosen[pu] >= 0) & (prep.pair_household != home[pu]))
    lo = np.searchsorted(held, prep.pair_household[q], side="left")
    hi = np.searchsorted(held, prep.pair_household[q], side="right")
    count = hi - lo
    if not count.sum():
        return np.zeros(0, dtype=np.int64)
    qq = np.repeat(q, count)
    offsets = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    v = by_home[np.repeat(lo, count) + offsets]
    u = prep.pair_unit[qq]
    keys = prep.pair_unit * n_h + prep.pair_household
    order = np.argsort(keys, kind="stable")
    want = v * n_h + home[u]
    at = np.minimum(np.searchsorted(keys[order], want), len(order) - 1)
    found = keys[order][at] == want
    r = order[at]
    better = tiers[qq] + tiers[r] > tiers[chosen[u]] + tiers[chosen[v]]
    out: IntArray = np.unique(u[found & better])
    return out


def _exchange_one(
    u: int,
    out: IntArray,
    tier: list[int],
    size: list[int],
    ph: list[int],
    start: list[int],
    pair_at: dict[int, int],
    n_h: int,
    room: list[int],
    holders: dict[int, list[int]],
    apart: dict[int, list[int]],
) -> bool:
    """The first exchange of placed unit `u`'s household that raises the tiers, made in
    `out`, `room` and `holders`; False when there is none."""
    p = int(out[u])
    hu = ph[p]
    for q in range(start[u], start[u + 1]):
        hv = ph[q]
        if hv == hu:
            continue
        for v in holders.get(hv, []):
            r = pair_at.get(v * n_h + hu)
            if r is None or tier[q] + tier[r] <= tier[p] + tier[int(out[v])]:
                continue
            if room[hu] + size[u] < size[v] or room[hv] + size[v] < size[u]:
                continue
            if any(w != v and w in apart.get(u, ()) for w in holders[hv]) or any(
                w != u and w in apart.get(v, ()) for w in holders[hu]
            ):
                continue
            room[hu] += size[u] - size[v]
            room[hv] += size[v] - size[u]
            holders[hu][holders[hu].index(u)] = v
            holders[hv][holders[hv].index(v)] = u
            out[u], out[v] = q, r
            return True
    return False


def _from_relaxation(prep: PreparedInstance, relax: Relaxation) -> IntArray:
    """The relaxation's whole placements that keep the never-together pairs, then
    greedy for the rest."""
    chosen = np.full(prep.n_units, -1, dtype=np.int64)
    whole = np.flatnonzero(relax.pair_flow == prep.size[prep.pair_unit])
    # the relaxation knows no unit limit: keep the best-weighted units within each limit
    whole = whole[np.lexsort((whole, -prep.weight[whole], prep.pair_household[whole]))]
    households = prep.pair_household[whole]
    first = np.searchsorted(households, households)
    whole = whole[np.arange(len(whole)) - first < prep.unit_limit[households]]
    chosen[prep.pair_unit[whole]] = whole
    for a, b in prep.never_together:
        pa, pb = chosen[a], chosen[b]
        if pa >= 0 and pb >= 0 and prep.pair_household[pa] == prep.pair_household[pb]:
            chosen[b if prep.weight[pb] < prep.weight[pa] else a] = -1
    return fill_allocation(prep, chosen, priority_order(prep))


class _Search:
    """CP-SAT improvement of a feasible plan, one (sub)model at a time.

    Every answer is re-checked by ``plan_problems`` and kept only if the whole plan's
    (children, weight) value improves, so the plan never gets worse. ``det_used`` sums
    the deterministic seconds spent (and charged); ``cut`` records that the wall-clock
    safety net may have changed the outcome.
    """

    def __init__(self, prep: PreparedInstance, budget: Budget) -> None:
        self.prep, self.budget = prep, budget
        self.det_used = 0.0
        self.cut = False
        self.km = budget.contact_km
        # units whose placement interacts beyond the network structure
        self.linked = partners(prep.never_together + prep.contact)
        self.apart_of = partners(prep.never_together)
        # the partners a neighbourhood frees with its seeds: siblings (apart, contact).
        # A co-placement partner matters only where it holds one of the seed's
        # households, and the units holding those are freed anyway; freeing every one
        # (a child who must be the only one placed has a partner in every unit sharing
        # a household) would swell each neighbourhood far past _LNS_UNITS.
        siblings = [
            pair
            for pair, why in zip(prep.never_together, prep.never_together_reason, strict=True)
            if why == SIBLINGS_APART
        ]
        self.freed_with = partners(siblings + list(prep.contact))

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
        units_left = prep.unit_limit - np.bincount(ph[chosen[fixed]], minlength=prep.n_households)
        pairs = pairs[
            (room[ph[pairs]] >= prep.size[prep.pair_unit[pairs]]) & (units_left[ph[pairs]] > 0)
        ]
        apart: list[tuple[int, int]] = []
        contact: list[tuple[int, int]] = []
        banned: set[tuple[int, int]] = set()
        for u in units.tolist():
            for v in self.apart_of.get(u, []):
                if free[v]:
                    if u < v:
                        apart.append((u, v))
                elif chosen[v] >= 0:
                    banned.add((u, int(ph[chosen[v]])))  # never join a fixed unit kept apart
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
            never_together=apart,
            contact=contact,
            contact_km=self.km,
            det_limit=det_limit,
            deadline=self.budget.deadline,
            seed=self.budget.seed,
            workers=self.budget.workers,
            room=room,
            units_left=units_left,
            should_stop=self.budget.should_stop,
        )
        self.budget.check()  # a search stopped by a cancel: its answer is not wanted
        self.det_used += out.det_time
        self.cut |= out.cut_by_wall
        if not out.chosen:
            return chosen, out.bound
        trial = chosen.copy()
        for u, p in out.chosen.items():
            trial[u] = p
        if plan_problems(prep, trial) or not (
            total_value(prep, trial, self.km) > total_value(prep, chosen, self.km)
        ):
            return chosen, out.bound
        return trial, out.bound

    def neighbourhoods(
        self, chosen: IntArray, units: IntArray, pairs: IntArray, det_budget: float
    ) -> IntArray:
        """Large-neighbourhood search for a component too big for one model.

        Each step frees a random batch of the units that break the network structure
        (sibling groups, units in never-together or contact pairs), their partners and
        the units now holding their candidate households, and re-solves them exactly
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
            (prep.size[units] > 1) | np.isin(units, np.array(list(self.linked), dtype=np.int64))
        ]
        if len(special) == 0:
            special = units
        rng = np.random.default_rng(self.budget.seed)
        charge = DET_PER_SECOND * (_STEP_OVERHEAD_S + _PAIR_OVERHEAD_S * len(pairs))
        spent = 0.0
        while spent + charge < det_budget:
            self.budget.check()
            if time.perf_counter() >= self.budget.deadline:  # safety net: too slow a machine
                self.cut = True
                break
            seeds = rng.choice(special, min(len(special), _LNS_SEEDS), replace=False)
            free = set(seeds.tolist())
            for u in seeds.tolist():
                free.update(v for v in self.freed_with.get(u, []) if in_comp[v])
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
