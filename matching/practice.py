"""Practice contradictions: facts a person must resolve, which are not malformed data.

An import stores what the authority's records say, even when two of them disagree: a
sibling contradiction (A together with B, B together with C, A apart from C), a
`together` group whose children have different permanence plans, a child whose plan is
not recorded yet. Refusing the whole import for one of these would block every other
child; guessing would be worse. So they are imported, reported as warnings, and stored
per child (`practice_warnings`) so that the service shows them on the child's record
and matching can hold those children back until a person resolves them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from matching.domain import Authority, Child, SiblingLink
from matching.siblings import find_contradictions, sibling_units
from matching.vocab import NO_PLAN

# Warning codes, as stored and shown (`child_warning.code`, the child's JSON `warnings`).
SIBLING_CONTRADICTION = "sibling_contradiction"
PLAN_CONFLICT = "plan_conflict"
PLAN_NOT_RECORDED = "plan_not_recorded"
WARNING_CODES = (SIBLING_CONTRADICTION, PLAN_CONFLICT, PLAN_NOT_RECORDED)


@dataclass(frozen=True, order=True)
class ChildWarning:
    """Something about one child that a person must decide before the child is matched."""

    child_id: str
    code: str  # one of WARNING_CODES
    message: str


@dataclass(frozen=True)
class PlanConflict:
    """A together-group (one placement unit) whose children have different plans."""

    unit: tuple[str, ...]
    plans: Mapping[str, str]  # child id -> plan

    def describe(self) -> str:
        listed = ", ".join(f"{child} {self.plans[child]}" for child in self.unit)
        return (
            f"{' and '.join(self.unit)} are assessed to live together but have different "
            f"permanence plans ({listed}); a person must decide one plan for the group, or "
            "re-assess whether they live together"
        )


def plan_conflicts(children: Iterable[Child], links: Iterable[SiblingLink]) -> list[PlanConflict]:
    """Every together-group of two or more children whose plans differ, by first child."""
    links = list(links)
    plan_of = {child.child_id: child.plan for child in children}
    found = []
    # Groups come only from together links: the unlinked children need not be listed.
    together = {c for link in links if link.assessment == "together" for c in link.pair}
    for unit in sibling_units(sorted(together), links):
        known = [child for child in unit if child in plan_of]
        if len(known) > 1 and len({plan_of[child] for child in known}) > 1:
            found.append(PlanConflict(tuple(known), {child: plan_of[child] for child in known}))
    return found


def practice_warnings(authority: Authority) -> list[ChildWarning]:
    """The warnings of every child of the authority, sorted by child id and code."""
    # Only linked children can be in a contradiction: a graph of every child costs seconds
    # at national scale for nothing.
    linked = sorted({c for link in authority.links for c in (link.child_a, link.child_b)})
    found: set[ChildWarning] = set()
    for contradiction in find_contradictions(linked, authority.links):
        for child_id in contradiction.component:
            found.add(ChildWarning(child_id, SIBLING_CONTRADICTION, contradiction.describe()))
    for conflict in plan_conflicts(authority.children, authority.links):
        for child_id in conflict.unit:
            found.add(ChildWarning(child_id, PLAN_CONFLICT, conflict.describe()))
    for child in authority.children:
        if child.plan == NO_PLAN:
            found.add(
                ChildWarning(
                    child.child_id,
                    PLAN_NOT_RECORDED,
                    "needs a permanence plan recorded: the records hold none (or one a person "
                    "must choose, such as SGO or CAO), so the child is not matched until "
                    "a plan is recorded",
                )
            )
    return sorted(found)
