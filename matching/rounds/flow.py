"""Network-flow solvers (OR-Tools ``SimpleMinCostFlow``), exact where the round is a
network problem and a valid relaxation where it is not.

Node layout for both models: source 0, units 1..U, households U+1..U+H, sink U+H+1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from matching.rounds.prep import IntArray, PreparedRound

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


def shortlist_flow(prep: PreparedRound, per_unit: int, max_appearances: int) -> IntArray:
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


def allocation_relaxation(prep: PreparedRound) -> Relaxation:
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
