"""How many waiting children can today's pool place, and which units are left over.

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

import time
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
CPSAT_MAX_PAIRS = 200_000

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
    placed: BoolArray  # per unit, in instance order
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
        pu, ph = pu[keep], ph[keep]
        key = np.unique(pu * max(len(vacancies), 1) + ph)
        pu, ph = key // max(len(vacancies), 1), key % max(len(vacancies), 1)
    counts = np.bincount(pu, minlength=len(sizes)) if len(sizes) else np.zeros(0, np.int64)
    unit_start = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(counts, out=unit_start[1:])
    apart = sorted({(min(a, b), max(a, b)) for a, b in instance.apart_units if a != b})
    return _Graph(sizes, vacancies, priority, pu, ph, unit_start, apart)


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


def _type_flow(
    g: _Graph, units: IntArray, vacancies: IntArray
) -> tuple[IntArray, IntArray, int, str]:
    """Aggregated max-flow over the given units (children as flow, groups may split).

    Returns (unit_type per given unit, flow per unit type, number of arcs, backend).
    """
    n_units = len(units)
    if n_units == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), 0, "none"
    # pairs of the selected units, relabelled 0..n_units-1
    lengths = g.unit_start[units + 1] - g.unit_start[units]
    local = np.repeat(np.arange(n_units, dtype=np.int64), lengths)
    idx = _gather_ranges(g.unit_start[units], lengths)
    hh = g.pair_household[idx] if len(idx) else np.zeros(0, np.int64)
    usable = vacancies[hh] >= g.sizes[units][local] if len(hh) else np.zeros(0, bool)
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
    th = np.unique(unit_type[local] * g.n_households + hh)
    t_of, h_of = th // g.n_households, th % g.n_households
    hh_used, hh_local = np.unique(h_of, return_inverse=True)
    hh_local = hh_local.ravel()
    g1, g2 = _hash_rows(hh_local, t_of, len(hh_used), n_types, 1)
    hdeg = np.bincount(hh_local, minlength=len(hh_used))
    _, hh_type = np.unique(np.stack([hdeg, g1, g2], axis=1), axis=0, return_inverse=True)
    hh_type = hh_type.ravel().astype(np.int64)
    n_htypes = int(hh_type.max()) + 1 if len(hh_type) else 0
    htype_vac = np.bincount(hh_type, weights=vacancies[hh_used], minlength=n_htypes).astype(
        np.int64
    )
    arcs = np.unique(t_of * max(n_htypes, 1) + hh_type[hh_local])
    a_t, a_h = arcs // max(n_htypes, 1), arcs % max(n_htypes, 1)
    source, sink = 0, 1 + n_types + n_htypes
    total = int(type_children.sum())
    tails = np.concatenate(
        [np.zeros(n_types, np.int64), 1 + a_t, 1 + n_types + np.arange(n_htypes)]
    )
    heads = np.concatenate([1 + np.arange(n_types), 1 + n_types + a_h, np.full(n_htypes, sink)])
    caps = np.concatenate([type_children, np.full(len(a_t), total), htype_vac])
    _, per_arc, backend = _max_flow(sink + 1, tails, heads, caps, source, sink)
    type_flow = per_arc[:n_types] if len(per_arc) else np.zeros(n_types, np.int64)
    return unit_type, type_flow, len(tails), backend


def _gather_ranges(starts: IntArray, lengths: IntArray) -> IntArray:
    """Concatenated aranges [start, start+length) for every range, vectorised."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    before = np.concatenate([np.zeros(1, np.int64), np.cumsum(lengths)[:-1]])
    offsets: IntArray = np.repeat(starts - before, lengths)
    return np.arange(total, dtype=np.int64) + offsets


def _fill_by_type(
    units: IntArray,
    unit_type: IntArray,
    type_flow: IntArray,
    sizes: IntArray,
    order_key: npt.NDArray[np.float64],
) -> BoolArray:
    """Mark placed single-child units: per type, the flow's count, in priority order."""
    placed = np.zeros(len(units), dtype=bool)
    remaining = type_flow.copy()
    order = np.lexsort((units, -order_key[units], unit_type))
    for pos in order.tolist():
        t = unit_type[pos]
        if remaining[t] >= sizes[units[pos]]:
            remaining[t] -= sizes[units[pos]]
            placed[pos] = True
    return placed


def max_children_placed(instance: MatchingInstance, *, time_limit_s: float = 20.0) -> Placeability:
    """The maximum number of waiting children today's pool can place, and the leftovers.

    See the module docstring for the method. Deterministic for a given instance (CP-SAT,
    when used, has a tie-break objective preferring higher-priority units).
    """
    started = time.perf_counter()
    g = _graph(instance)
    n_u, n_h = g.n_units, g.n_households
    degree = np.diff(g.unit_start)
    children_waiting = int(g.sizes.sum())
    placed = np.zeros(n_u, dtype=bool)
    if n_u == 0:
        return Placeability(0, 0, 0, True, placed, degree, "no waiting units")

    adjacency = sp.coo_matrix(
        (np.ones(len(g.pair_unit)), (g.pair_unit, n_u + g.pair_household)),
        shape=(n_u + n_h, n_u + n_h),
    )
    n_comp, label = connected_components(adjacency, directed=False)
    comp_of_unit = label[:n_u]
    in_apart = np.zeros(n_u, dtype=bool)
    for a, b in g.apart:
        in_apart[a] = in_apart[b] = True
    constrained = (g.sizes > 1) | in_apart
    comp_hard = np.zeros(n_comp, dtype=bool)
    comp_hard[comp_of_unit[constrained]] = True
    connected = degree > 0
    unit_comp_hard = comp_hard[comp_of_unit]
    notes: list[str] = []
    backends: set[str] = set()

    # Upper bound for every component (exact for the flow components).
    all_units = np.flatnonzero(connected).astype(np.int64)
    ut, tflow, arcs, backend = _type_flow(g, all_units, g.vacancies)
    backends.add(backend)
    ub_by_comp = np.zeros(n_comp, dtype=np.int64)
    # types never span components: attribute a type's flow to its component
    if len(all_units):
        type_comp = np.zeros(len(tflow), dtype=np.int64)
        type_comp[ut] = comp_of_unit[all_units]
        np.add.at(ub_by_comp, type_comp, tflow)
        easy = ~unit_comp_hard[all_units]
        easy_units = all_units[easy]
        placed_easy = _fill_by_type(easy_units, ut[easy], tflow, g.sizes, g.priority)
        placed[easy_units[placed_easy]] = True
    hard_comps = np.flatnonzero(comp_hard)
    comps_with_units = np.unique(comp_of_unit[connected])
    n_flow = int(len(comps_with_units) - len(hard_comps))

    by_bounds = by_cpsat = unproven = 0
    best_bound = int(ub_by_comp[~comp_hard].sum())
    if len(hard_comps):
        hard_units_mask = connected & unit_comp_hard
        greedy_placed, greedy_home, lb_by_comp = _greedy(
            g, hard_units_mask, comp_of_unit, n_comp, backends
        )
        deadline = started + time_limit_s
        for c in hard_comps.tolist():
            units_c = np.flatnonzero((comp_of_unit == c) & connected)
            lb, ub = int(lb_by_comp[c]), int(ub_by_comp[c])
            if lb >= ub:
                placed[units_c] = greedy_placed[units_c]
                by_bounds += 1
                best_bound += ub
                continue
            n_pairs = int(degree[units_c].sum())
            remaining = deadline - time.perf_counter()
            solved = None
            if n_pairs <= CPSAT_MAX_PAIRS and remaining > 0.05:
                solved = _cpsat_component(g, units_c, greedy_home, remaining)
            if solved is None:
                placed[units_c] = greedy_placed[units_c]
                unproven += 1
                best_bound += ub
                notes.append(
                    f"a component of {len(units_c)} units was not solved to optimality "
                    f"(placed {lb}, bound {ub})"
                )
                continue
            comp_placed, optimal, bound = solved
            value = int(g.sizes[units_c][comp_placed].sum())
            if value >= lb:
                placed[units_c] = comp_placed
            else:
                placed[units_c] = greedy_placed[units_c]
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
    children_placeable = int(g.sizes[placed].sum())
    exact = unproven == 0
    method = _describe(
        n_u, n_h, len(g.pair_unit), arcs, backends, n_flow, by_bounds, by_cpsat, unproven
    )
    return Placeability(
        children_waiting=children_waiting,
        children_placeable=children_placeable,
        upper_bound=max(best_bound, children_placeable),
        exact=exact,
        placed=placed,
        feasible_households=degree,
        method=method,
        components=len(comps_with_units),
        components_by_flow=n_flow,
        components_by_bounds=by_bounds,
        components_by_cpsat=by_cpsat,
        components_unproven=unproven,
        notes=tuple(notes),
    )


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
    g: _Graph,
    hard_units: BoolArray,
    comp_of_unit: npt.NDArray[np.int32],
    n_comp: int,
    backends: set[str],
) -> tuple[BoolArray, dict[int, int], IntArray]:
    """A feasible placement of the hard components: groups and `apart` units first, by
    best fit, then a max-flow for the free single children on the vacancies left."""
    placed = np.zeros(g.n_units, dtype=bool)
    remaining = g.vacancies.copy()
    in_apart = np.zeros(g.n_units, dtype=bool)
    partners: dict[int, list[int]] = {}
    for a, b in g.apart:
        in_apart[a] = in_apart[b] = True
        partners.setdefault(a, []).append(b)
        partners.setdefault(b, []).append(a)
    home: dict[int, int] = {}
    constrained = np.flatnonzero(hard_units & ((g.sizes > 1) | in_apart))
    degree = np.diff(g.unit_start)
    order = np.lexsort((constrained, degree[constrained], -g.sizes[constrained]))
    for u in constrained[order].tolist():
        options = g.households_of(u)
        fits = options[remaining[options] >= g.sizes[u]]
        if u in partners and len(fits):
            banned = {home[p] for p in partners[u] if p in home}
            if banned:
                fits = fits[~np.isin(fits, list(banned))]
        if not len(fits):
            continue
        choice = int(fits[np.argmin(remaining[fits])])
        remaining[choice] -= g.sizes[u]
        placed[u] = True
        home[u] = choice
    free = np.flatnonzero(hard_units & ~((g.sizes > 1) | in_apart)).astype(np.int64)
    if len(free):
        ut, tflow, _, backend = _type_flow(g, free, remaining)
        backends.add(backend)
        placed_free = _fill_by_type(free, ut, tflow, g.sizes, g.priority)
        placed[free[placed_free]] = True
    lb = np.zeros(n_comp, dtype=np.int64)
    np.add.at(lb, comp_of_unit[placed], g.sizes[placed])
    return placed, home, lb


def _cpsat_component(
    g: _Graph, units: IntArray, hint: dict[int, int], time_limit: float
) -> tuple[BoolArray, bool, int] | None:
    """Exact generalised assignment for one component with CP-SAT.

    Returns (placed per given unit, proven optimal, proven bound) or None if no solution.
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
    # Hint the greedy homes of the groups and `apart` units (a partial hint is allowed).
    for (u, h), var in x.items():
        if u in hint:
            model.add_hint(var, hint[u] == h)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit, 0.05)
    solver.parameters.num_workers = 8
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    placed = np.zeros(len(units), dtype=bool)
    for (u, _h), var in x.items():
        if solver.value(var):
            placed[unit_pos[u]] = True
    bound = int(solver.best_objective_bound) // big
    return placed, status == cp_model.OPTIMAL, bound
