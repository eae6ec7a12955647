"""Why a round left a unit without a household, in one sentence a family finder can act
on: "No household with room can take Dee: 3 would if they had a vacancy." The rounds
page and the CLI's round table say it; the unit's detailed reasons (with the household
and child ids behind it) stay beside it, one click away on the page."""

from __future__ import annotations

from collections.abc import Mapping

from matching.labels import label, lower
from matching.phrases import count, join_words
from matching.results import UnplacedUnit
from matching.rounds.result import (
    APART_FROM_PLACED,
    NO_FEASIBLE_HOUSEHOLD,
    NOT_REACHED,
    TAKEN_BY_OTHERS,
)

# Rules that leave out households for every child of a plan, whoever the child is.
STRUCTURAL_RULES = frozenset({"plan_kind", "connected_to_child", "status"})


def _who(children: tuple[str, ...], names: Mapping[str, str]) -> str:
    return join_words(names.get(c) or c for c in children)


def unplaced_sentence(unit: UnplacedUnit, names: Mapping[str, str] | None = None) -> str:
    """Why a round left a unit without a household, in one sentence a family finder can
    act on (the ids behind it stay in the unit's detailed reasons)."""
    who = _who(unit.children, names or {})
    if unit.reason == NO_FEASIBLE_HOUSEHOLD:
        passing = unit.households_passing_hard_rules or 0
        if passing:
            return (
                f"{count(passing, 'household')} {'passes' if passing == 1 else 'pass'} every "
                f"rule for {who} but none scores enough for a round: read the shortlist on "
                "the child's page."
            )
        room = unit.households_needing_room or 0
        if room:
            return (
                f"No household with room can take {who}: {room} would if "
                f"{'it' if room == 1 else 'they'} had a vacancy."
            )
        counts = sorted((unit.excluded_counts or {}).items(), key=lambda item: -item[1])
        # Households of another kind, connected to other children or not available are
        # left out for every child of this plan: the rules a recruiter can act on are
        # the others.
        telling = [(rule, n) for rule, n in counts if rule not in STRUCTURAL_RULES]
        top = [f"{lower(label('rule', rule))} ({n})" for rule, n in telling[:2]]
        if not top:
            return f"No household in the pool serves the plan of {who}."
        return (
            f"No household that serves the plan can take {who}: most are left out as "
            f"{join_words(top)}."
        )
    if unit.reason == TAKEN_BY_OTHERS:
        taken = len(unit.feasible_households or ())
        which = "The only household" if taken == 1 else f"The {count(taken, 'household')}"
        return (
            f"{which} that could take {who} went to other children in this round, who had "
            "waited longer or scored higher."
        )
    if unit.reason == APART_FROM_PLACED:
        return (
            f"The household with room for {who} takes a sibling assessed to live apart "
            f"from {'them' if len(unit.children) > 1 else 'this child'}."
        )
    if unit.reason == NOT_REACHED:
        return (
            f"The search stopped at its time limit with room left for {who}: "
            "run the round again with more time."
        )
    if unit.reason == "sibling_contradiction":
        return (
            f"Held until a person resolves the Together-and-Apart assessments of {who}, "
            "which contradict each other: not matched meanwhile."
        )
    if unit.reason == "plan_conflict":
        return (
            f"Held until a person decides one plan for {who}, assessed to live together "
            "with different plans: not matched meanwhile."
        )
    return f"{label('unplaced_reason', unit.reason)} ({who})."
