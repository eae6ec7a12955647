"""The test oracle for "how many waiting children can be placed": the pair-list engine.

This was the product's first placeability engine; the product now answers the question
with the assignment kernel (`matching.gaps.placeable`), and this slower, simpler
implementation (networkx or scipy max-flow, its own CP-SAT model with 8 workers) is
kept here only to check it against.

The question is the maximum number of children any allocation can place, where a unit
(one child or a sibling group) goes whole into one household, households hold at most
their vacancies and two units assessed `apart` never share a household.

How it is computed (the `method` text of the result says which path was taken):

1. The feasibility graph (units × households, an edge per feasible pair) is split into
   connected components: they cannot influence each other.
2. Units with the same size and the same feasible households are aggregated into one
   *unit type*, households adjacent to the same unit types into one *household type*,
   so the flow network stays small at national scale. The aggregation is exact: members
   of a type are interchangeable in the flow.
3. A max-flow (source → unit type, capacity children; unit type → household type;
   household type → sink, capacity vacancies) is solved with networkx when the
   aggregated graph is small and with scipy's C implementation of the same model when it
   is not. When every unit of a component is a single child with no `apart` pair this
   flow is exactly the answer (integral max-flow = max capacitated matching).
4. Sibling units sharing vacancies make the problem a generalised assignment, not a
   flow: the flow (which may split a group) is then only an upper bound. A greedy
   placement (largest groups first, best fit, then a flow for the single children on
   what is left) gives a lower bound; components where the bounds meet are exact.
   The others are solved by an integer model (OR-Tools CP-SAT) maximising children
   placed, component by component; if CP-SAT proves optimality the answer is exact,
   otherwise the best placement found and the proven bound are both reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from ortools.sat.python import cp_model
from scipy.sparse.csgraph import connected_components, maximum_flow

from matching.instance import MatchingInstance

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Aggregated flow graphs up to this many arcs go to networkx; larger ones to scipy.
NETWORKX_MAX_ARCS = 20_000
# Components with more candidate pairs than this are not given to CP-SAT.
# (building the model in Python costs ~0.1 ms per pair; larger ones keep their bounds)
CPSAT_MAX_PAIRS = 30_000

_HASH_SEED = 20260601


@dataclass(frozen=True)
class Placeability:
    """The answer: how many waiting children can be placed, and which units cannot.

    `children_placeable` is achieved by a concrete placement (`placed`). When `exact`
    is true it is the maximum; otherwise `upper_bound` is a proven bound above it.
    """

    children_waiting: int
    children_placeable: int
    upper_bound: int
    exact: bool
    homes: IntArray  # household index per unit (instance order), -1 when not placed
    feasible_households: IntArray  # per unit: how many households could take it
    method: str
    components: int = 0
    components_by_flow: int = 0
    components_by_bounds: int = 0
    components_by_cpsat: int = 0
    components_unproven: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def children_unplaceable(self) -> int:
        return self.children_waiting - self.children_placeable

    @property
    def placed(self) -> BoolArray:
        return self.homes >= 0

    @property
    def unplaced_units(self) -> list[int]:
        return [int(i) for i in np.flatnonzero(~self.placed)]


@dataclass
class _Graph:
    """The instance as numpy arrays with pairs sorted by unit."""

    sizes: IntArray
    vacancies: IntArray
    priority: npt.NDArray[np.float64]
    pair_unit: IntArray
    pair_household: IntArray
    unit_start: IntArray  # CSR offsets of each unit's pairs
    apart: list[tuple[int, int]]
    # most units per household, -1 for none (a unit that may go to a limited household
    # is solved by the CP-SAT model, which knows the limit; the flow does not)
    unit_limit: IntArray

    @property
    def n_units(self) -> int:
        return len(self.sizes)

    @property
    def n_households(self) -> int:
        return len(self.vacancies)

    def households_of(self, unit: int) -> IntArray:
        return self.pair_household[self.unit_start[unit] : self.unit_start[unit + 1]]


def _graph(instance: MatchingInstance) -> _Graph:
    sizes = np.array([u.size for u in instance.units], dtype=np.int64)
    vacancies = np.array([max(h.vacancies, 0) for h in instance.households], dtype=np.int64)
    priority = np.array([u.priority for u in instance.units], dtype=np.float64)
    pu = np.asarray(instance.pair_unit, dtype=np.int64)
    ph = np.asarray(instance.pair_household, dtype=np.int64)
    # A pair whose unit does not fit the vacancies can never be used; drop it defensively
    # (the engine should not emit one) and drop duplicates.
    if len(pu):
        keep = sizes[pu] <= vacancies[ph]
        if not keep.all():
            pu, ph = pu[keep], ph[keep]
        n_h = max(len(vacancies), 1)
        key = pu * n_h + ph
        # the engine emits pairs sorted by unit then household: sort only when not
        if len(key) > 1 and not bool(np.all(key[1:] > key[:-1])):
            key = _distinct(key)
            pu, ph = key // n_h, key % n_h
    counts = np.bincount(pu, minlength=len(sizes)) if len(sizes) else np.zeros(0, np.int64)
    unit_start = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(counts, out=unit_start[1:])
    # units that must never share a household: siblings apart and co-placement pairs
    kept_apart = (*instance.apart_units, *instance.co_placement_units)
    apart = sorted({(min(a, b), max(a, b)) for a, b in kept_apart if a != b})
    limit = np.array(
        [-1 if h.max_units is None else h.max_units for h in instance.households], dtype=np.int64
    )
    return _Graph(sizes, vacancies, priority, pu, ph, unit_start, apart, limit)


def _max_flow(
    n_nodes: int, tails: IntArray, heads: IntArray, caps: IntArray, source: int, sink: int
) -> tuple[int, IntArray, str]:
    """Max-flow value and flow per arc; networkx for small graphs, scipy for large."""
    if len(tails) == 0:
        return 0, np.zeros(0, dtype=np.int64), "networkx"
    if len(tails) <= NETWORKX_MAX_ARCS:
        graph: nx.DiGraph = nx.DiGraph()
        graph.add_nodes_from(range(n_nodes))
        for t, h, c in zip(tails.tolist(), heads.tolist(), caps.tolist(), strict=True):
            graph.add_edge(t, h, capacity=c)
        value, flow = nx.maximum_flow(graph, source, sink)
        per_arc = np.array(
            [flow[t][h] for t, h in zip(tails.tolist(), heads.tolist(), strict=True)],
            dtype=np.int64,
        )
        return int(value), per_arc, "networkx"
    big = np.iinfo(np.int32).max
    matrix = sp.csr_matrix(
        (np.minimum(caps, big).astype(np.int32), (tails, heads)), shape=(n_nodes, n_nodes)
    )
    result = maximum_flow(matrix, source, sink)
    flow_matrix = result.flow.tocsr()
    per_arc = np.asarray(flow_matrix[tails, heads]).ravel().astype(np.int64)
    return int(result.flow_value), per_arc, "scipy"


def _distinct(values: IntArray) -> IntArray:
    """Sorted distinct values (a plain sort: faster here than numpy's hash-based unique)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _hash_rows(
    group: IntArray, member: IntArray, n_groups: int, n_members: int, salt: int
) -> tuple[IntArray, IntArray]:
    """Two 64-bit set hashes per group of the members it holds (order-free, exact in practice)."""
    rng = np.random.default_rng(_HASH_SEED + salt)
    w1 = rng.integers(1, 2**62, size=max(n_members, 1), dtype=np.int64).astype(np.uint64)
    w2 = rng.integers(1, 2**62, size=max(n_members, 1), dtype=np.int64).astype(np.uint64)
    h1 = np.zeros(n_groups, dtype=np.uint64)
    h2 = np.zeros(n_groups, dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.add.at(h1, group, w1[member])
        np.add.at(h2, group, w2[member] * np.uint64(3))
    return h1.view(np.int64), h2.view(np.int64)


@dataclass
class _TypeFlow:
    """A max-flow over unit types and household types, with what is needed to turn it
    into households for single children."""

    unit_type: IntArray  # per given unit
    type_flow: IntArray  # children sent from each unit type
    arc_type: IntArray  # unit type of each type → household-type arc
    arc_htype: IntArray
    arc_flow: IntArray
    households: IntArray  # households in the network
    household_type: IntArray  # per entry of `households`
    n_arcs: int
    backend: str


def _type_flow(g: _Graph, units: IntArray, vacancies: IntArray) -> _TypeFlow:
    """Aggregated max-flow over the given units (children as flow, groups may split)."""
    n_units = len(units)
    empty = np.zeros(0, np.int64)
    if n_units == 0:
        return _TypeFlow(empty, empty, empty, empty, empty, empty, empty, 0, "none")
    # pairs of the selected units, relabelled 0..n_units-1
    lengths = g.unit_start[units + 1] - g.unit_start[units]
    local = np.repeat(np.arange(n_units, dtype=np.int64), lengths)
    idx = _gather_ranges(g.unit_start[units], lengths)
    hh = g.pair_household[idx] if len(idx) else empty
    # pairs already fit the full vacancies (see _graph); re-check only on what is left
    if vacancies is not g.vacancies and len(hh):
        usable = vacancies[hh] >= g.sizes[units][local]
        local, hh = local[usable], hh[usable]
    degree = np.bincount(local, minlength=n_units)
    h1, h2 = _hash_rows(local, hh, n_units, g.n_households, 0)
    keys = np.stack([g.sizes[units], degree, h1, h2], axis=1)
    _, unit_type = np.unique(keys, axis=0, return_inverse=True)
    unit_type = unit_type.ravel().astype(np.int64)
    n_types = int(unit_type.max()) + 1
    type_children = np.bincount(unit_type, weights=g.sizes[units], minlength=n_types).astype(
        np.int64
    )
    # distinct (unit type, household) arcs, then household types by their unit-type sets
    th = _distinct(unit_type[local] * g.n_households + hh)
    t_of, h_of = th // g.n_households, th % g.n_households
    # households in the network, and each arc's position among them (no sort needed)
    present = np.zeros(g.n_households, dtype=bool)
    present[h_of] = True
    hh_used = np.flatnonzero(present).astype(np.int64)
    position = np.cumsum(present) - 1
    hh_local = position[h_of]
    g1, g2 = _hash_rows(hh_local, t_of, len(hh_used), n_types, 1)
    hdeg = np.bincount(hh_local, minlength=len(hh_used))
    if len(hh_used):
        _, hh_type = np.unique(np.stack([hdeg, g1, g2], axis=1), axis=0, return_inverse=True)
        hh_type = hh_type.ravel().astype(np.int64)
    else:
        hh_type = empty
    n_htypes = int(hh_type.max()) + 1 if len(hh_type) else 0
    htype_vac = np.bincount(hh_type, weights=vacancies[hh_used], minlength=n_htypes).astype(
        np.int64
    )
    arcs = _distinct(t_of * max(n_htypes, 1) + hh_type[hh_local])
    a_t, a_h = arcs // max(n_htypes, 1), arcs % max(n_htypes, 1)
    source, sink = 0, 1 + n_types + n_htypes
    total = int(type_children.sum())
    tails = np.concatenate(
        [np.zeros(n_types, np.int64), 1 + a_t, 1 + n_types + np.arange(n_htypes)]
    )
    heads = np.concatenate([1 + np.arange(n_types), 1 + n_types + a_h, np.full(n_htypes, sink)])
    caps = np.concatenate([type_children, np.full(len(a_t), total), htype_vac])
    _, per_arc, backend = _max_flow(sink + 1, tails, heads, caps, source, sink)
    if not len(per_arc):
        per_arc = np.zeros(len(tails), np.int64)
    return _TypeFlow(
        unit_type=unit_type,
        type_flow=per_arc[:n_types],
        arc_type=a_t,
        arc_htype=a_h,
        arc_flow=per_arc[n_types : n_types + len(a_t)],
        households=hh_used,
        household_type=hh_type,
        n_arcs=len(tails),
        backend=backend,
    )


def _homes_from_flow(g: _Graph, units: IntArray, flow: _TypeFlow, vacancies: IntArray) -> IntArray:
    """Households for single children from a type flow (-1 where none), highest priority
    first within a type. Households of one type share their feasible sets, so any filling
    of a type's vacancies is feasible."""
    homes = np.full(len(units), -1, dtype=np.int64)
    order = np.lexsort((units, -g.priority[units], flow.unit_type))
    queues: dict[int, list[int]] = {}
    for pos in order.tolist():
        queues.setdefault(int(flow.unit_type[pos]), []).append(pos)
    members: dict[int, list[int]] = {}
    for h, t in zip(flow.households.tolist(), flow.household_type.tolist(), strict=True):
        members.setdefault(t, []).append(h)
    left = {h: int(vacancies[h]) for h in flow.households.tolist()}
    cursor = dict.fromkeys(members, 0)
    taken = dict.fromkeys(queues, 0)
    used = flow.arc_flow > 0
    for t, ht, f in zip(
        flow.arc_type[used].tolist(),
        flow.arc_htype[used].tolist(),
        flow.arc_flow[used].tolist(),
        strict=True,
    ):
        for _ in range(f):
            pos = queues[t][taken[t]]
            taken[t] += 1
            hs = members[ht]
            while left[hs[cursor[ht]]] == 0:
                cursor[ht] += 1
            h = hs[cursor[ht]]
            left[h] -= 1
            homes[pos] = h
    return homes


def _gather_ranges(starts: IntArray, lengths: IntArray) -> IntArray:
    """Concatenated aranges [start, start+length) for every range, vectorised."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    before = np.concatenate([np.zeros(1, np.int64), np.cumsum(lengths)[:-1]])
    offsets: IntArray = np.repeat(starts - before, lengths)
    return np.arange(total, dtype=np.int64) + offsets


def max_children_placed(
    instance: MatchingInstance,
    *,
    det_budget_s: float = 20.0,
    plan: IntArray | None = None,
) -> Placeability:
    """The maximum number of waiting children today's pool can place, and the leftovers.

    See the module docstring for the method. `plan` (a household index per unit, -1 for
    none) is a placement known to the caller, e.g. today's allocation plus recruited
    households; its feasible part is checked pair by pair and used as a lower bound.
    `det_budget_s` bounds the CP-SAT work in CP-SAT's deterministic seconds, never the
    clock, so a slow or busy machine gets the same answer: one worker, a fixed seed and
    a tie-break objective preferring higher-priority units make it deterministic.
    """
    g = _graph(instance)
    n_u, n_h = g.n_units, g.n_households
    degree = np.diff(g.unit_start)
    children_waiting = int(g.sizes.sum())
    homes = np.full(n_u, -1, dtype=np.int64)
    if n_u == 0:
        return Placeability(0, 0, 0, True, homes, degree, "no waiting units")

    adjacency = sp.coo_matrix(
        (np.ones(len(g.pair_unit)), (g.pair_unit, n_u + g.pair_household)),
        shape=(n_u + n_h, n_u + n_h),
    )
    n_comp, label = connected_components(adjacency, directed=False)
    comp_of_unit = label[:n_u].astype(np.int64)
    in_apart = np.zeros(n_u, dtype=bool)
    for a, b in g.apart:
        in_apart[a] = in_apart[b] = True
    limited = np.zeros(n_u, dtype=bool)
    limited[g.pair_unit[g.unit_limit[g.pair_household] >= 0]] = True
    constrained = (g.sizes > 1) | in_apart | limited
    comp_hard = np.zeros(n_comp, dtype=bool)
    comp_hard[comp_of_unit[constrained]] = True
    connected = degree > 0
    unit_comp_hard = comp_hard[comp_of_unit]
    notes: list[str] = []
    backends: set[str] = set()

    # Upper bound for every component (exact for the flow components).
    all_units = np.flatnonzero(connected).astype(np.int64)
    flow = _type_flow(g, all_units, g.vacancies)
    backends.add(flow.backend)
    ub_by_comp = np.zeros(n_comp, dtype=np.int64)
    if len(all_units):
        # types never span components: attribute a type's flow to its component
        type_comp = np.zeros(len(flow.type_flow), dtype=np.int64)
        type_comp[flow.unit_type] = comp_of_unit[all_units]
        np.add.at(ub_by_comp, type_comp, flow.type_flow)
        easy = np.flatnonzero(~unit_comp_hard[all_units])
        easy_flow = _restrict_flow(flow, easy, ~comp_hard[type_comp])
        homes[all_units[easy]] = _homes_from_flow(g, all_units[easy], easy_flow, g.vacancies)
    comps_with_units = np.unique(comp_of_unit[connected])
    # components of a lone unit with no feasible household need no solving
    hard_comps = np.intersect1d(np.flatnonzero(comp_hard), comps_with_units)
    n_flow = len(comps_with_units) - len(hard_comps)

    by_bounds = by_cpsat = unproven = 0
    best_bound = int(ub_by_comp[~comp_hard].sum())
    if len(hard_comps):
        hard_units_mask = connected & unit_comp_hard
        lower = _greedy(g, hard_units_mask, backends, spare_singles=False)
        if _short_of(g, comp_of_unit, n_comp, lower, ub_by_comp, hard_comps):
            other = _greedy(g, hard_units_mask, backends, spare_singles=True)
            lower = _better_by_component(g, comp_of_unit, n_comp, lower, other)
        if plan is not None:
            checked = _checked_plan(g, np.asarray(plan, dtype=np.int64))
            lower = _better_by_component(g, comp_of_unit, n_comp, lower, checked)
        lb_by_comp = np.zeros(n_comp, dtype=np.int64)
        placed_lower = lower >= 0
        np.add.at(lb_by_comp, comp_of_unit[placed_lower], g.sizes[placed_lower])
        budget = det_budget_s
        # smallest components first, so the time goes where proofs are cheap
        order = sorted(hard_comps.tolist(), key=lambda c: int(ub_by_comp[c]))
        units_of = _units_by_component(comp_of_unit, connected)
        for c in order:
            units_c = units_of[c]
            lb, ub = int(lb_by_comp[c]), int(ub_by_comp[c])
            homes[units_c] = lower[units_c]
            if lb >= ub:
                by_bounds += 1
                best_bound += ub
                continue
            n_pairs = int(degree[units_c].sum())
            solved = None
            if n_pairs <= CPSAT_MAX_PAIRS and budget > 0.05:
                solved, spent = _cpsat_component(g, units_c, lower, budget)
                budget -= spent
            if solved is None:
                unproven += 1
                best_bound += ub
                notes.append(
                    f"a component of {len(units_c)} units was not solved to optimality "
                    f"(placed {lb}, bound {ub})"
                )
                continue
            comp_homes, optimal, bound = solved
            value = int(g.sizes[units_c][comp_homes >= 0].sum())
            if value > lb:
                homes[units_c] = comp_homes
            if optimal:
                by_cpsat += 1
                best_bound += max(value, lb)
            else:
                unproven += 1
                best_bound += min(ub, bound)
                notes.append(
                    f"CP-SAT stopped before proving optimality on a component of "
                    f"{len(units_c)} units (placed {max(value, lb)}, bound {min(ub, bound)})"
                )
    placed = homes >= 0
    children_placeable = int(g.sizes[placed].sum())
    method = _describe(
        n_u, n_h, len(g.pair_unit), flow.n_arcs, backends, n_flow, by_bounds, by_cpsat, unproven
    )
    return Placeability(
        children_waiting=children_waiting,
        children_placeable=children_placeable,
        upper_bound=max(best_bound, children_placeable),
        exact=unproven == 0,
        homes=homes,
        feasible_households=degree,
        method=method,
        components=len(comps_with_units),
        components_by_flow=n_flow,
        components_by_bounds=by_bounds,
        components_by_cpsat=by_cpsat,
        components_unproven=unproven,
        notes=tuple(notes),
    )


def _short_of(
    g: _Graph,
    comp_of_unit: IntArray,
    n_comp: int,
    homes: IntArray,
    bound: IntArray,
    comps: IntArray,
) -> bool:
    """Whether a placement falls short of the bound on any of the given components."""
    value = np.zeros(n_comp, dtype=np.int64)
    placed = homes >= 0
    np.add.at(value, comp_of_unit[placed], g.sizes[placed])
    return bool(np.any(value[comps] < bound[comps]))


def _units_by_component(comp_of_unit: IntArray, connected: BoolArray) -> dict[int, IntArray]:
    units = np.flatnonzero(connected)
    order = np.argsort(comp_of_unit[units], kind="stable")
    units = units[order]
    comps, starts = np.unique(comp_of_unit[units], return_index=True)
    bounds = [*starts.tolist(), len(units)]
    return {int(c): units[bounds[i] : bounds[i + 1]] for i, c in enumerate(comps.tolist())}


def _restrict_flow(flow: _TypeFlow, positions: IntArray, keep_type: BoolArray) -> _TypeFlow:
    """The part of a type flow that concerns the given unit positions (whole types)."""
    keep_arc = keep_type[flow.arc_type] if len(flow.arc_type) else np.zeros(0, bool)
    return _TypeFlow(
        unit_type=flow.unit_type[positions],
        type_flow=flow.type_flow,
        arc_type=flow.arc_type[keep_arc],
        arc_htype=flow.arc_htype[keep_arc],
        arc_flow=flow.arc_flow[keep_arc],
        households=flow.households,
        household_type=flow.household_type,
        n_arcs=flow.n_arcs,
        backend=flow.backend,
    )


def partners_of(apart: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    """For each unit in an `apart` pair, the units it must not share a household with."""
    partners: dict[int, list[int]] = {}
    for a, b in apart:
        partners.setdefault(a, []).append(b)
        partners.setdefault(b, []).append(a)
    return partners


def _checked_plan(g: _Graph, plan: IntArray) -> IntArray:
    """The feasible part of a caller's plan: pairs that exist, within vacancies, never two
    units assessed apart together (units kept in priority order when they conflict)."""
    homes = np.full(g.n_units, -1, dtype=np.int64)
    load = np.zeros(g.n_households, dtype=np.int64)
    partners = partners_of(g.apart)
    planned = np.flatnonzero(plan >= 0)
    order = planned[np.lexsort((planned, -g.priority[planned]))]
    for u in order.tolist():
        h = int(plan[u])
        if h >= g.n_households or not np.any(g.households_of(u) == h):
            continue
        if load[h] + g.sizes[u] > g.vacancies[h]:
            continue
        if g.unit_limit[h] >= 0 and np.count_nonzero(homes == h) >= g.unit_limit[h]:
            continue
        if any(homes[p] == h for p in partners.get(u, ())):
            continue
        homes[u] = h
        load[h] += g.sizes[u]
    return homes


def _better_by_component(
    g: _Graph, comp_of_unit: IntArray, n_comp: int, first: IntArray, second: IntArray
) -> IntArray:
    """Per component, the placement of the two that places more children (the second,
    the caller's plan, on a tie, so a plan that is already optimal is kept as it is)."""
    value = []
    for homes in (first, second):
        by_comp = np.zeros(n_comp, dtype=np.int64)
        placed = homes >= 0
        np.add.at(by_comp, comp_of_unit[placed], g.sizes[placed])
        value.append(by_comp)
    use_second = (value[1] >= value[0])[comp_of_unit]
    return np.where(use_second, second, first)


def _describe(
    n_u: int,
    n_h: int,
    n_pairs: int,
    arcs: int,
    backends: set[str],
    n_flow: int,
    by_bounds: int,
    by_cpsat: int,
    unproven: int,
) -> str:
    used = " and ".join(sorted(b for b in backends if b != "none")) or "none"
    parts = [
        f"feasibility graph of {n_u} units, {n_h} households and {n_pairs} feasible pairs, "
        f"split into connected components; units and households aggregated into types with "
        f"identical feasible sets, giving a flow network of {arcs} arcs (max-flow by {used})",
        f"{n_flow} component(s) of single children only: exact by max-flow",
    ]
    if by_bounds or by_cpsat or unproven:
        parts.append(
            "components with sibling groups or 'apart' pairs are a generalised assignment: "
            f"{by_bounds} exact because a greedy placement met the flow upper bound, "
            f"{by_cpsat} exact by OR-Tools CP-SAT (maximise children placed), "
            f"{unproven} not proven optimal (best placement and bound reported)"
        )
    return "; ".join(parts)


def _greedy(
    g: _Graph, hard_units: BoolArray, backends: set[str], *, spare_singles: bool
) -> IntArray:
    """A feasible placement of the hard components: groups and `apart` units first, then
    a max-flow for the free single children on the vacancies left. Returns a household
    per unit (-1 for none).

    Each group goes to the fitting household with the fewest vacancies left (best fit),
    or, with `spare_singles`, to the one single children depend on least (their demand
    spread evenly over the households each can use), best fit breaking ties."""
    homes = np.full(g.n_units, -1, dtype=np.int64)
    remaining = g.vacancies.copy()
    in_apart = np.zeros(g.n_units, dtype=bool)
    partners = partners_of(g.apart)
    in_apart[list(partners)] = True
    # units that may go to a household with a limit of units are placed one by one too
    in_apart[g.pair_unit[g.unit_limit[g.pair_household] >= 0]] = True
    units_left = np.where(g.unit_limit >= 0, g.unit_limit, g.vacancies)
    constrained = np.flatnonzero(hard_units & ((g.sizes > 1) | in_apart))
    degree = np.diff(g.unit_start)
    free_mask = hard_units & ~((g.sizes > 1) | in_apart)
    rank = remaining.astype(np.float64)
    if spare_singles:
        on_free = free_mask[g.pair_unit]
        demand = np.bincount(
            g.pair_household[on_free],
            weights=1.0 / degree[g.pair_unit[on_free]],
            minlength=g.n_households,
        )
        # demand first; the remaining vacancies (< 100) only break ties
        rank = (demand * 1000.0 + remaining).astype(np.float64)
    order = np.lexsort((constrained, degree[constrained], -g.sizes[constrained]))
    for u in constrained[order].tolist():
        options = g.households_of(u)
        fits = options[(remaining[options] >= g.sizes[u]) & (units_left[options] > 0)]
        if u in partners and len(fits):
            banned = [int(homes[p]) for p in partners[u] if homes[p] >= 0]
            if banned:
                fits = fits[~np.isin(fits, banned)]
        if not len(fits):
            continue
        choice = int(fits[np.argmin(rank[fits])])
        remaining[choice] -= g.sizes[u]
        units_left[choice] -= 1
        rank[choice] -= g.sizes[u]
        homes[u] = choice
    free = np.flatnonzero(free_mask).astype(np.int64)
    if len(free):
        flow = _type_flow(g, free, remaining)
        backends.add(flow.backend)
        homes[free] = _homes_from_flow(g, free, flow, remaining)
    return homes


def _cpsat_component(
    g: _Graph, units: IntArray, hint: IntArray, det_limit: float
) -> tuple[tuple[IntArray, bool, int] | None, float]:
    """Exact generalised assignment for one component with CP-SAT, within `det_limit`
    deterministic seconds.

    Returns ((household per given unit or -1, proven optimal, proven bound in children)
    or None if no solution was found, the deterministic seconds spent). `hint` is a
    known placement (per unit).
    """
    model = cp_model.CpModel()
    unit_pos = {int(u): i for i, u in enumerate(units.tolist())}
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    by_household: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    for u in units.tolist():
        for h in g.households_of(u).tolist():
            var = model.new_bool_var(f"x_{u}_{h}")
            x[u, h] = var
            by_household.setdefault(h, []).append((u, var))
    for u in units.tolist():
        options = [x[u, h] for h in g.households_of(u).tolist()]
        model.add_at_most_one(options)
    for h, members in by_household.items():
        model.add(sum(int(g.sizes[u]) * v for u, v in members) <= int(g.vacancies[h]))
        if g.unit_limit[h] >= 0:
            model.add(sum(v for _, v in members) <= int(g.unit_limit[h]))
    for a, b in g.apart:
        if a in unit_pos and b in unit_pos:
            common = set(g.households_of(a).tolist()) & set(g.households_of(b).tolist())
            for h in common:
                model.add(x[a, h] + x[b, h] <= 1)
    # Children placed dominates; a small distinct weight by priority rank breaks ties so
    # the placed set does not depend on the solver's search order.
    rank = np.lexsort((-units, g.priority[units]))
    tie = np.empty(len(units), dtype=np.int64)
    tie[rank] = np.arange(1, len(units) + 1)
    big = int(tie.sum()) + 1
    model.maximize(
        sum((big * int(g.sizes[u]) + int(tie[unit_pos[u]])) * var for (u, _h), var in x.items())
    )
    # Hint the best placement known so far (its chosen pairs; the rest default to 0).
    for u in units.tolist():
        if hint[u] >= 0 and (u, int(hint[u])) in x:
            model.add_hint(x[u, int(hint[u])], True)
    solver = cp_model.CpSolver()
    solver.parameters.max_deterministic_time = max(det_limit, 0.05)
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    spent = float(solver.deterministic_time)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, spent
    homes = np.full(len(units), -1, dtype=np.int64)
    for (u, h), var in x.items():
        if solver.value(var):
            homes[unit_pos[u]] = h
    bound = int(solver.best_objective_bound) // big
    return (homes, status == cp_model.OPTIMAL, bound), spent
