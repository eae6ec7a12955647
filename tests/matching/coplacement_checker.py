"""An independent check that a round placed no children together whom practice keeps apart.

It reads the children's records, the sibling links and the policy's risk rules directly
(no code shared with `matching.coplacement` or the kernel), and every pair of children
a round puts in one household from different units.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from matching.domain import Authority, Child
from matching.instance import MatchingInstance
from matching.policy import Policy


def _rules_out(x: Child, y: Child, related: bool, policy: Policy) -> str | None:
    """Why child x must not live with child y (None when x allows it)."""
    younger = y.date_of_birth > x.date_of_birth
    if "no_other_children" in x.requirements:
        return f"{x.child_id} must be the only child"
    if "no_younger_children" in x.requirements and younger:
        return f"{x.child_id} must not live with younger {y.child_id}"
    if "no_older_children" in x.requirements and y.date_of_birth < x.date_of_birth:
        return f"{x.child_id} must not live with older {y.child_id}"
    for risk in policy.co_placement.risks:
        if x.needs.get(risk.need, 0) >= risk.min_level and younger and not related:
            return f"{x.child_id} ({risk.need}) must not live with younger unrelated {y.child_id}"
    return None


def co_placement_problems(
    authority: Authority, instance: MatchingInstance, result: Any, policy: Policy
) -> list[str]:
    """Every forbidden pair of children from different units in one household, and every
    one-unit household given more than one unit."""
    homes: dict[str, list[tuple[str, ...]]] = {}
    for u, chosen in enumerate(result.assignments):
        for h, _ in chosen[:1]:
            homes.setdefault(instance.households[h].household_id, []).append(
                instance.units[u].children
            )
    return household_problems(authority, homes, policy)


def household_problems(
    authority: Authority, homes: dict[str, list[tuple[str, ...]]], policy: Policy
) -> list[str]:
    """As `co_placement_problems`, for the units (child ids) a round gave each household."""
    by_id = {c.child_id: c for c in authority.children}
    kinds = {h.household_id: h.kind for h in authority.households}
    linked = {frozenset((link.child_a, link.child_b)) for link in authority.links}
    problems: list[str] = []
    for household, units in homes.items():
        if len(units) > 1 and kinds[household] in policy.co_placement.one_unit_kinds:
            problems.append(f"{household} ({kinds[household]}) takes {len(units)} units")
        for i, a in enumerate(units):
            for b in units[i + 1 :]:
                for x, y in _cross(a, b):
                    cx, cy = by_id[x], by_id[y]
                    related = frozenset((x, y)) in linked
                    for why in (
                        _rules_out(cx, cy, related, policy),
                        _rules_out(cy, cx, related, policy),
                    ):
                        if why:
                            problems.append(f"{household}: {why}")
    return problems


def _cross(a: Iterable[str], b: Iterable[str]) -> list[tuple[str, str]]:
    return [(x, y) for x in a for y in b]
