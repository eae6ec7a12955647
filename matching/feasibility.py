"""From an authority to the matching instance a round or a gap analysis solves.

Every unit whose children are all `waiting` with family-found plans is paired with
every household of the pool: a pair is feasible when the household passes every hard
rule for the whole unit and scores at least the policy's `min_round_score`; each pair
carries its tier code (`matching.tiers`), which the round ranks above the score. The work
is vectorised per unit (one pass over the pool arrays), never per pair in Python.
Alongside the instance come per-unit counts of households excluded by each rule, so a
round can say why a unit has no household ("age_range: 812, capacity: 90, ...").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from matching.clocks import priority_days
from matching.coplacement import co_placement_pairs, roomy_households
from matching.domain import Authority, Child, Household, SiblingLink
from matching.instance import MatchingInstance, RoundHousehold, RoundUnit
from matching.policy import Policy, default_policy
from matching.pool import HouseholdPool
from matching.practice_units import PracticeUnits, practice_units
from matching.rules import RULE_NAMES, UnitFeatures, combine, hard_exclusions
from matching.scoring import score_candidates
from matching.siblings import sibling_units
from matching.tiers import tier_codes
from matching.vocab import NOT_FAMILY_FOUND_PLANS

# A round's instance holds about this many pairs at most. At national scale (84,000
# children, 43,000 households) the feasible pairs number 92 million, whose arrays, sort
# and flow network need more than 8 GB; each unit then keeps its best-scoring
# households, as many as keep the total under this, plus one household per unit from a
# placement of the most children (benchmarks/rounds.py --national measures it).
ROUND_MAX_PAIRS = 10_000_000


@dataclass(frozen=True)
class FeasibilityResult:
    """The instance, with per-unit counts of households excluded by each hard rule."""

    instance: MatchingInstance
    # excluded_counts[i][rule] = households excluded by `rule` for instance.units[i]
    excluded_counts: tuple[dict[str, int], ...]
    # units left out of the instance (a child not waiting, or a plan not family-found)
    skipped_units: tuple[tuple[str, ...], ...] = ()
    # when the pairs were capped (`max_pairs`): each unit kept at most this many of its
    # best-scoring feasible households; None when every feasible pair is kept
    kept_per_unit: int | None = None
    # the sibling practice rules applied (held units, pending groups, reunions), with
    # the warnings of each child (`matching.practice_units`)
    practice: PracticeUnits | None = None


def days_waiting(child: Child, as_of: date) -> int:
    """Days the round's priority counts: the longest honest clock (`matching.clocks`),
    so re-dating a plan never resets a child's wait; 0 if no clock runs."""
    return priority_days(child, as_of)


def unit_priority(children: Sequence[Child], as_of: date, policy: Policy) -> float:
    """Priority (>= 1) of a unit, from its longest-waiting child's days waiting.

    Piecewise linear against the adoption scorecard thresholds in the policy
    (`[priority]`: 1 at day 0, `at_first_threshold` at 121 days, `at_second_threshold`
    at 426 days, then `per_year_beyond` per further 365 days, capped at `maximum`).
    """
    return priority_for_days(max((days_waiting(c, as_of) for c in children), default=0), policy)


def priority_for_days(days: int, policy: Policy) -> float:
    """Priority of a unit whose longest-waiting child has waited `days` (see above)."""
    p = policy.priority
    t1, t2 = p.first_threshold_days, p.second_threshold_days
    if days <= t1:
        value = 1.0 + (p.at_first_threshold - 1.0) * days / t1
    elif days <= t2:
        value = p.at_first_threshold + (p.at_second_threshold - p.at_first_threshold) * (
            days - t1
        ) / (t2 - t1)
    else:
        value = p.at_second_threshold + p.per_year_beyond * (days - t2) / 365.0
    return max(1.0, min(value, p.maximum))


def excluded_counts_for_unit(
    children: Sequence[Child], pool: HouseholdPool, as_of: date
) -> dict[str, int]:
    """Households excluded by each hard rule for one unit (every rule key present)."""
    masks = hard_exclusions(UnitFeatures.from_children(children, as_of), pool)
    return {name: int(np.count_nonzero(masks[name])) for name in RULE_NAMES}


def is_round_unit(children: Sequence[Child]) -> bool:
    """Whether a unit takes part in a round: every child waiting, every plan family-found."""
    return all(c.status == "waiting" and c.plan not in NOT_FAMILY_FOUND_PLANS for c in children)


def sibling_unit_pairs(
    units: Sequence[RoundUnit], links: Iterable[SiblingLink]
) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """(apart_units, sibling_contact_units): sorted pairs of unit indices holding two
    linked siblings, those assessed `apart` and all of them (for contact)."""
    unit_of = {c: i for i, unit in enumerate(units) for c in unit.children}
    apart: set[tuple[int, int]] = set()
    contact: set[tuple[int, int]] = set()
    for link in links:
        a, b = unit_of.get(link.child_a), unit_of.get(link.child_b)
        if a is None or b is None or a == b:
            continue
        pair = (min(a, b), max(a, b))
        contact.add(pair)
        if link.assessment == "apart":
            apart.add(pair)
    return tuple(sorted(apart)), tuple(sorted(contact))


def build_instance(
    authority: Authority,
    *,
    as_of: date,
    policy: Policy | None = None,
    pool: HouseholdPool | None = None,
    max_pairs: int | None = None,
    floor: bool = False,
) -> FeasibilityResult:
    """The matching instance of `authority` on `as_of` under `policy` (default policy if None).

    Units are the sibling units (sorted by first child id) whose children are all
    waiting with family-found plans; households are the whole pool in its order.
    `apart_units` pairs units holding two children assessed apart;
    `sibling_contact_units` pairs units holding two linked children (any assessment).
    With `max_pairs` (a round: `ROUND_MAX_PAIRS`), when there are more feasible pairs
    than that, each unit keeps only its best-scoring households (ties by pool order),
    the same number for every unit, as many as fit (`kept_per_unit` says how many), and
    its household in a placement of the most children (`most_children_households`), so
    the round can still place as many children as the whole pool can.
    With `floor` (a round), that placement is computed whether or not the cap applies
    and kept in the instance (`MatchingInstance.floor_household`): the round starts
    from it wherever its own search places fewer children, so it never places fewer
    than the gap report's placement of the same authority.
    """
    policy = policy if policy is not None else default_policy()
    pool = pool if pool is not None else HouseholdPool.from_households(authority.households)
    # the sibling practice rules shape the units (held, pending, reunions): see
    # matching.practice_units; the original authority is kept for the pair cap below
    practice = practice_units(authority, as_of=as_of, pool=pool, policy=policy)
    matched = practice.authority
    by_id = {c.child_id: c for c in matched.children}
    all_units = sibling_units(by_id, matched.links)
    reunion_row = {unit: pool.index[home] for unit, home in practice.reunion_homes().items()}

    units: list[RoundUnit] = []
    counts: list[dict[str, int]] = []
    skipped: list[tuple[str, ...]] = []
    pair_units, pair_rows, pair_scores, pair_tiers = [], [], [], []
    for unit_ids in all_units:
        children = [by_id[c] for c in unit_ids]
        if not is_round_unit(children):
            skipped.append(unit_ids)
            continue
        features = UnitFeatures.from_children(children, as_of, policy)
        masks = hard_exclusions(features, pool)
        rows = np.flatnonzero(~combine(masks, pool.size)).astype(np.int64)
        table = score_candidates(features, pool, rows, policy)
        keep = table.score >= policy.min_round_score
        first = reunion_row.get(unit_ids)
        if first is not None and bool((keep & (rows == first)).any()):
            # matched first to the household of their placed together-siblings
            keep &= rows == first
        index = len(units)
        pair_units.append(np.full(int(keep.sum()), index, dtype=np.int32))
        pair_rows.append(rows[keep].astype(np.int32))
        pair_scores.append(table.score[keep])
        pair_tiers.append(tier_codes(features, pool, rows[keep], policy))
        units.append(RoundUnit(children=unit_ids, priority=unit_priority(children, as_of, policy)))
        counts.append({name: int(np.count_nonzero(masks[name])) for name in RULE_NAMES})

    apart, contact = sibling_unit_pairs(units, matched.links)
    capped = max_pairs is not None and sum(len(r) for r in pair_rows) > max_pairs
    placed: dict[tuple[str, ...], int] = {}
    if capped or floor:
        # the household each unit has in a placement of the most children (the gap
        # report's engine, on every feasible pair)
        # imported here: the gap analysis builds on this module
        from matching.gaps.report import EXPAND_MAX_PAIRS

        row_of = {h: i for i, h in enumerate(pool.ids)}
        most = most_children_households(
            authority,
            as_of,
            policy,
            pool,
            expand_max_pairs=EXPAND_MAX_PAIRS if floor else 0,
            practice=practice,
        )
        placed = {children: row_of[h] for children, h in most.items()}
    kept = None
    if capped and max_pairs is not None:
        kept = _cap_per_unit([len(r) for r in pair_rows], max_pairs)
        # A cap by score alone can drop the only households some units could have, and
        # the round would place fewer children than the pool can: each unit's household
        # in the placement of the most children is kept too.
        for i, (unit_rows, unit_scores) in enumerate(zip(pair_rows, pair_scores, strict=True)):
            if len(unit_rows) > kept:
                # the best by tier, then score: what the round would choose among them
                best = np.lexsort((unit_rows, -unit_scores, -pair_tiers[i]))[:kept]
                home = np.flatnonzero(unit_rows == placed.get(units[i].children, -1))
                if len(home) and home[0] not in best:
                    best = np.append(best, home[0])
                best = np.sort(best)
                pair_rows[i], pair_scores[i] = unit_rows[best], unit_scores[best]
                pair_tiers[i] = pair_tiers[i][best]
                pair_units[i] = pair_units[i][: len(best)]

    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    households = round_households(pool.households, policy)
    co_placed = co_placement_pairs(
        [[by_id[c] for c in unit.children] for unit in units],
        authority.links,
        policy.co_placement,
        [rows.astype(np.int64) for rows in pair_rows],
        roomy_households(pool.vacancies, [h.max_units for h in households]),
    )
    instance = MatchingInstance(
        units=tuple(units),
        households=households,
        pair_unit=cat(pair_units, np.int32),
        pair_household=cat(pair_rows, np.int32),
        pair_score=cat(pair_scores, np.float64),
        apart_units=apart,
        co_placement_units=co_placed,
        sibling_contact_units=contact,
        pair_tier=cat(pair_tiers, np.int64),
        floor_household=np.array(
            [placed.get(unit.children, -1) for unit in units] if floor else [], dtype=np.int64
        ),
    )
    return FeasibilityResult(instance, tuple(counts), tuple(skipped), kept, practice)


def round_households(households: Iterable[Household], policy: Policy) -> tuple[RoundHousehold, ...]:
    """The households as a round sees them: vacancies, location, and a limit of one unit
    for the kinds that take one child or sibling group at a time (`[co_placement]`)."""
    one_unit = frozenset(policy.co_placement.one_unit_kinds)
    return tuple(
        RoundHousehold(h.household_id, h.vacancies, h.lat, h.lon, 1 if h.kind in one_unit else None)
        for h in households
    )


def most_children_households(
    authority: Authority,
    as_of: date,
    policy: Policy,
    pool: HouseholdPool,
    *,
    expand_max_pairs: int = 0,
    practice: PracticeUnits | None = None,
) -> dict[tuple[str, ...], str]:
    """A household for each unit in a placement of the most children the pool can place
    (hard rules only, no score), by unit children: `matching.gaps.placeable` on the
    grouped feasibility, which never lists the pairs. Up to `expand_max_pairs` feasible
    pairs (a round's floor passes the gap report's `EXPAND_MAX_PAIRS`), the groups are
    expanded to pairs and placed by the assignment kernel instead, as the gap report
    places them: the same placement as the report's (a deterministic budget), where the
    search on the groups may place fewer children. `practice`: the sibling practice
    rules already applied to `authority` on `as_of` (under `policy`), when the caller
    has them, so they are not applied twice."""
    # imported here: the gap analysis builds on this module
    from matching.gaps.grouped_feasibility import feasible_groups
    from matching.gaps.placeable import max_children_placed, max_children_placed_on_pairs

    unscored = policy.model_copy(update={"min_round_score": 0.0})
    whole = pool if pool.ids == tuple(h.household_id for h in authority.households) else None
    groups = feasible_groups(authority, as_of=as_of, policy=unscored, pool=whole, practice=practice)
    if expand_max_pairs and groups.n_pairs() <= expand_max_pairs:
        placement = max_children_placed_on_pairs(groups.instance())
    else:
        placement = max_children_placed(groups)
    return {
        groups.units[u].children: groups.households[h].household_id
        for u, h in enumerate(placement.homes.tolist())
        if h >= 0
    }


def _cap_per_unit(counts: Sequence[int], max_pairs: int) -> int:
    """The largest per-unit cap K with sum(min(count, K)) <= max_pairs (at least 1)."""
    ordered = np.sort(np.asarray(counts, dtype=np.int64))
    low, high = 1, int(ordered[-1]) if len(ordered) else 1
    while low < high:
        middle = (low + high + 1) // 2
        if int(np.minimum(ordered, middle).sum()) <= max_pairs:
            low = middle
        else:
            high = middle - 1
    return low
