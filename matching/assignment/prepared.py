"""An instance prepared for the assignment kernel: validated, deduplicated arrays.

This is the ONE place where scores are clamped to 0..100 and become integers
(`scaled_weights`): a pair's score weight is ``round(priority × score × SCORE_SCALE)``.
It is also the one place the tiers (`matching.tiers`) join the objective: a pair's
``weight`` is ``tier × tier_step + score weight``, where ``tier`` is the pair's tier code
less the lowest code among its unit's pairs, and ``tier_step`` exceeds every score
weight a plan can earn (the contact bonus included). So after the children placed the
kernel maximises the tiers, and only then the score: lexicographically, with no change
to the flow, greedy or CP-SAT code, which all read ``PreparedInstance.weight``. (Less the
unit's lowest code: a unit whose households are all in one tier gains nothing from it,
so a child whose needs no household fully meets is not put behind one with no needs.)
Their objectives are comparable to the unit, in a round and in the gap report (whose
scores are 0 and tiers empty: its objective is the children placed alone).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matching.instance import MatchingInstance

SCORE_SCALE = 100  # hundredths of a score point
# A score is a sum of float points (matching.scoring), so it can land a few ulps outside
# 0..100 (100.00000000000001 was seen at 20,000 children); anything further out is a bug
# upstream and is refused.
_SCORE_SLACK = 1e-6

# The largest pair weight the solvers may see: their objectives (the flow's cost scaled
# by the lcm of unit sizes, CP-SAT's children level) must stay well inside int64.
_MAX_WEIGHT = 2**40

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
    weight: IntArray  # tier × tier_step + score weight (the solvers' objective per pair)
    unit_start: IntArray
    # unit pairs that must never share a household, sorted, with the reason of each
    # (siblings assessed apart, or a co-placement rule)
    never_together: tuple[tuple[int, int], ...]
    never_together_reason: tuple[str, ...]
    contact: tuple[tuple[int, int], ...]
    contact_bonus: int  # scaled points per sibling pair placed within the contact radius
    # per pair, its tier above the unit's lowest (0 everywhere when there are no tiers),
    # and the weight one tier is worth (more than all the score weight a plan can earn)
    tier: IntArray | None = None
    tier_step: int = 0

    def tiers(self) -> IntArray:
        """Each pair's tier above its unit's lowest (zeros without tiers)."""
        return self.tier if self.tier is not None else np.zeros(self.n_pairs, dtype=np.int64)

    def score_weight(self, pairs: IntArray) -> IntArray:
        """The score part of `pairs`' weights (priority × score, scaled)."""
        out: IntArray = self.weight[pairs] - self.tiers()[pairs] * self.tier_step
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
    gives one unit (a shortlist round's K): the tier step exceeds that many best scores
    of every unit.
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
    tier, step, weight = _tiered(pu, pt, scored, n_u, bonus * len(contact), pairs_per_unit)
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
        contact_bonus=bonus,
        tier=tier,
        tier_step=step,
    )


def _tiered(
    pu: IntArray, pt: IntArray, scored: IntArray, n_u: int, contact: int, per_unit: int
) -> tuple[IntArray | None, int, IntArray]:
    """(tier above the unit's lowest per pair, tier step, weight) of pairs sorted by unit.

    The step is one more than the most score weight any plan can earn (each unit
    `per_unit` times its best pair, every contact bonus), so one tier outweighs every
    score of the round.
    """
    if not len(pu) or not pt.any():
        return None, 0, scored
    lowest = np.full(n_u, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(lowest, pu, pt)
    tier = pt - lowest[pu]
    if not tier.any():
        return None, 0, scored
    best = np.zeros(n_u, dtype=np.int64)
    np.maximum.at(best, pu, scored)
    step = max(per_unit, 1) * int(best.sum()) + contact + 1
    if int(tier.max()) * step + int(scored.max()) > _MAX_WEIGHT:
        raise ValueError("tiers and scores exceed the solvers' integer range")
    weight: IntArray = tier * step + scored
    return tier, step, weight
