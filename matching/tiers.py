"""Tiers: ranks that come before the score, as policy data (`[[tiers]]` in the policy).

A household in a higher tier for a unit ranks above every household in a lower one,
whatever their scores; the score (a sum of named, weighted contributions) only orders
households within a tier. The tiers, highest first as the default policy lists them:

* `kinship`: a feasible connected household (family and friends) for the unit;
* `needs_met`: the household accepts every need of the unit at the unit's level;
* `permanence`: for a long-term fostering plan, the approval lasts until the child is 18.

A tier that does not apply to the unit (no needs; another plan) is met by every
household, so it changes no order. A household's *tier code* packs its tiers into one
small integer, the highest tier as the highest bit, so codes sort as the tiers do: the
shortlist orders by it, and the round (`matching.feasibility`) passes it to the
assignment kernel, whose one scaling step (`matching.assignment.prepared`) ranks the
tiers one by one, lexicographically across units, above the score: a round maximises
the units gaining the first tier, then the second, then the third, then the score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching import labels
from matching.domain import Household
from matching.match_warnings import LAST_APPROVED_AGE, LONG_TERM_PLAN
from matching.phrases import join_words
from matching.policy import Policy
from matching.pool import NEED_INDEX, BoolArray, HouseholdPool, IntArray
from matching.rules import UnitFeatures
from matching.vocab import NEED_LEVELS


@dataclass(frozen=True)
class TierLine:
    """One tier for one household, explained: met or not, and why (with its source)."""

    tier: str
    met: bool
    reason: str

    def to_dict(self) -> dict[str, object]:
        """The line as printed JSON."""
        return {"tier": self.tier, "met": self.met, "reason": self.reason}


def _needs_met(unit: UnitFeatures, pool: HouseholdPool, rows: IntArray) -> BoolArray:
    if not unit.needed:
        return np.ones(len(rows), dtype=bool)
    needed = [NEED_INDEX[code] for code, _ in unit.needed]
    wanted = unit.need_levels[needed]
    met: BoolArray = np.all(pool.will_consider[rows][:, needed] >= wanted, axis=1)
    return met


def _permanence(unit: UnitFeatures, pool: HouseholdPool, rows: IntArray) -> BoolArray:
    if LONG_TERM_PLAN not in unit.plans:
        return np.ones(len(rows), dtype=bool)
    lasting: BoolArray = pool.max_age[rows] >= LAST_APPROVED_AGE
    return lasting


def tier_flags(
    unit: UnitFeatures, pool: HouseholdPool, rows: IntArray, policy: Policy
) -> dict[str, BoolArray]:
    """Whether each of pool `rows` meets each tier of the policy, highest tier first."""
    flags: dict[str, BoolArray] = {}
    for tier in policy.tiers:
        if tier.name == "kinship":
            flags[tier.name] = pool.is_connected[rows].copy()
        elif tier.name == "needs_met":
            flags[tier.name] = _needs_met(unit, pool, rows)
        else:
            flags[tier.name] = _permanence(unit, pool, rows)
    return flags


def tier_codes(unit: UnitFeatures, pool: HouseholdPool, rows: IntArray, policy: Policy) -> IntArray:
    """Each row's tier code: bit (n - 1 - i) set when it meets the policy's i-th tier,
    so a higher code is a higher rank (the first tier outranks all the others together)."""
    codes = np.zeros(len(rows), dtype=np.int64)
    n = len(policy.tiers)
    for i, met in enumerate(tier_flags(unit, pool, rows, policy).values()):
        codes += met.astype(np.int64) << (n - 1 - i)
    return codes


def _the_child(unit: UnitFeatures) -> str:
    return "the child" if unit.size == 1 else "the children"


def _unmet_needs(unit: UnitFeatures, h: Household) -> list[str]:
    out = []
    for code, wanted in unit.needed:
        accepted = h.will_consider.get(code, 0)
        if accepted >= wanted:
            continue
        name = labels.lower(labels.label("need", code))
        if accepted:
            out.append(f"{name} only at {NEED_LEVELS.get(accepted, str(accepted))} level")
        else:
            out.append(f"{name} not stated")
    return out


def applicable_met(unit: UnitFeatures, h: Household, policy: Policy) -> tuple[str, ...]:
    """The tiers that apply to `unit` and that `h` meets (for a round's placements)."""
    return tuple(line.tier for line in tier_lines(unit, h, policy) if line.met)


def tier_lines(unit: UnitFeatures, h: Household, policy: Policy) -> list[TierLine]:
    """The tiers that apply to `unit`, each met or not by `h`, explained in words
    (kinship only for a connected household)."""
    lines = []
    who = _the_child(unit)
    for tier in policy.tiers:
        source = f" ({tier.source})"
        if tier.name == "kinship":
            # shown only where it lifts the household: every other one simply is not
            if h.kind != "connected":
                continue
            met = True
            reason = (
                f"Connected persons for {who}: family and friends come before any other household"
            )
        elif tier.name == "needs_met":
            if not unit.needed:
                continue
            unmet = _unmet_needs(unit, h)
            met = not unmet
            reason = (
                f"Accepts every need of {who} at {who}'s level: ranks above every "
                "household that does not, whatever the score"
                if met
                else f"Does not accept every need at {who}'s level ({join_words(unmet)}): "
                "ranks below every household that does"
            )
        else:
            if LONG_TERM_PLAN not in unit.plans:
                continue
            met = h.approved_max_age >= LAST_APPROVED_AGE
            reason = (
                f"Approved to age {h.approved_max_age}: the approval lasts until {who} "
                f"{'is' if unit.size == 1 else 'are'} 18"
                if met
                else f"Approved to age {h.approved_max_age}: the approval ends before "
                f"{who} {'is' if unit.size == 1 else 'are'} 18, so it ranks below "
                "households whose approval lasts"
            )
        lines.append(TierLine(tier.name, met, reason + source))
    return lines
