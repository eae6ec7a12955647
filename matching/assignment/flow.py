"""Network flows, all on OR-Tools (the kernel's one flow back-end): exact where an
assignment is a network problem and a valid relaxation where it is not.

* `shortlist_flow` and `allocation_relaxation` (``SimpleMinCostFlow``) on a prepared
  instance; node layout: source 0, units 1..U, households U+1..U+H, sink U+H+1;
* `class_max_flow` (``SimpleMaxFlow``) on classes of interchangeable units and sets of
  interchangeable households, the gap report's flow at national scale where the pairs
  are never listed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import max_flow as ortools_max_flow
from ortools.graph.python import min_cost_flow

from matching.assignment.prepared import IntArray, PreparedInstance

BoolArray = npt.NDArray[np.bool_]

# the relaxation's per-child costs are weight × L / size; L is capped to keep costs small
_MAX_LCM = 5040


class FlowError(RuntimeError):
    """OR-Tools reported something other than an optimal flow (a bug, not a data issue)."""


def _solve(
    tails: IntArray,
    heads: IntArray,
    caps: IntArray,
    costs: IntArray,
    n_nodes: int,
    supply: int,
    *,
    max_flow: bool,
) -> tuple[min_cost_flow.SimpleMinCostFlow, IntArray]:
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    smcf.set_nodes_supplies(np.array([0, n_nodes - 1]), np.array([supply, -supply]))
    status = smcf.solve_max_flow_with_min_cost() if max_flow else smcf.solve()
    if status != smcf.OPTIMAL:
        raise FlowError(f"min-cost flow ended with status {status}")
    return smcf, np.asarray(smcf.flows(arcs), dtype=np.int64)


def shortlist_flow(prep: PreparedInstance, per_unit: int, max_appearances: int) -> IntArray:
    """Exact shortlist round: indices of the chosen pairs.

    Lexicographic: most units with at least one household, then the largest total
    weight. Each unit is fed by a 'first' arc (capacity 1, cost -BIG) and a 'further'
    arc (capacity K-1, cost 0); a min-cost flow fills the cheaper first arc before the
    other, so BIG is earned once per covered unit. BIG exceeds any attainable total
    weight, so one more covered unit always beats any weight gain. A free source→sink
    bypass lets supply go unused.
    """
    u, h = prep.n_units, prep.n_households
    if per_unit <= 0 or max_appearances <= 0 or prep.n_pairs == 0:
        return np.zeros(0, dtype=np.int64)
    counts = np.diff(prep.unit_start)
    # pairs are sorted best first per unit, so the rank inside the unit picks its top K
    rank = np.arange(prep.n_pairs) - prep.unit_start[prep.pair_unit]
    big = int(prep.weight[rank < per_unit].sum()) + 1
    has = np.flatnonzero(counts > 0)
    sink = u + h + 1
    parts_t = [
        np.zeros(len(has), np.int64),
        prep.pair_unit + 1,
        np.arange(h) + u + 1,
        np.array([0]),
    ]
    parts_h = [has + 1, prep.pair_household + u + 1, np.full(h, sink), np.array([sink])]
    parts_c = [
        np.ones(len(has), np.int64),
        np.ones(prep.n_pairs, np.int64),
        np.full(h, max_appearances),
        np.array([0]),
    ]
    parts_w = [np.full(len(has), -big), -prep.weight, np.zeros(h, np.int64), np.array([0])]
    if per_unit > 1:
        parts_t.insert(1, np.zeros(len(has), np.int64))
        parts_h.insert(1, has + 1)
        parts_c.insert(1, np.full(len(has), per_unit - 1))
        parts_w.insert(1, np.zeros(len(has), np.int64))
    supply = int(np.minimum(counts, per_unit).sum())
    parts_c[-1] = np.array([supply])
    tails, heads = np.concatenate(parts_t), np.concatenate(parts_h)
    caps, costs = np.concatenate(parts_c), np.concatenate(parts_w)
    _, flows = _solve(tails, heads, caps, costs, u + h + 2, supply, max_flow=False)
    first_pair_arc = len(has) * (2 if per_unit > 1 else 1)
    return np.flatnonzero(flows[first_pair_arc : first_pair_arc + prep.n_pairs] > 0).astype(
        np.int64
    )


@dataclass(frozen=True)
class Relaxation:
    """Optimum of the allocation's flow relaxation (siblings may split, `apart` ignored).

    It equals the LP relaxation of the allocation, and is exact when every unit is a
    single child and no `apart` pair binds. ``pair_flow[p]`` is the number of children
    sent along pair ``p``; the total weight bound is ``weight_num / scale``.
    """

    pair_flow: IntArray
    pair_cost_num: IntArray  # per-pair numerator of weight per child, × scale
    scale: int
    children: int

    def weight_bound(self, pairs: IntArray | None = None) -> int:
        """Upper bound (scaled points, integer) on the weight over ``pairs`` (or all)."""
        f = self.pair_flow if pairs is None else self.pair_flow[pairs]
        c = self.pair_cost_num if pairs is None else self.pair_cost_num[pairs]
        return int(np.dot(f, c)) // self.scale


def allocation_relaxation(prep: PreparedInstance) -> Relaxation:
    """Maximum children, then maximum weight, with units split child by child.

    Substituting f = size × x in the assignment LP gives a network: source→unit
    (capacity size), unit→household (capacity size, value weight/size per child),
    household→sink (capacity vacancies). Per-child values are scaled by L (the lcm of
    unit sizes, capped) and rounded up, so the bound stays valid.
    """
    u, h = prep.n_units, prep.n_households
    sizes = np.unique(prep.size) if u else np.array([1])
    lcm = 1
    for s in sizes.tolist():
        lcm = math.lcm(lcm, int(s))
    scale = min(lcm, _MAX_LCM)
    psize = prep.size[prep.pair_unit]
    cost_num = -(-(prep.weight * scale) // psize)  # ceil division
    if prep.n_pairs == 0:
        return Relaxation(np.zeros(0, np.int64), cost_num, scale, 0)
    sink = u + h + 1
    tails = np.concatenate([np.zeros(u, np.int64), prep.pair_unit + 1, np.arange(h) + u + 1])
    heads = np.concatenate([np.arange(u) + 1, prep.pair_household + u + 1, np.full(h, sink)])
    caps = np.concatenate([prep.size, psize, np.maximum(prep.vacancies, 0)])
    costs = np.concatenate([np.zeros(u, np.int64), -cost_num, np.zeros(h, np.int64)])
    supply = int(prep.size.sum())
    smcf, flows = _solve(tails, heads, caps, costs, u + h + 2, supply, max_flow=True)
    return Relaxation(flows[u : u + prep.n_pairs], cost_num, scale, int(smcf.maximum_flow()))


def class_max_flow(
    class_cap: IntArray,
    arc_class: IntArray,
    arc_set: IntArray,
    set_cap: IntArray,
    *,
    arc_flows: bool = True,
) -> tuple[int, IntArray, BoolArray]:
    """Max-flow source → classes → sets → sink, by OR-Tools `SimpleMaxFlow`: the flow to
    households of interchangeable units (a class, capacity `class_cap`) over sets of
    interchangeable households (capacity `set_cap`), one arc per (class, set) that is
    feasible. Returns (value, flow per class → set arc (zeros unless `arc_flows`), the
    classes and sets on the source side of a minimum cut). Arcs from an empty class or
    into a full set carry nothing and are left out of the network."""
    n_c, n_s = len(class_cap), len(set_cap)
    keep: IntArray | slice = slice(None)
    if not bool((class_cap > 0).all() and (set_cap > 0).all()):
        keep = np.flatnonzero((class_cap[arc_class] > 0) & (set_cap[arc_set] > 0))
    m = len(arc_class) if isinstance(keep, slice) else len(keep)
    if m == 0:
        return 0, np.zeros(len(arc_class), np.int64), np.zeros(n_c + n_s, dtype=bool)
    source, sink = n_c + n_s, n_c + n_s + 1
    # one int32 array per column, filled in place: the arcs number in the millions
    tails = np.empty(n_c + m + n_s, dtype=np.int32)
    heads = np.empty(n_c + m + n_s, dtype=np.int32)
    caps = np.empty(n_c + m + n_s, dtype=np.int64)
    tails[:n_c], heads[:n_c], caps[:n_c] = source, np.arange(n_c), class_cap
    tails[n_c : n_c + m] = arc_class[keep]
    heads[n_c : n_c + m] = arc_set[keep]
    heads[n_c : n_c + m] += n_c
    caps[n_c : n_c + m] = int(class_cap.sum()) + 1
    tails[n_c + m :], heads[n_c + m :], caps[n_c + m :] = n_c + np.arange(n_s), sink, set_cap
    solver = ortools_max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(tails, heads, caps)
    status = solver.solve(source, sink)
    if status != solver.OPTIMAL:
        raise FlowError(f"max-flow ended with status {status}")
    flows = np.zeros(len(arc_class), dtype=np.int64)
    if arc_flows:
        flows[keep] = solver.flows(np.arange(n_c, n_c + m, dtype=np.int32))
    source_side = np.zeros(n_c + n_s + 2, dtype=bool)
    source_side[np.asarray(solver.get_source_side_min_cut(), dtype=np.int64)] = True
    return int(solver.optimal_flow()), flows, source_side[: n_c + n_s]
