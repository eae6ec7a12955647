"""An instance prepared for the assignment kernel: validated, deduplicated arrays.

This is the ONE place where scores are clamped to 0..100 and become integers
(`scaled_weights`): a pair's score weight is ``round(priority × score × SCORE_SCALE)``.
It is also the one place the tiers (`matching.tiers`) join the objective, strictly
lexicographically: after the children placed, the kernel maximises the number of units
that gain the first tier (kinship), then the second (needs met), then the third
(permanence), and only then Σ priority × score, so no number of gains in a lower tier
outweighs one gain in a higher tier, and no score outweighs a tier. A unit *gains* a
tier when it is placed with a household meeting it while some household of its own
does not (a tier that all or none of its households meet changes nothing for it, so a
child whose needs no household fully meets is not put behind one with no needs).

A pair's ``weight`` is ``tier + score weight``, where ``tier`` is Σ over the tiers the
pair gains of that tier's step. The steps are set per connected component of the
feasibility graph (units and households joined by pairs, never-together and contact
pairs), which cannot influence one another: from the lowest tier up, a tier's step is
one more than the most that everything below it can add up to in the component (each
unit's best pair of the levels below, `pairs_per_unit` times, plus every contact
bonus). So the flow, greedy and CP-SAT code, which all read ``PreparedInstance.weight``
and compare (children, weight), need no change. A component's steps grow with the
product of its counts of units that can gain each lower tier (a tier no unit of the
component can gain costs nothing). Where that would pass the solvers' integer range
(`_MAX_WEIGHT` per pair, `_MAX_TOTAL` per component and per shortlist round) the
scores, the last level only, are counted in coarser units (``score_unit``, a power of
two of hundredths): the tiers stay strict and the reported objective is still computed
from the scores themselves (benchmarks/README.md records where this happens).
Objectives are comparable to the unit, in a round and in the gap report (whose scores
are 0 and tiers empty: its objective is the children placed alone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from matching.instance import MatchingInstance

SCORE_SCALE = 100  # hundredths of a score point
# A score is a sum of float points (matching.scoring), so it can land a few ulps outside
# 0..100 (100.00000000000001 was seen at 20,000 children); anything further out is a bug
# upstream and is refused.
_SCORE_SLACK = 1e-6

# The largest pair weight the solvers may see (the flow scales a pair's weight by the
# lcm of unit sizes, OR-Tools' cost scaling by the node count), and the most weight a
# component's plan may earn (CP-SAT puts the children above it, × children; the
# shortlist flow puts the units covered above the whole round's): both keep the
# solvers' objectives well inside int64.
_MAX_WEIGHT = 2**40
_MAX_TOTAL = 2**46

# the reason code of a pair of units that must not share a household because two of
# their children were assessed to live apart (the domain's `siblings_apart` rule)
SIBLINGS_APART = "siblings_apart"
# ... because one child's requirements or a risk rule of the policy rule the other out
# (`matching.coplacement`)
CO_PLACEMENT = "co_placement"

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PreparedInstance:
    """Validated, deduplicated pairs sorted by (unit, weight desc, household).

    Pairs of unit ``u`` are ``unit_start[u]:unit_start[u + 1]``, best first.
    """

    n_units: int
    n_households: int
    size: IntArray
    priority: FloatArray
    vacancies: IntArray
    # most units each household may take (its vacancies when it has no limit of its
    # own: every unit has a child, so the vacancies limit the units anyway)
    unit_limit: IntArray
    lat: FloatArray
    lon: FloatArray
    pair_unit: IntArray
    pair_household: IntArray
    pair_score: FloatArray
    weight: IntArray  # tier + score weight (the solvers' objective per pair)
    unit_start: IntArray
    # unit pairs that must never share a household, sorted, with the reason of each
    # (siblings assessed apart, or a co-placement rule)
    never_together: tuple[tuple[int, int], ...]
    never_together_reason: tuple[str, ...]
    contact: tuple[tuple[int, int], ...]
    contact_bonus: int  # scaled points per sibling pair placed within the contact radius
    # per pair, the weight of the tiers it gains for its unit (0 everywhere when there
    # are no tiers; lexicographic, see the module docstring), and the most score weight
    # (with contact bonuses) any plan can earn, which no tier step is below
    tier: IntArray | None = None
    score_cap: int = 0
    # the score weights (and the contact bonus) in ``weight`` are counted in units of
    # this many hundredths (floored): 1 unless a component's tiers need the range
    score_unit: int = 1

    def tiers(self) -> IntArray:
        """Each pair's tier weight (zeros without tiers): within a unit, a higher value
        is a higher rank in the policy's tiers."""
        return self.tier if self.tier is not None else np.zeros(self.n_pairs, dtype=np.int64)

    def score_weight(self, pairs: IntArray) -> IntArray:
        """The score part of `pairs`' weights (priority × score, in hundredths ×
        `score_unit`, floored)."""
        out: IntArray = self.weight[pairs] - self.tiers()[pairs]
        return out

    @property
    def n_pairs(self) -> int:
        """Number of usable (deduplicated) pairs."""
        return len(self.pair_unit)

    def pairs_of(self, unit: int) -> range:
        """Indices of ``unit``'s pairs, best first."""
        return range(int(self.unit_start[unit]), int(self.unit_start[unit + 1]))


def scale_points(points: float) -> int:
    """Score points (possibly priority weighted) to the solvers' integer scale."""
    return round(points * SCORE_SCALE)


def clamped_scores(scores: FloatArray) -> FloatArray:
    """Scores clamped to 0..100; `ValueError` for one that is not finite or lies
    further outside than float rounding can explain."""
    if len(scores) and (
        not np.all(np.isfinite(scores))
        or scores.min() < -_SCORE_SLACK
        or scores.max() > 100 + _SCORE_SLACK
    ):
        raise ValueError("pair scores must lie in 0..100")
    return np.clip(scores, 0.0, 100.0)


def scaled_weights(priority: FloatArray, scores: FloatArray) -> IntArray:
    """The solvers' integer weight of each pair: priority × score, in hundredths."""
    return np.rint(priority * scores * SCORE_SCALE).astype(np.int64)


def _unit_pairs(
    pairs: tuple[tuple[int, int], ...], n_units: int, what: str
) -> tuple[tuple[int, int], ...]:
    seen: set[tuple[int, int]] = set()
    for a, b in pairs:
        a, b = int(a), int(b)
        if not (0 <= a < n_units and 0 <= b < n_units):
            raise ValueError(f"{what} refers to a unit index out of range: ({a}, {b})")
        if a != b:
            seen.add((min(a, b), max(a, b)))
    return tuple(sorted(seen))


def prepare(
    instance: MatchingInstance,
    *,
    allocate: bool,
    contact_bonus: float = 0.0,
    pairs_per_unit: int = 1,
) -> PreparedInstance:
    """Validate the instance and build the solver arrays.

    In allocate mode pairs whose unit does not fit the household's vacancies are
    dropped (the engine should never emit them; a solver must never use them).
    Duplicate pairs keep their highest score. `pairs_per_unit` is the most pairs a plan
    gives one unit (a shortlist round's K): each tier step exceeds that many best pairs
    of every unit at the levels below it.
    """
    n_u, n_h = len(instance.units), len(instance.households)
    size = np.array([u.size for u in instance.units], dtype=np.int64)
    priority = np.array([u.priority for u in instance.units], dtype=np.float64)
    vac = np.array([h.vacancies for h in instance.households], dtype=np.int64)
    unit_limit = np.array(
        [h.vacancies if h.max_units is None else h.max_units for h in instance.households],
        dtype=np.int64,
    )
    if len(unit_limit) and unit_limit.min() < 0:
        raise ValueError("a household's unit limit cannot be negative")
    lat = np.array([h.lat for h in instance.households], dtype=np.float64)
    lon = np.array([h.lon for h in instance.households], dtype=np.float64)
    pu = np.asarray(instance.pair_unit, dtype=np.int64)
    ph = np.asarray(instance.pair_household, dtype=np.int64)
    ps = np.asarray(instance.pair_score, dtype=np.float64)
    pt = instance.tiers()
    if len(pt) and pt.min() < 0:
        raise ValueError("tier codes cannot be negative")
    if len(pu) and (pu.min() < 0 or pu.max() >= n_u or ph.min() < 0 or ph.max() >= n_h):
        raise ValueError("pair arrays refer to a unit or household index out of range")
    if n_u and (size.min() < 1 or not np.all(np.isfinite(priority)) or priority.min() < 0):
        raise ValueError("every unit needs at least one child and a non-negative priority")
    if allocate and len(pu):
        fits = size[pu] <= vac[ph]
        pu, ph, ps, pt = pu[fits], ph[fits], ps[fits], pt[fits]
    ps = clamped_scores(ps)
    scored = scaled_weights(priority[pu], ps)
    # sort by unit, best tier then best score first, then household id; the first of
    # duplicates wins
    order = np.lexsort((ph, -scored, -pt, pu))
    pu, ph, ps, pt, scored = pu[order], ph[order], ps[order], pt[order], scored[order]
    if len(pu):
        key = pu * max(n_h, 1) + ph
        _, first = np.unique(key, return_index=True)
        keep = np.sort(first)
        pu, ph, ps, pt, scored = pu[keep], ph[keep], ps[keep], pt[keep], scored[keep]
    # Units that must never share a household: siblings assessed apart, then the
    # co-placement rules (a pair that is both keeps the siblings' reason).
    apart = _unit_pairs(instance.apart_units, n_u, "apart_units")
    co_placed = set(_unit_pairs(instance.co_placement_units, n_u, "co_placement_units"))
    co_placed.difference_update(apart)
    reasons = dict.fromkeys(apart, SIBLINGS_APART) | dict.fromkeys(co_placed, CO_PLACEMENT)
    never_together = tuple(sorted(reasons))
    unit_start = np.zeros(n_u + 1, dtype=np.int64)
    np.cumsum(np.bincount(pu, minlength=n_u), out=unit_start[1:])
    contact = _unit_pairs(instance.sibling_contact_units, n_u, "sibling_contact_units")
    bonus = scale_points(contact_bonus) if allocate else 0
    links = (*never_together, *contact) if allocate else ()
    per_unit = max(pairs_per_unit, 1)
    best_score = _unit_best(pu, scored, n_u)
    cap = per_unit * int(best_score.sum()) + bonus * len(contact)
    tiered = _Tiered(
        pu, ph, pt, scored, n_u, n_h, links, contact, bonus, per_unit, whole=not allocate
    )
    tier, weight, unit = tiered.solve()
    return PreparedInstance(
        n_units=n_u,
        n_households=n_h,
        size=size,
        priority=priority,
        vacancies=vac,
        unit_limit=np.minimum(unit_limit, np.maximum(vac, 0)),
        lat=lat,
        lon=lon,
        pair_unit=pu,
        pair_household=ph,
        pair_score=ps,
        weight=weight,
        unit_start=unit_start,
        never_together=never_together,
        never_together_reason=tuple(reasons[p] for p in never_together),
        contact=contact,
        contact_bonus=bonus // unit,
        tier=tier,
        score_cap=cap,
        score_unit=unit,
    )


def components(
    n_units: int,
    n_households: int,
    pair_unit: IntArray,
    pair_household: IntArray,
    links: Sequence[tuple[int, int]] = (),
) -> tuple[int, IntArray, IntArray]:
    """Connected components over units and households, joined by pairs and by unit
    `links` (never-together and contact pairs); (count, label of each unit, label of
    each household)."""
    extra = np.array(list(links), dtype=np.int64).reshape(-1, 2)
    rows = np.concatenate([pair_unit, extra[:, 0]])
    cols = np.concatenate([pair_household + n_units, extra[:, 1]])
    size = n_units + n_households
    graph = sp.coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(size, size))
    n, labels = connected_components(graph, directed=False)
    labels = labels.astype(np.int64)
    return int(n), labels[:n_units], labels[n_units:]


def _unit_best(pu: IntArray, values: IntArray, n_u: int) -> IntArray:
    best = np.zeros(n_u, dtype=np.int64)
    np.maximum.at(best, pu, values)
    return best


class _OutOfRange(ValueError):
    """The tiers and scores need more than `_MAX_WEIGHT` or `_MAX_TOTAL`."""


def _most(
    pu: IntArray,
    label: IntArray,
    n_u: int,
    n_comp: int,
    weight: IntArray,
    per_unit: int,
    comp_bonus: IntArray,
) -> IntArray:
    """Per component, the most `weight` a plan can earn (`per_unit` times each unit's
    best pair, and every contact bonus); `_OutOfRange` past `_MAX_TOTAL` (checked in
    floating point first, so the integer sum cannot wrap)."""
    best = _unit_best(pu, weight, n_u)
    rough = np.zeros(n_comp, dtype=np.float64)
    np.add.at(rough, label, best.astype(np.float64))
    if len(rough) and float(per_unit * rough.max() + comp_bonus.max()) > _MAX_TOTAL:
        raise _OutOfRange("tiers and scores exceed the solvers' integer range")
    most = np.zeros(n_comp, dtype=np.int64)
    np.add.at(most, label, best)
    out: IntArray = per_unit * most + comp_bonus
    return out


@dataclass(frozen=True)
class _Tiered:
    """The tier weights of pairs sorted by unit (see the module docstring).

    Tier codes carry one bit per tier, the policy's first tier the highest bit
    (`matching.tiers.tier_codes`). A pair gains bit j when it has it and some pair of
    its unit does not. Per component, from the lowest bit up, bit j's step is one more
    than the most a plan can earn below it: per unit, `per_unit` times its best pair's
    weight of the lower bits and score, plus the component's contact bonuses.
    """

    pu: IntArray
    ph: IntArray
    pt: IntArray
    scored: IntArray
    n_u: int
    n_h: int
    links: Sequence[tuple[int, int]]
    contact: Sequence[tuple[int, int]]
    bonus: int
    per_unit: int
    whole: bool  # the round is one flow (a shortlist): its total must fit as well

    def solve(self) -> tuple[IntArray | None, IntArray, int]:
        """(tier weight per pair, weight, score unit). The score unit is 1 unless the
        range needs more: then the scores (the last level) are counted in the smallest
        power of two of hundredths that fits, so the tiers stay strict and only ties of
        scores closer than that unit are broken by the order of pairs."""
        pu, pt = self.pu, self.pt
        if not len(pu) or not pt.any():
            return None, self.scored, 1
        n_comp, label, _ = components(self.n_u, self.n_h, pu, self.ph, self.links)
        unit = 1
        while True:
            try:
                tier = self._tiers(label, n_comp, unit)
            except _OutOfRange:
                if unit > _MAX_TOTAL:  # the tiers alone do not fit
                    raise ValueError(
                        "tiers exceed the solvers' integer range even without scores"
                    ) from None
                unit *= 2
                continue
            if not tier.any():
                return None, self.scored, 1
            weight: IntArray = tier + self.scored // unit
            return tier, weight, unit

    def _tiers(self, label: IntArray, n_comp: int, unit: int) -> IntArray:
        pu, pt, n_u, per_unit = self.pu, self.pt, self.n_u, self.per_unit
        comp = label[pu]
        scored = self.scored // unit
        comp_bonus = np.zeros(n_comp, dtype=np.int64)
        if self.contact and self.bonus // unit:
            first = label[np.array(self.contact, dtype=np.int64)[:, 0]]
            np.add.at(comp_bonus, first, self.bonus // unit)
        tier = np.zeros(len(pu), dtype=np.int64)
        for bit in range(int(pt.max()).bit_length()):
            has = (pt >> bit) & 1
            lowest = np.ones(n_u, dtype=np.int64)
            np.minimum.at(lowest, pu, has)
            gain = has - lowest[pu]
            if not gain.any():
                continue  # no unit can gain this tier: it costs no range
            step = _most(pu, label, n_u, n_comp, tier + scored, per_unit, comp_bonus) + 1
            tier += gain * step[comp]
        # the whole component's range too (CP-SAT multiplies it by the children
        # placed), and a shortlist's whole round (its flow has one objective)
        most = _most(pu, label, n_u, n_comp, tier + scored, per_unit, comp_bonus)
        whole = float(most.astype(np.float64).sum()) if self.whole else 0.0
        if int((tier + scored).max()) > _MAX_WEIGHT or whole > _MAX_TOTAL:
            raise _OutOfRange("tiers and scores exceed the solvers' integer range")
        return tier
