"""The fairness report: which groups of waiting children the policy and the pool serve
less well, what drives it, and how often people departed from the system's ranking.

    fairness_report(authority, as_of=..., policy=..., round_outcome=..., decisions=...)
        -> FairnessReport

Every figure comes from the engines the service already uses, never a second copy:

* each waiting unit (children all `waiting`, plans family-found: a round's units) gets
  what the shortlist's engine (`matching.shortlist.rank_unit`) would give it, from
  `ranked_figures`: its feasible households, the score of the household at the top of
  its shortlist and that score's points by criterion, and the share of the pool each
  hard rule excludes for it; the hard rules are evaluated once per unit type against
  household types (as the gap report's feasibility) and only the highest tier on the
  unit's list is scored, the same figures unit by unit (tested against `rank_unit`);
* "placeable by today's pool" is the gap report's engine
  (`matching.feasibility.most_children_households`: a placement of the most children,
  hard rules only); a child is placeable when its unit has a home in that placement;
* "placed by the allocate round" is the outcome of a stored round (`RoundOutcome`),
  for the children who took part in it.

Children are grouped along six dimensions (`DIMENSIONS`). For each group and each
figure where more is better, the group's figure is divided by the other children's;
a percentile bootstrap with a fixed seed gives the interval (resampling units within
the group and within the others, since siblings share their unit's figures; each
resample's figure drawn without listing the resample: a multinomial count of each kind
of unit, and where every unit is one child a share from its Jeffreys posterior and an
order statistic for a quantile, so a national authority costs about what a small one
does); a group is flagged when the
whole interval lies below the policy's threshold (`[fairness]`, the four-fifths
convention). A flag names its drivers: the criteria whose
mean points (at the top of the shortlist) the group gets fewer of than the others, and
the hard rules that exclude more of the pool for the group than for the others, most
important first.

Counts are suppressed as the gap report's are (`matching.gaps.suppression`: 1 to 5
shown as `c`, secondary suppression within each dimension and its total); a suppressed
group's figures are withheld. The report names no child.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TextIO

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from scipy.stats import binom

from matching import labels
from matching.domain import Authority, Child
from matching.feasibility import days_waiting, is_round_unit, most_children_households
from matching.gaps.grouped_feasibility import (
    TYPED_RULES,
    household_types,
    unit_part,
    unit_rule_key,
)
from matching.gaps.profiles import ProfileSettings
from matching.gaps.suppression import SUPPRESSED, suppress_grid
from matching.policy import Policy, default_policy
from matching.pool import BROAD_GROUPS, HouseholdPool
from matching.practice_units import PracticeUnits, practice_units
from matching.rules import HARD_RULES, RULE_NAMES, RULE_READS, UnitFeatures, too_near
from matching.scoring import CRITERION_NAMES, score_candidates
from matching.shortlist import MatchingContext
from matching.siblings import sibling_units
from matching.tiers import tier_codes

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SCHEMA_VERSION = 1
NOT_RECORDED = "Not recorded"
UASC, NOT_UASC = "Unaccompanied asylum-seeking", "Not unaccompanied asylum-seeking"
ETHNIC_GROUPS = ("White", "Mixed", "Asian", "Black", "Other", NOT_RECORDED)

# ------------------------------------------------------------------ groups of children


@dataclass(frozen=True)
class Dimension:
    """A way of grouping children: its groups in order, and the group of one child."""

    key: str
    groups: tuple[str, ...]
    group_of: Callable[[Child, int, int], str]  # (child, age, unit size) -> group


def dimensions(policy: Policy) -> tuple[Dimension, ...]:
    """The six dimensions of the report (age bands from `[profiles]`, disability from
    `[fairness]`)."""
    settings = ProfileSettings.from_policy(policy)
    disability = frozenset(policy.fairness.disability_needs)
    return (
        Dimension(
            "ethnicity", ETHNIC_GROUPS, lambda c, a, s: BROAD_GROUPS.get(c.ethnicity, NOT_RECORDED)
        ),
        Dimension("sex", tuple(labels.SEX.values()), lambda c, a, s: labels.label("sex", c.sex)),
        Dimension(
            "age_band", tuple(settings.age_band_labels()), lambda c, a, s: settings.age_band(a)
        ),
        Dimension(
            "disability",
            ("Any disability need", "No disability need"),
            lambda c, a, s: (
                "Any disability need" if disability & set(c.needs) else "No disability need"
            ),
        ),
        Dimension(
            "sibling_group",
            ("In a sibling group", "Not in a sibling group"),
            lambda c, a, s: "In a sibling group" if s > 1 else "Not in a sibling group",
        ),
        Dimension(
            "uasc",
            (UASC, NOT_UASC),
            lambda c, a, s: UASC if "uasc" in c.needs else NOT_UASC,
        ),
    )


# ------------------------------------------------------------------------------ metrics


@dataclass(frozen=True)
class Metric:
    """A figure per group: a quantile of the children's values, or their mean (a share
    of 0/1 values). `ratio`: more is better, so a group is compared with the others."""

    key: str
    quantile: float | None  # None: the mean
    ratio: bool


METRICS: tuple[Metric, ...] = (
    Metric("feasible_households_median", 0.5, True),
    Metric("feasible_households_lower_quartile", 0.25, True),
    Metric("best_score_median", 0.5, True),
    Metric("placed_by_round_share", None, True),
    Metric("placeable_share", None, True),
    Metric("within_first_threshold_share", None, True),
    Metric("within_second_threshold_share", None, True),
    Metric("days_waiting_median", 0.5, False),
)
METRIC_KEYS = tuple(m.key for m in METRICS)
# the figure each metric is computed from (several metrics share one)
_SOURCE = {
    "feasible_households_median": "feasible",
    "feasible_households_lower_quartile": "feasible",
    "best_score_median": "best_score",
    "placed_by_round_share": "placed",
    "placeable_share": "placeable",
    "within_first_threshold_share": "within_first",
    "within_second_threshold_share": "within_second",
    "days_waiting_median": "days",
}
# a score-driven figure names criteria first; the others name hard rules first
_SCORE_METRICS = frozenset({"best_score_median"})


@dataclass(frozen=True)
class RoundOutcome:
    """Who took part in an allocate round and who was placed by it."""

    round_id: int
    as_of: date
    children: frozenset[str]
    placed: frozenset[str]


@dataclass(frozen=True)
class RankingDecision:
    """A panel recommendation or an agency decision on a proposal, and whether it went
    against the system's ranking (`departs_from_ranking`)."""

    stage: Literal["panel", "decision"]
    children: tuple[str, ...]
    departed: bool


def departs_from_ranking(rank: int | None, outcome: str) -> bool:
    """Whether a recommendation or decision goes against the system's ranking: a match
    taken forward (recommended, approved) with a household that was not the top-ranked,
    or the top-ranked household's match turned down (not recommended, declined).
    A withdrawal takes no view of the ranking; an unknown rank is not a departure."""
    if rank is None:
        return False
    if outcome in ("recommended", "approved"):
        return rank > 1
    if outcome in ("not_recommended", "declined"):
        return rank == 1
    return False


# ------------------------------------------------------------------------------ results


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Cell = int | Literal["c"]


class Ratio(_Frozen):
    ratio: float
    interval: tuple[float, float]


class GroupFigures(_Frozen):
    """One group's figures (None: withheld, not applicable, or no child to compute on)."""

    dimension: str
    group: str
    children: Cell
    metrics: dict[str, float | None]
    ratios: dict[str, Ratio | None]


class Driver(_Frozen):
    """A criterion the group gets fewer points from, or a hard rule that excludes more
    of the pool for it, than for the other children."""

    kind: Literal["criterion", "rule"]
    name: str
    group: float  # mean points (criterion) or mean share of the pool excluded (rule)
    others: float
    difference: float  # how much worse for the group (points, or share of the pool)


def driver_phrase(driver: Driver) -> str:
    """A driver in words: what a criterion earns the group's best households, or how much
    of the pool a hard rule rules out for them, against the other children."""
    if driver.kind == "criterion":
        name = labels.lower(labels.label("criterion", driver.name))
        return (
            f"{name} earns their best households {driver.group:.1f} points on average, "
            f"against {driver.others:.1f} for the other children"
        )
    name = labels.lower(labels.label("rule", driver.name))
    return (
        f"{name} rules out {driver.group:.0%} of the pool for them, "
        f"against {driver.others:.0%} for the other children"
    )


class Flag(_Frozen):
    dimension: str
    group: str
    metric: str
    ratio: float
    interval: tuple[float, float]
    drivers: tuple[Driver, ...]


class Overrides(_Frozen):
    """How often people went against the system's ranking, for one group's children."""

    dimension: str
    group: str
    decisions: Cell
    departures: Cell


class FairnessReport(_Frozen):
    """The report under one policy (`to_json()` is what `--json` prints)."""

    schema_version: int = SCHEMA_VERSION
    as_of: date
    policy_version: str
    threshold: float
    confidence: float
    bootstrap_samples: int
    seed: int
    min_children: int
    # the scorecard thresholds the waiting figures count against (policy [priority])
    first_threshold_days: int
    second_threshold_days: int
    children_waiting: int
    round_id: int | None
    groups: tuple[GroupFigures, ...]
    flags: tuple[Flag, ...]
    overrides: tuple[Overrides, ...]
    decisions: int
    departures: int

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def group(self, dimension: str, group: str) -> GroupFigures:
        return next(g for g in self.groups if g.dimension == dimension and g.group == group)


# ------------------------------------------------------------------- per-child figures


@dataclass(frozen=True)
class ChildFigures:
    """What the report computes per waiting child (arrays in `children` order); the
    figures of a sibling group's unit are each of its children's."""

    children: tuple[str, ...]
    groups: dict[str, tuple[str, ...]]  # dimension -> each child's group
    values: dict[str, FloatArray]  # source figure -> per child (nan: no value)
    criterion_points: FloatArray  # children x CRITERION_NAMES, nan without a shortlist
    rule_share: FloatArray  # children x RULE_NAMES: share of the pool excluded
    # each child's unit (numbered from 0): the bootstrap resamples units, not children
    unit_of_child: IntArray


def _units(context: MatchingContext, practice: PracticeUnits) -> list[tuple[str, ...]]:
    """The units as a shortlist and a round form them (`matching.practice_units`: a
    pending group searched together where a household can take it), and the units of
    the children held for a person's decision as the sibling records put them (they
    wait, so they are counted; no household is proposed to them meanwhile)."""
    matched = practice.authority
    units = list(sibling_units((c.child_id for c in matched.children), matched.links))
    held = {c for h in practice.held for c in h.children}
    units += sorted({context.unit_by_child[c] for c in held})
    return units


@dataclass(frozen=True)
class RankedFigures:
    """What the shortlist's engine (`matching.shortlist.rank_unit`) gives each unit, as
    the report uses it: rows in the order of the units given."""

    feasible: FloatArray  # households passing every hard rule
    best_score: FloatArray  # the score of the top of the shortlist (nan: none feasible)
    criterion_points: FloatArray  # units x CRITERION_NAMES at that top (nan: none)
    rule_excluded: FloatArray  # units x RULE_NAMES: households each rule excludes


def ranked_figures(
    units: Sequence[UnitFeatures], pool: HouseholdPool, policy: Policy
) -> RankedFigures:
    """For each unit: its feasible households, the top of its shortlist (score and
    points by criterion) and the households each hard rule excludes from the whole
    pool, equal to what `rank_unit` and `top_positions(..., 1)` give (tested figure by
    figure), without ranking each unit against the whole pool.

    * The typed hard rules (`matching.gaps.grouped_feasibility`: those not `per_item`)
      are evaluated once per unit type against one household of each household type
      of the whole pool (a status column added: the pool is not only the candidates); a
      rule's count for a unit is the size of the household types it excludes, as its
      mask over the whole pool counts them (every rule's own mask, not the first rule
      that excludes).
    * The per-item rules run with their own functions: `connected_to_child` for a unit
      some connected household is linked to (for any other unit it excludes every
      connected household), `safeguarding_distance` (`too_near`, over the whole pool)
      for a unit with a distance.
    * The top: the feasible households are put in tiers (`tier_codes`); only the highest
      tier present can hold the top, so only it is scored (`score_candidates`, the
      same arithmetic per household as the whole list), and the top is the highest
      score, then the lowest household id, as the shortlist orders it.
    """
    n = len(units)
    feasible = np.zeros(n, dtype=np.float64)
    best = np.full(n, np.nan)
    points = np.full((n, len(CRITERION_NAMES)), np.nan)
    excluded = np.zeros((n, len(RULE_NAMES)), dtype=np.float64)
    if not n:
        return RankedFigures(feasible, best, points, excluded)
    criterion_index = {name: i for i, name in enumerate(CRITERION_NAMES)}
    rule_index = {name: i for i, name in enumerate(RULE_NAMES)}
    risks = policy.co_placement.risk_levels()
    refused = int(np.bitwise_or.reduce(pool.will_not_consider)) if pool.size else 0
    refused &= int(np.bitwise_or.reduce(np.array([u.need_mask for u in units], dtype=np.int64)))
    htype, first = household_types(
        pool,
        eldest=max(u.max_age for u in units),
        largest=max(u.size for u in units),
        refused=refused,
        any_status=True,
    )
    reps = pool.take(first)
    type_size = np.bincount(htype, minlength=len(first))
    typed = [name for name in RULE_NAMES if name in TYPED_RULES]
    connected = pool.is_connected
    linked_children = set(pool.connected_child_ids())

    # per unit type: each typed rule's count, and the rows no typed rule excludes
    # (ascending), without and with the connected households
    keys: dict[tuple[object, ...], int] = {}
    per_type: list[tuple[FloatArray, IntArray, IntArray]] = []
    by_rule: dict[tuple[object, ...], tuple[BoolArray, int]] = {}

    def reader(reads: str) -> Callable[[UnitFeatures], object]:
        if reads == "need_mask":  # as typed: the needs some household refuses
            return lambda unit: unit.need_mask & refused
        return lambda unit: unit_part(reads, unit.children, unit.ages, risks)

    unit_parts = {name: [reader(r) for r in sorted(RULE_READS[name].unit)] for name in typed}
    for u, unit in enumerate(units):
        key = (unit_rule_key(unit.children, unit.ages, risks), unit.need_mask & refused)
        t = keys.get(key)
        if t is None:
            t = keys[key] = len(per_type)
            counts = np.zeros(len(RULE_NAMES), dtype=np.float64)
            out = np.zeros(len(first), dtype=bool)
            for name in typed:
                # a rule's mask depends only on what it declares it reads of the unit:
                # evaluated once per distinct value of that (far fewer than unit types)
                own = (name, *(part(unit) for part in unit_parts[name]))
                found = by_rule.get(own)
                if found is None:
                    mask = HARD_RULES[name](unit, reps)
                    found = by_rule[own] = (mask, int(np.add.reduce(type_size, where=mask)))
                counts[rule_index[name]] = found[1]
                out |= found[0]
            rows = np.flatnonzero(~out[htype])
            per_type.append((counts, rows, rows[~connected[rows]]))
        counts, every, plain = per_type[t]
        excluded[u] = counts
        rows = plain  # no connected household is linked to every child of most units
        near = (
            too_near(unit, pool)
            if any(c.min_distance_km is not None for c in unit.children)
            else np.zeros(0, dtype=np.int64)
        )
        excluded[u, rule_index["safeguarding_distance"]] = len(near)
        if any(c.child_id in linked_children for c in unit.children):
            mask = HARD_RULES["connected_to_child"](unit, pool)
            excluded[u, rule_index["connected_to_child"]] = np.count_nonzero(mask)
            rows = every[~mask[every]]
        else:
            excluded[u, rule_index["connected_to_child"]] = np.count_nonzero(connected)
        if len(near) and len(rows):
            rows = rows[~np.isin(rows, near, assume_unique=True)]
        feasible[u] = len(rows)
        if not len(rows):
            continue
        codes = tier_codes(unit, pool, rows, policy)
        rows = rows[codes == codes.max()]
        table = score_candidates(unit, pool, rows, policy)
        top = int(np.lexsort((pool.id_rank[rows], -table.score))[0])
        best[u] = table.score[top]
        points[u] = 0.0
        for i, criterion in enumerate(table.criteria):
            points[u, criterion_index[criterion.name]] = table.points[i, top]
    return RankedFigures(feasible, best, points, excluded)


def child_figures(
    context: MatchingContext,
    *,
    as_of: date,
    policy: Policy,
    round_outcome: RoundOutcome | None = None,
) -> ChildFigures:
    """The per-child figures of every waiting child of `context`'s authority."""
    authority, pool = context.authority, context.pool
    p = policy.priority
    # the sibling practice rules applied once, for the units and the placeable engine
    practice = practice_units(authority, as_of=as_of, pool=pool, policy=policy)
    placeable_units = set(
        most_children_households(authority, as_of, policy, pool, practice=practice)
    )
    dims = dimensions(policy)
    ids: list[str] = []
    group_lists: dict[str, list[str]] = {d.key: [] for d in dims}
    rows: dict[str, list[float]] = {k: [] for k in set(_SOURCE.values())}
    unit_of_child: list[int] = []
    chosen: list[UnitFeatures] = []
    for unit in _units(context, practice):
        children = [context.children[c] for c in unit]
        if not is_round_unit(children):
            continue
        features = UnitFeatures.from_children(children, as_of, policy)
        placeable = 1.0 if unit in placeable_units else 0.0
        for child, age in zip(children, features.ages, strict=True):
            ids.append(child.child_id)
            unit_of_child.append(len(chosen))
            for d in dims:
                group_lists[d.key].append(d.group_of(child, age, len(unit)))
            days = days_waiting(child, as_of)
            rows["placeable"].append(placeable)
            rows["days"].append(float(days))
            rows["within_first"].append(float(days <= p.first_threshold_days))
            rows["within_second"].append(float(days <= p.second_threshold_days))
            if round_outcome is not None and child.child_id in round_outcome.children:
                rows["placed"].append(float(child.child_id in round_outcome.placed))
            else:
                rows["placed"].append(np.nan)
        chosen.append(features)
    ranked = ranked_figures(chosen, pool, policy)
    of_unit = np.asarray(unit_of_child, dtype=np.int64)
    values = {k: np.asarray(v, dtype=np.float64) for k, v in rows.items()}
    values["feasible"] = ranked.feasible[of_unit]
    values["best_score"] = ranked.best_score[of_unit]
    return ChildFigures(
        children=tuple(ids),
        groups={k: tuple(v) for k, v in group_lists.items()},
        values=values,
        criterion_points=ranked.criterion_points[of_unit],
        rule_share=ranked.rule_excluded[of_unit] / max(pool.size, 1),
        unit_of_child=of_unit,
    )


# ---------------------------------------------------------------------------- statistics


def statistic(values: FloatArray, metric: Metric) -> float | None:
    """The metric of `values` (nan values left out), None when nothing is left."""
    present = values[~np.isnan(values)]
    if not len(present):
        return None
    if metric.quantile is None:
        return float(present.mean())
    return float(np.quantile(present, metric.quantile))


def _resampled(
    values: FloatArray, metric: Metric, rng: np.random.Generator, samples: int
) -> FloatArray:
    """The metric on `samples` bootstrap resamples of `values` (no nan), each value an
    independent observation, drawn exactly without listing the resamples. A share (the
    mean of 0/1 values) is drawn from its Jeffreys posterior (a smoothed binomial draw
    that stays honest at 0 or n successes). A quantile's is an order statistic of the
    sorted values: the resample's r-th smallest value is at most the j-th smallest value
    exactly when at least r of its n draws fall among the j smallest, a binomial count
    (the exact bootstrap of a quantile, Hutson 2004), so its index is read off that
    distribution by inverse transform; r is the nearest rank to the quantile's position."""
    n = len(values)
    if metric.quantile is None:
        # the share's uncertainty from the Jeffreys posterior, Beta(x + 1/2, n - x + 1/2):
        # a plug-in binomial draw collapses to one value when a small group has no (or
        # only) successes, and a ratio "0 to 0" would flag chance, not policy
        x = float(values.sum())
        shares: FloatArray = rng.beta(x + 0.5, n - x + 0.5, size=samples)
        return shares
    ordered = np.sort(values)
    r = round((n - 1) * metric.quantile) + 1
    # P(the resample's r-th smallest <= ordered[j - 1]) for j = 1..n: nondecreasing in j
    at_most = binom.sf(r - 1, n, np.arange(1, n + 1) / n)
    index = np.searchsorted(at_most, rng.random(samples), side="left")
    picked: FloatArray = ordered[np.minimum(index, n - 1)]
    return picked


def _resampled_units(
    values: FloatArray,
    units: IntArray,
    metric: Metric,
    rng: np.random.Generator,
    samples: int,
) -> FloatArray:
    """The metric on `samples` cluster bootstrap resamples: the units (sibling groups,
    `units` gives each value's) are drawn with replacement, each bringing all its
    children's values, since siblings share their unit's figures and are not
    independent observations. Units alike (the same values) are one kind: a resample
    is a multinomial count of each kind, so nothing is listed. Where every unit is one
    child this is `_resampled` (the Jeffreys posterior, the exact quantile draw). A
    share whose units all agree (every unit's children all 1, or all 0) would collapse
    to one value; it is drawn from the Jeffreys posterior with one trial per unit."""
    _, size = np.unique(units, return_counts=True)
    if len(values) == len(size):  # one child per unit: independent observations
        return _resampled(values, metric, rng, samples)
    order = np.lexsort((values, units))
    values, units = values[order], units[order]
    starts = np.flatnonzero(np.r_[True, units[1:] != units[:-1]])
    k = len(starts)
    sizes = np.diff(np.r_[starts, len(values)])
    # each unit as a row: its size, then its sorted values (padded); alike rows, one kind
    unit_of = np.repeat(np.arange(k), sizes)
    rows = np.full((k, int(sizes.max()) + 1), -np.inf)
    rows[:, 0] = sizes
    rows[unit_of, 1 + np.arange(len(values)) - np.repeat(starts, sizes)] = values
    # alike rows, in the order `np.unique(rows, axis=0)` gives (lexicographic), by a
    # lexsort of the columns: the row-wise unique sorts records, several times slower
    by_row = np.lexsort(rows.T[::-1])
    rows = rows[by_row]
    new_kind = np.r_[True, np.any(rows[1:] != rows[:-1], axis=1)]
    kinds = rows[new_kind]
    counts = np.diff(np.r_[np.flatnonzero(new_kind), k])
    held_values = np.isfinite(kinds[:, 1:])
    if metric.quantile is not None and np.all(
        kinds[:, 1:2] == np.where(held_values, kinds[:, 1:], kinds[:, 1:2])
    ):
        # each unit's children share one value (a unit's households, its best score)
        return _unit_quantile(kinds[:, 1], kinds[:, 0], counts, metric.quantile, rng, samples)
    drawn = rng.multinomial(k, counts / k, size=samples).astype(np.float64)
    if metric.quantile is None:
        ones = np.where(held_values, kinds[:, 1:], 0.0).sum(axis=1)
        if np.all(ones == kinds[:, 0]) or not np.any(ones):
            # every child 1 (or every child 0): a unit is one trial of a Jeffreys posterior
            x = float(k) if np.any(ones) else 0.0
            shares: FloatArray = rng.beta(x + 0.5, k - x + 0.5, size=samples)
            return shares
        resampled: FloatArray = (drawn @ ones) / (drawn @ kinds[:, 0])
        return resampled
    # a quantile: every value of every kind, in value order, with how often a resample
    # holds it; the nearest rank in each resample, as `_resampled` takes it
    kind_of, column = np.nonzero(held_values)
    value_of = kinds[:, 1:][kind_of, column]
    by_value = np.argsort(value_of, kind="stable")
    return _quantile_draws(
        drawn, kind_of[by_value], value_of[by_value], counts, metric.quantile, margin=8.0
    )


def _unit_quantile(
    value: FloatArray,
    size: FloatArray,
    counts: IntArray,
    quantile: float,
    rng: np.random.Generator,
    samples: int,
    margin: float = 8.0,
) -> FloatArray:
    """The cluster bootstrap of a quantile when each kind of unit holds `size` children
    of one `value` (`counts` units of each kind), drawn without a multinomial over every
    kind: the units drawn below a window of values near the data's quantile, and those
    above it, are drawn as one count each (the multinomial's aggregation property), then
    by size (how many children they bring); the kinds inside the window are drawn in
    blocks (each block's units of one size one count), then only the block holding the
    resample's quantile kind by kind. A resample whose quantile falls below or above the
    window has that side drawn kind by kind, given its counts by size: the same
    distribution as the full multinomial, at a fraction of its cost when there are
    thousands of kinds."""
    order = np.argsort(value, kind="stable")
    value, size, counts = value[order], size[order].astype(np.int64), counts[order]
    k = int(counts.sum())
    per_child = np.cumsum(counts * size)
    total = float(per_child[-1])
    # the ranks a resample's quantile can plausibly take: `margin` binomial spreads of a
    # rank, inflated for units of several children (at most by the largest's size)
    spread = margin * np.sqrt(total * quantile * (1 - quantile) * float(size.max())) + 32
    inside = np.flatnonzero(np.abs(per_child - quantile * total) <= spread)
    lo = int(inside[0]) if len(inside) else 0
    hi = int(inside[-1]) + 1 if len(inside) else len(value)
    sides = (np.arange(lo), np.arange(hi, len(value)))
    size_values = np.unique(size)
    # the window's kinds in blocks of consecutive values: each block's units of one size
    # are one cell of the multinomial (the aggregation property again), and only the
    # block holding a resample's quantile is drawn kind by kind, given its cells' counts:
    # about 2 * sqrt(kinds) draws a resample instead of one per kind of the window
    block = max(1, int(np.sqrt(hi - lo)))
    cell_key = ((np.arange(lo, hi) - lo) // block) * len(size_values) + np.searchsorted(
        size_values, size[lo:hi]
    )
    cells, cell_of = np.unique(cell_key, return_inverse=True)
    cell_units = np.bincount(cell_of, weights=counts[lo:hi], minlength=len(cells))
    cell_size = size_values[cells % len(size_values)]
    cell_block = cells // len(size_values)
    drawn = rng.multinomial(
        k, np.r_[counts[:lo].sum(), cell_units, counts[hi:].sum()] / k, size=samples
    )
    by_size = []  # per side: its draws by size (samples x sizes) and its children
    for part, column in zip(sides, (drawn[:, 0], drawn[:, -1]), strict=True):
        weights = np.bincount(
            np.searchsorted(size_values, size[part]),
            weights=counts[part],
            minlength=len(size_values),
        )
        if weights.sum():
            composed = rng.multinomial(column, weights / weights.sum())
        else:
            composed = np.zeros((samples, len(size_values)), dtype=np.int64)
        by_size.append(composed)
    below, above = (composed @ size_values for composed in by_size)
    picked = np.zeros(samples, dtype=np.float64)
    if hi > lo:
        first_cell = np.flatnonzero(np.r_[True, cell_block[1:] != cell_block[:-1]])
        block_children = np.add.reduceat(drawn[:, 1:-1] * cell_size, first_cell, axis=1)
        held = below[:, None] + np.cumsum(block_children, axis=1)
        inner = held[:, -1]
    else:
        inner = below
    n = inner + above
    r = np.round((n - 1) * quantile) + 1
    ok = (r > below) & (r <= inner)
    if hi > lo:
        block_of = (held < r[:, None]).sum(axis=1)
        for b in np.unique(block_of[ok]).tolist():
            mine = np.flatnonzero(ok & (block_of == b))
            start = lo + int(cell_block[first_cell[b]]) * block
            kinds = np.arange(start, min(start + block, hi))
            drawn_kinds = np.zeros((len(mine), len(kinds)), dtype=np.int64)
            stop = first_cell[b + 1] if b + 1 < len(first_cell) else len(cells)
            for c in range(int(first_cell[b]), int(stop)):
                members = np.flatnonzero(cell_of[kinds - lo] == c)
                drawn_kinds[:, members] = rng.multinomial(
                    drawn[mine, 1 + c], counts[kinds[members]] / cell_units[c]
                )
            before = held[mine, b - 1] if b else below[mine]
            children = before[:, None] + np.cumsum(drawn_kinds * size[kinds], axis=1)
            picked[mine] = value[kinds[(children < r[mine, None]).sum(axis=1)]]
    for s in np.flatnonzero(~ok).tolist():
        # this resample's quantile lies in one side: that side drawn kind by kind,
        # given how many units of each size it drew
        side, rank = (0, r[s]) if r[s] <= below[s] else (1, r[s] - inner[s])
        part = sides[side]
        units = np.zeros(len(part), dtype=np.int64)
        for j, width in enumerate(size_values.tolist()):
            mine = size[part] == width
            if by_size[side][s, j]:
                units[mine] = rng.multinomial(
                    by_size[side][s, j], counts[part][mine] / counts[part][mine].sum()
                )
        children = np.cumsum(units * size[part])
        picked[s] = value[part][int(np.searchsorted(children, rank, side="left"))]
    return picked


def _quantile_draws(
    drawn: FloatArray,
    kind_of: IntArray,
    values: FloatArray,
    counts: IntArray,
    quantile: float,
    *,
    margin: float | None,
) -> FloatArray:
    """The nearest-rank `quantile` of each resample: `drawn[s, j]` units of kind j, the
    values (ascending) each held by one child of kind `kind_of[i]`; `counts` the units
    of each kind in the data.

    Only a window of values around the data's own quantile is followed child by child
    (`margin` standard errors of the rank either side, with every unit of the largest
    size); the children below it are counted in one product. A resample whose quantile
    falls outside the window is computed over every value, so the draws are those of
    `margin=None` exactly (tested), at a fraction of the cost for a national authority."""
    chosen = np.arange(len(drawn))
    picked = np.zeros(len(drawn), dtype=np.float64)
    if margin is not None and len(values) > 64:
        # each value's rank among the data's children, and the ranks a resample's
        # quantile can plausibly take: the binomial spread of a rank, inflated for
        # units of several children (at most by the largest unit's size)
        per_child = np.cumsum(counts[kind_of])
        largest = int(np.bincount(kind_of).max())
        spread = margin * np.sqrt(per_child[-1] * quantile * (1 - quantile) * largest) + 32
        inside = np.flatnonzero(np.abs(per_child - quantile * per_child[-1]) <= spread)
        if len(inside) and len(inside) < len(values):
            lo, hi = int(inside[0]), int(inside[-1]) + 1
            below_kind = np.bincount(kind_of[:lo], minlength=drawn.shape[1]).astype(np.float64)
            below = drawn @ below_kind
            held = below[:, None] + np.cumsum(drawn[:, kind_of[lo:hi]], axis=1)
            n = drawn @ np.bincount(kind_of, minlength=drawn.shape[1]).astype(np.float64)
            r = np.round((n - 1) * quantile) + 1
            ok = (r > below) & (r <= held[:, -1])
            index = lo + (held < r[:, None]).sum(axis=1)
            picked[ok] = values[index[ok]]
            chosen = np.flatnonzero(~ok)
    if len(chosen):
        held = np.cumsum(drawn[chosen][:, kind_of], axis=1)
        n = held[:, -1]
        r = np.round((n - 1) * quantile) + 1
        index = (held < r[:, None]).sum(axis=1)
        picked[chosen] = values[np.minimum(index, len(values) - 1)]
    return picked


def ratio_interval(
    group: FloatArray,
    others: FloatArray,
    metric: Metric,
    *,
    confidence: float,
    samples: int,
    seed: int,
    group_units: IntArray | None = None,
    others_units: IntArray | None = None,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of metric(group) / metric(others), resampling each
    side on its own with a fixed seed, by unit (`group_units`, `others_units`: each
    child's unit; None: every child its own unit); None when the ratio is undefined in
    too many resamples (the others' figure is 0)."""
    rng = np.random.default_rng(seed)
    sides = []
    for values, units in ((group, group_units), (others, others_units)):
        present = ~np.isnan(values)
        if units is None:
            sides.append(_resampled(values[present], metric, rng, samples))
        else:
            sides.append(_resampled_units(values[present], units[present], metric, rng, samples))
    mine, theirs = sides
    defined = theirs > 0
    if defined.sum() < confidence * samples:
        return None
    ratios = mine[defined] / theirs[defined]
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(ratios, [tail, 1.0 - tail])
    return float(low), float(high)


# ----------------------------------------------------------------------------- drivers


def _behind(
    kind: Literal["criterion", "rule"],
    names: Sequence[str],
    group: FloatArray,
    others: FloatArray,
    *,
    digits: int,
    fewer_is_worse: bool,
) -> list[Driver]:
    """A driver for each name where the group's mean is worse than the other children's
    (fewer, or more when not `fewer_is_worse`), by more than rounds to 0 at `digits`."""
    out: list[Driver] = []
    for i, name in enumerate(names):
        gap = float(others[i] - group[i]) if fewer_is_worse else float(group[i] - others[i])
        if round(gap, digits) > 0:
            out.append(
                Driver(
                    kind=kind,
                    name=name,
                    group=round(float(group[i]), digits),
                    others=round(float(others[i]), digits),
                    difference=round(gap, digits),
                )
            )
    return out


def drivers(figures: ChildFigures, members: BoolArray, metric: str) -> tuple[Driver, ...]:
    """The criteria and hard rules behind a group's lower figure, most important first:
    criteria by the mean points the group's children get fewer of at the top of their
    shortlists; rules by how much more of the pool they exclude for the group. A
    score-driven metric lists criteria first, the others hard rules first."""
    found: dict[str, list[Driver]] = {"criterion": [], "rule": []}
    with_list = ~np.isnan(figures.criterion_points[:, 0])
    mine, theirs = members & with_list, ~members & with_list
    if mine.any() and theirs.any():
        found["criterion"] = _behind(
            "criterion",
            CRITERION_NAMES,
            figures.criterion_points[mine].mean(axis=0),
            figures.criterion_points[theirs].mean(axis=0),
            digits=3,
            fewer_is_worse=True,
        )
    if members.any() and (~members).any():
        found["rule"] = _behind(
            "rule",
            RULE_NAMES,
            figures.rule_share[members].mean(axis=0),
            figures.rule_share[~members].mean(axis=0),
            digits=4,
            fewer_is_worse=False,
        )
    for kind in found:
        found[kind].sort(key=lambda d: (-d.difference, d.name))
    first, second = ("criterion", "rule") if metric in _SCORE_METRICS else ("rule", "criterion")
    return tuple(found[first] + found[second])


# ------------------------------------------------------------------------------ report


def _suppressed_counts(counts: Sequence[Sequence[int]]) -> list[list[Cell]]:
    """A dimension's counts (rows = groups), suppressed as the gap report's tables:
    1 to 5 as c, and secondary suppression against each column's total."""
    cells, _totals = suppress_grid([list(row) for row in counts])
    return [[_cell(c) for c in row] for row in cells]


def _cell(value: int | str) -> Cell:
    return "c" if value == SUPPRESSED else int(value)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def report_from_figures(
    figures: ChildFigures,
    *,
    as_of: date,
    policy: Policy,
    round_outcome: RoundOutcome | None = None,
    decisions: Sequence[RankingDecision] = (),
    child_groups: Mapping[str, Mapping[str, str]] | None = None,
    seed: int = 0,
) -> FairnessReport:
    """The report from per-child figures (see `fairness_report`). `child_groups` gives
    the groups (dimension -> group) of the children decisions name who are no longer
    waiting."""
    settings = policy.fairness
    dims = dimensions(policy)
    groups: list[GroupFigures] = []
    flags: list[Flag] = []
    overrides: list[Overrides] = []
    where = {c: i for i, c in enumerate(figures.children)}
    for d_index, d in enumerate(dims):
        of_child = np.asarray(figures.groups[d.key], dtype=object)
        sizes = [int((of_child == g).sum()) for g in d.groups]
        shown = _suppressed_counts([[s] for s in sizes])
        for g_index, g in enumerate(d.groups):
            members = of_child == g
            cell = shown[g_index][0]
            metrics: dict[str, float | None] = dict.fromkeys(METRIC_KEYS)
            ratios: dict[str, Ratio | None] = {m.key: None for m in METRICS if m.ratio}
            if cell != SUPPRESSED:
                for m_index, m in enumerate(METRICS):
                    values = figures.values[_SOURCE[m.key]]
                    if m.key == "placed_by_round_share" and round_outcome is None:
                        continue
                    metrics[m.key] = _rounded(statistic(values[members], m))
                    if not m.ratio:
                        continue
                    mine, theirs = values[members], values[~members]
                    if np.count_nonzero(~np.isnan(mine)) < settings.min_children:
                        continue
                    theirs_value = statistic(theirs, m)
                    if metrics[m.key] is None or not theirs_value:
                        continue
                    point = statistic(mine, m)
                    assert point is not None
                    interval = ratio_interval(
                        mine,
                        theirs,
                        m,
                        confidence=settings.confidence,
                        samples=settings.bootstrap_samples,
                        seed=seed + 1000 * d_index + 100 * g_index + m_index,
                        group_units=figures.unit_of_child[members],
                        others_units=figures.unit_of_child[~members],
                    )
                    if interval is None:
                        continue
                    ratio = Ratio(
                        ratio=round(point / theirs_value, 4),
                        interval=(round(interval[0], 4), round(interval[1], 4)),
                    )
                    ratios[m.key] = ratio
                    if interval[1] < settings.threshold:
                        flags.append(
                            Flag(
                                dimension=d.key,
                                group=g,
                                metric=m.key,
                                ratio=ratio.ratio,
                                interval=ratio.interval,
                                drivers=drivers(figures, members, m.key),
                            )
                        )
            groups.append(
                GroupFigures(
                    dimension=d.key, group=g, children=cell, metrics=metrics, ratios=ratios
                )
            )
        # overrides: each decision counts once for each group its children belong to
        counted = [[0, 0] for _ in d.groups]
        for decision in decisions:
            touched = set()
            for child_id in decision.children:
                i = where.get(child_id)
                if i is not None:
                    touched.add(figures.groups[d.key][i])
                elif child_groups is not None and child_id in child_groups:
                    touched.add(child_groups[child_id][d.key])
            for g in touched:
                row = counted[d.groups.index(g)]
                row[0] += 1
                row[1] += int(decision.departed)
        override_cells = _suppressed_counts(counted)
        for g, (made, departed) in zip(d.groups, override_cells, strict=True):
            overrides.append(
                Overrides(dimension=d.key, group=g, decisions=made, departures=departed)
            )
    return FairnessReport(
        as_of=as_of,
        policy_version=policy.version,
        threshold=settings.threshold,
        confidence=settings.confidence,
        bootstrap_samples=settings.bootstrap_samples,
        seed=seed,
        min_children=settings.min_children,
        first_threshold_days=policy.priority.first_threshold_days,
        second_threshold_days=policy.priority.second_threshold_days,
        children_waiting=len(figures.children),
        round_id=None if round_outcome is None else round_outcome.round_id,
        groups=tuple(groups),
        flags=tuple(flags),
        overrides=tuple(overrides),
        decisions=len(decisions),
        departures=sum(1 for d in decisions if d.departed),
    )


def groups_of_children(
    children: Sequence[Child], authority: Authority, *, as_of: date, policy: Policy
) -> dict[str, dict[str, str]]:
    """Each child's group in every dimension (for decisions on children no longer
    waiting); a child's sibling group is its together-siblings' unit."""
    context = MatchingContext.prepare(authority, HouseholdPool(()))
    out: dict[str, dict[str, str]] = {}
    for child in children:
        size = len(context.unit_by_child.get(child.child_id, (child.child_id,)))
        age = child.age_on(as_of)
        out[child.child_id] = {d.key: d.group_of(child, age, size) for d in dimensions(policy)}
    return out


def fairness_report(
    source: Authority | MatchingContext,
    *,
    as_of: date,
    policy: Policy | None = None,
    round_outcome: RoundOutcome | None = None,
    decisions: Sequence[RankingDecision] = (),
    seed: int = 0,
) -> FairnessReport:
    """The fairness report of the children waiting on `as_of` under `policy` (default
    if None): figures by group, ratios with their intervals, flags with their drivers,
    and the recommendations and decisions that went against the ranking, by group.

    `source` is an authority, or a `MatchingContext` prepared once (a service's
    snapshot); `round_outcome` the allocate round whose placements are reported (None:
    that figure is left out); `decisions` the panel recommendations and agency
    decisions made so far; `seed` fixes the bootstrap.
    """
    policy = policy if policy is not None else default_policy()
    context = source if isinstance(source, MatchingContext) else MatchingContext.prepare(source)
    figures = child_figures(context, as_of=as_of, policy=policy, round_outcome=round_outcome)
    named = {c for d in decisions for c in d.children} - set(figures.children)
    others = [context.children[c] for c in sorted(named) if c in context.children]
    return report_from_figures(
        figures,
        as_of=as_of,
        policy=policy,
        round_outcome=round_outcome,
        decisions=decisions,
        child_groups=groups_of_children(others, context.authority, as_of=as_of, policy=policy),
        seed=seed,
    )


# ------------------------------------------------------------------------------ export

CSV_COLUMNS = (
    "dimension",
    "group",
    "children",
    "figure",
    "figure_label",
    "value",
    "ratio",
    "interval_low",
    "interval_high",
    "flagged",
)


def _csv_rows(report: FairnessReport) -> list[list[object]]:
    """One row per group and figure, then the decisions and departures from the ranking
    per group (rows named `decisions` and `departures_from_ranking`)."""
    flagged = {(f.dimension, f.group, f.metric) for f in report.flags}
    rows: list[list[object]] = []
    for g in report.groups:
        for key in METRIC_KEYS:
            ratio = g.ratios.get(key)
            value = g.metrics[key]
            rows.append(
                [
                    g.dimension,
                    g.group,
                    g.children,
                    key,
                    labels.label("fairness_metric", key),
                    "" if value is None else value,
                    "" if ratio is None else ratio.ratio,
                    "" if ratio is None else ratio.interval[0],
                    "" if ratio is None else ratio.interval[1],
                    "yes" if (g.dimension, g.group, key) in flagged else "no",
                ]
            )
    children = {(g.dimension, g.group): g.children for g in report.groups}
    for o in report.overrides:
        shown = children[o.dimension, o.group]
        rows.append([o.dimension, o.group, shown, "decisions", "Recommendations and decisions"])
        rows[-1] += [o.decisions, "", "", "", ""]
        rows.append([o.dimension, o.group, shown, "departures_from_ranking"])
        rows[-1] += ["Against the system's ranking", o.departures, "", "", "", ""]
    return rows


def write_csv(report: FairnessReport, out: TextIO, compared: FairnessReport | None = None) -> None:
    """The report as one CSV table (`CSV_COLUMNS`), with the same columns again for the
    `compared` policy's report beside them (prefixed `compare_`) when given."""
    writer = csv.writer(out)
    extra = [f"compare_{c}" for c in CSV_COLUMNS[5:]] if compared is not None else []
    writer.writerow(["policy_version", *CSV_COLUMNS, *extra])
    # matched by group and figure: the second policy may band ages differently
    other = {(r[0], r[1], r[3]): r[5:] for r in _csv_rows(compared)} if compared else {}
    blank = [""] * len(extra)
    for row in _csv_rows(report):
        beside = other.get((row[0], row[1], row[3]), blank) if extra else []
        writer.writerow([report.policy_version, *row, *beside])
