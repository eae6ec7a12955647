"""Shortlists: the ranked, explained households for one child's unit.

    shortlist(authority or context, child_id, as_of=..., policy=...) -> ShortlistResult

The unit is the child alone or with its together-siblings; the whole pool is filtered
by the hard rules in one vectorised pass (every rule evaluated, so the counts of
households left out are complete), the survivors are scored, and only the households
returned get their reasons written. Order: the policy's tiers first (`matching.tiers`:
a feasible connected household, then one meeting every need at the unit's level, then,
for a long-term plan, an approval lasting to 18), then score descending, then household
id ascending. Each candidate carries its tiers explained and its warnings (what a
person must decide: `matching.match_warnings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from matching.domain import Authority, Child, SiblingLink
from matching.errors import ConflictError, NotFoundError
from matching.match_warnings import MatchWarning, household_warnings
from matching.policy import Policy, default_policy
from matching.pool import HouseholdPool
from matching.practice_units import UnitWarning, practice_units
from matching.rules import RULE_NAMES, UnitFeatures, combine, hard_exclusions
from matching.scoring import Contribution, ScoreTable, explain, score_candidates
from matching.siblings import sibling_units
from matching.tiers import TierLine, tier_codes, tier_lines

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Candidate:
    """One shortlisted household, with the explanation of its score."""

    household_id: str
    rank: int
    score: float
    kinship: bool
    contributions: tuple[Contribution, ...]
    questions: tuple[str, ...]
    tiers: tuple[TierLine, ...] = ()
    warnings: tuple[MatchWarning, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The candidate as printed JSON."""
        out: dict[str, Any] = {
            "household_id": self.household_id,
            "rank": self.rank,
            "score": self.score,
            "kinship": self.kinship,
            "contributions": [
                {
                    "criterion": c.criterion,
                    "points": c.points,
                    "max_points": c.max_points,
                    "reason": c.reason,
                }
                for c in self.contributions
            ],
            "questions": list(self.questions),
        }
        # left out when empty, as stored documents read back (matching.results)
        if self.tiers:
            out["tiers"] = [t.to_dict() for t in self.tiers]
        if self.warnings:
            out["warnings"] = [w.to_dict() for w in self.warnings]
        return out


@dataclass(frozen=True)
class WhyNot:
    """Why a named household is or is not on the list: its failing rules, or its rank."""

    household_id: str
    rules: tuple[str, ...]
    rank: int | None
    score: float | None

    def to_dict(self) -> dict[str, Any]:
        """The why-not answer as printed JSON."""
        return {
            "household_id": self.household_id,
            "rules": list(self.rules),
            "rank": self.rank,
            "score": self.score,
        }


@dataclass(frozen=True)
class ShortlistResult:
    """A shortlist for one unit, as the family finder sees it."""

    unit: tuple[str, ...]
    policy_version: str
    as_of: date
    candidates: tuple[Candidate, ...]
    # households left out, by rule (a household failing several counts under each)
    excluded_counts: dict[str, int]
    why_not: WhyNot | None = None
    n_feasible: int = 0  # households passing every hard rule
    # what a person must decide or know about the unit (matching.practice_units):
    # a pending Together-and-Apart assessment, siblings already placed
    warnings: tuple[UnitWarning, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON the CLI prints."""
        out: dict[str, Any] = {
            "unit": list(self.unit),
            "policy_version": self.policy_version,
            "as_of": self.as_of.isoformat(),
            "candidates": [c.to_dict() for c in self.candidates],
            "excluded_counts": dict(self.excluded_counts),
        }
        if self.warnings:  # as the stored document: only when there is one
            out["warnings"] = [{"code": w.code, "message": w.message} for w in self.warnings]
        if self.why_not is not None:
            out["why_not"] = self.why_not.to_dict()
        return out


@dataclass
class MatchingContext:
    """An authority prepared for many shortlists: pool arrays and sibling units, built once."""

    authority: Authority
    pool: HouseholdPool
    units: list[tuple[str, ...]]
    unit_by_child: dict[str, tuple[str, ...]] = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)
    # every sibling link touching a child, any assessment
    links_by_child: dict[str, list[SiblingLink]] = field(default_factory=dict)

    @classmethod
    def prepare(cls, authority: Authority, pool: HouseholdPool | None = None) -> MatchingContext:
        """Build the pool arrays (unless given) and the sibling units of `authority`."""
        units = sibling_units((c.child_id for c in authority.children), authority.links)
        links_by_child: dict[str, list[SiblingLink]] = {}
        for link in authority.links:
            links_by_child.setdefault(link.child_a, []).append(link)
            links_by_child.setdefault(link.child_b, []).append(link)
        return cls(
            authority=authority,
            pool=pool if pool is not None else HouseholdPool.from_households(authority.households),
            units=units,
            unit_by_child={child_id: unit for unit in units for child_id in unit},
            children={c.child_id: c for c in authority.children},
            links_by_child=links_by_child,
        )

    def unit_children(self, child_id: str) -> tuple[Child, ...]:
        """The children of `child_id`'s unit; `NotFoundError` for an unknown id."""
        unit = self.unit_by_child.get(child_id)
        if unit is None:
            raise NotFoundError(f"no child with id {child_id!r}")
        return tuple(self.children[c] for c in unit)

    def sibling_group(self, child_id: str) -> Authority:
        """The children linked to `child_id` by any chain of sibling links, with those
        links: a small authority the practice rules can be applied to."""
        seen = {child_id}
        todo = [child_id]
        links: dict[tuple[str, str], SiblingLink] = {}
        while todo:
            for link in self.links_by_child.get(todo.pop(), ()):
                links[(link.child_a, link.child_b)] = link
                for other in link.pair - seen:
                    if other in self.children:
                        seen.add(other)
                        todo.append(other)
        return Authority(
            children=tuple(self.children[c] for c in sorted(seen)),
            links=tuple(links[key] for key in sorted(links)),
        )

    def practice_unit(
        self, child_id: str, as_of: date, pool: HouseholdPool, policy: Policy | None = None
    ) -> tuple[tuple[Child, ...], tuple[UnitWarning, ...]]:
        """`child_id`'s unit as a round forms it under the sibling practice rules
        (`matching.practice_units`), with its warnings. A child who is not waiting keeps
        its together-group. `NotFoundError` for an unknown id; `ConflictError` when the
        child is held for a decision (a contradiction or a plan conflict)."""
        unit = self.unit_children(child_id)
        if self.children[child_id].status != "waiting" or not self.links_by_child.get(child_id):
            return unit, ()
        practice = practice_units(
            self.sibling_group(child_id), as_of=as_of, pool=pool, policy=policy
        )
        held = practice.held_unit(child_id)
        if held is not None:
            raise ConflictError(
                f"{child_id} cannot be shortlisted until a person resolves the sibling "
                f"records: {held.message}"
            )
        matched = practice.authority
        ids = sibling_units((c.child_id for c in matched.children), matched.links)
        mine = next(u for u in ids if child_id in u)
        return tuple(self.children[c] for c in mine), practice.warnings_of(mine)


def build_unit(authority: Authority, child_id: str) -> tuple[str, ...]:
    """The ids of `child_id`'s unit: the child with its together-siblings, sorted."""
    authority.child(child_id)  # NotFoundError for an unknown child
    return MatchingContext.prepare(authority, HouseholdPool(())).unit_by_child[child_id]


@dataclass(frozen=True)
class RankedUnit:
    """Hard-rule masks and scores of the whole pool for one unit, ready to rank."""

    unit: UnitFeatures
    masks: dict[str, npt.NDArray[np.bool_]]
    table: ScoreTable  # rows = the households passing every rule
    kinship: npt.NDArray[np.bool_]  # per table row
    tiers: IntArray  # per table row: the tier code (matching.tiers), higher ranks first


def rank_unit(unit: UnitFeatures, pool: HouseholdPool, policy: Policy) -> RankedUnit:
    """Apply every hard rule to the pool, score the survivors and place them in tiers."""
    masks = hard_exclusions(unit, pool)
    rows = np.flatnonzero(~combine(masks, pool.size)).astype(np.int64)
    table = score_candidates(unit, pool, rows, policy)
    return RankedUnit(
        unit, masks, table, pool.is_connected[rows], tier_codes(unit, pool, rows, policy)
    )


def _ordered(positions: IntArray, ranked: RankedUnit, pool: HouseholdPool) -> IntArray:
    """`positions` (into the table) in shortlist order: tier, then score descending,
    then household id."""
    ids = pool.id_rank[ranked.table.rows[positions]]
    order = np.lexsort((ids, -ranked.table.score[positions], -ranked.tiers[positions]))
    result: IntArray = positions[order]
    return result


def top_positions(ranked: RankedUnit, pool: HouseholdPool, top: int | None) -> IntArray:
    """Table positions of the first `top` households in shortlist order (all when None)."""
    everyone = np.arange(len(ranked.table.rows), dtype=np.int64)
    want = len(everyone) if top is None else top
    if len(everyone) <= want:
        return _ordered(everyone, ranked, pool)
    # Partial selection: the tiers that fill the list, and within the last of them
    # everything scoring at least the needed-th best, so ties at the boundary are still
    # broken by household id.
    codes = ranked.tiers
    cut = np.sort(codes)[::-1][want - 1]
    above = everyone[codes > cut]
    at = everyone[codes == cut]
    need = want - len(above)
    if len(at) > need:
        scores = ranked.table.score[at]
        kth = np.partition(scores, len(at) - need)[len(at) - need]
        at = at[scores >= kth]
    chosen = np.concatenate([above, at])
    return _ordered(chosen, ranked, pool)[:want]


def rank_of(ranked: RankedUnit, pool: HouseholdPool, row: int) -> tuple[int, float] | None:
    """1-based shortlist rank and score of pool `row`, or None if it is excluded."""
    rows = ranked.table.rows
    pos = int(np.searchsorted(rows, row))
    if pos >= len(rows) or rows[pos] != row:
        return None
    score = ranked.table.score
    codes = ranked.tiers
    mine, s, r = codes[pos], score[pos], pool.id_rank[row]
    same = codes == mine
    ahead = same & ((score > s) | ((score == s) & (pool.id_rank[rows] < r)))
    count = int(ahead.sum()) + int(np.count_nonzero(codes > mine))
    return count + 1, float(s)


def shortlist(
    source: Authority | MatchingContext,
    child_id: str,
    *,
    as_of: date,
    policy: Policy | None = None,
    top: int | None = 10,
    why_not: str | None = None,
    pool: HouseholdPool | None = None,
) -> ShortlistResult:
    """The ranked, explained shortlist for `child_id`'s whole unit.

    `source` is an authority, or a `MatchingContext` prepared once for many calls;
    `pool` replaces the context's pool arrays when given. `top=None` returns every
    feasible household. `why_not` names a household to explain: the rules it fails,
    or its rank and score. The unit is formed as a round forms it (a pending
    Together-and-Apart assessment, siblings already placed: `matching.practice_units`)
    and carries their warnings. Raises `NotFoundError` for an unknown child or
    household, `NotFamilyFoundError` when a child's plan is not family-found and
    `ConflictError` when the child is held until a person resolves a sibling
    contradiction or a together group's different plans.
    """
    policy = policy if policy is not None else default_policy()
    context = (
        source if isinstance(source, MatchingContext) else MatchingContext.prepare(source, pool)
    )
    pool = pool if pool is not None else context.pool
    children, warnings = context.practice_unit(child_id, as_of, pool, policy)
    unit = UnitFeatures.from_children(children, as_of, policy)
    why_row = None
    if why_not is not None:
        why_row = pool.index.get(why_not)
        if why_row is None:
            raise NotFoundError(f"no household with id {why_not!r}")

    ranked = rank_unit(unit, pool, policy)
    candidates = []
    for rank, pos in enumerate(top_positions(ranked, pool, top), start=1):
        contributions, questions = explain(ranked.table, int(pos), pool, policy)
        row = int(ranked.table.rows[pos])
        household = pool.households[row]
        candidates.append(
            Candidate(
                household_id=pool.ids[row],
                rank=rank,
                score=float(ranked.table.score[pos]),
                kinship=bool(ranked.kinship[pos]),
                contributions=tuple(contributions),
                questions=tuple(questions),
                tiers=tuple(tier_lines(unit, household, policy)),
                warnings=tuple(household_warnings(unit, household)),
            )
        )

    explained = None
    if why_not is not None and why_row is not None:
        failing = tuple(name for name in RULE_NAMES if ranked.masks[name][why_row])
        place = rank_of(ranked, pool, why_row)
        explained = WhyNot(
            household_id=why_not,
            rules=failing,
            rank=None if place is None else place[0],
            score=None if place is None else place[1],
        )

    return ShortlistResult(
        unit=unit.child_ids,
        policy_version=policy.version,
        as_of=as_of,
        candidates=tuple(candidates),
        excluded_counts={name: int(np.count_nonzero(ranked.masks[name])) for name in RULE_NAMES},
        why_not=explained,
        n_feasible=len(ranked.table.rows),
        warnings=warnings,
    )
