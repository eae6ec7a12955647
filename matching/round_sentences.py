"""Why a round left a unit without a household, in one sentence a family finder can act
on, naming the carers the unit needs when the caller knows its children: "No long-term
foster carer approved for teenagers with harmful sexual behaviour has room for Dee: 3
would if they had a vacancy." The rounds page and the CLI's round table say it; the
unit's detailed reasons (with the household and child ids behind it) stay beside it,
one click away on the page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from matching.domain import Child
from matching.labels import label, lower
from matching.phrases import count, join_words, plural
from matching.results import UnplacedUnit
from matching.rounds.result import (
    APART_FROM_PLACED,
    CO_PLACEMENT_REASON,
    NO_FEASIBLE_HOUSEHOLD,
    NOT_REACHED,
    TAKEN_BY_OTHERS,
)

# Rules that leave out households for every child of a plan, whoever the child is.
STRUCTURAL_RULES = frozenset({"plan_kind", "connected_to_child", "status"})


# The carers each family-finding plan is served by (singular, plural): a plan's kind of
# household (as `matching.gaps.targets.PLAN_HOUSEHOLD` recruits for it), as people say it.
CARER_NOUNS: Mapping[str, tuple[str, str]] = {
    "long_term_foster": ("long-term foster carer", "long-term foster carers"),
    "adoption": ("adopter", "adopters"),
    "ffa": ("fostering-for-adoption carer", "fostering-for-adoption carers"),
    "residential": ("children's home", "children's homes"),
    "kinship": ("connected carer", "connected carers"),
    "sgo": ("connected carer", "connected carers"),
    "cao": ("connected carer", "connected carers"),
}
# A need at this level (complex) is what a carer must be able to meet: it names the
# carer profile; needs at a lower level are left to the shortlist.
NAMED_NEED_LEVEL = 2
MOST_NEEDS_NAMED = 2


@dataclass(frozen=True)
class CarerProfile:
    """The carers a unit needs, in words: "long-term foster carer" (and its plural),
    "approved for teenagers with harmful sexual behaviour"."""

    noun: str
    nouns: str
    approved_for: str

    def named(self, n: int) -> str:
        """The noun for `n` carers ("carer", "carers")."""
        return self.noun if n == 1 else self.nouns


def _ages(ages: Sequence[int]) -> str:
    """The children a carer is approved for, by their ages: "teenagers", "a baby",
    "children aged 4 to 9", "a child aged 7"."""
    low, high = min(ages), max(ages)
    one = len(ages) == 1
    if high < 1:
        return "a baby" if one else "babies"
    if low >= 13 and high <= 17:
        return "a teenager" if one else "teenagers"
    if one:
        return f"a child aged {low}"
    return f"children aged {low}" if low == high else f"children aged {low} to {high}"


def carer_profile(children: Sequence[Child], as_of: date) -> CarerProfile:
    """The carers `children` (one unit) need: the kind their plan is served by, the ages
    approved for, and their complex needs (at most two named, the rest "and more")."""
    plan = children[0].plan
    noun, nouns = CARER_NOUNS.get(plan, ("carer", "carers"))
    ages = [c.age_on(as_of) for c in children]
    whom = _ages(ages)
    if len(children) > 1:
        whom = f"a sibling group of {len(children)} ({whom})"
    needs = sorted(
        {need for c in children for need, level in c.needs.items() if level >= NAMED_NEED_LEVEL}
    )
    named = [lower(label("need", need)) for need in needs[:MOST_NEEDS_NAMED]]
    if len(needs) > MOST_NEEDS_NAMED:
        named.append(f"{count(len(needs) - MOST_NEEDS_NAMED, 'more need')}")
    with_needs = f" with {join_words(named)}" if named else ""
    return CarerProfile(noun, nouns, f"approved for {whom}{with_needs}")


def _who(children: tuple[str, ...], names: Mapping[str, str]) -> str:
    return join_words(names.get(c) or c for c in children)


def unplaced_sentence(
    unit: UnplacedUnit,
    names: Mapping[str, str] | None = None,
    carers: CarerProfile | None = None,
) -> str:
    """Why a round left a unit without a household, in one sentence a family finder can
    act on (the ids behind it stay in the unit's detailed reasons). `carers`, the unit's
    `carer_profile` when the caller knows its children, names the carers it needs; else
    the sentence speaks of households."""
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
            if carers is not None:
                return (
                    f"No {carers.noun} {carers.approved_for} has room for {who}: {room} "
                    f"would if {'it' if room == 1 else 'they'} had a vacancy."
                )
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
        if carers is not None:
            if not top:
                return (
                    f"The pool has no {carers.nouns} who could take {who}: recruit "
                    f"{carers.nouns} {carers.approved_for}."
                )
            return (
                f"No {carers.noun} {carers.approved_for} can take {who}: most "
                f"{carers.nouns} are left out as {join_words(top)}."
            )
        if not top:
            return f"No household in the pool serves the plan of {who}."
        return (
            f"No household that serves the plan can take {who}: most are left out as "
            f"{join_words(top)}."
        )
    if unit.reason == TAKEN_BY_OTHERS:
        taken = len(unit.feasible_households or ())
        noun = "household" if carers is None else carers.noun
        nouns = plural(taken, noun, None if carers is None else carers.nouns)
        which = f"The only {noun}" if taken == 1 else f"The {taken:,} {nouns}"
        # carers are people; a household or a children's home is a place
        that = "who" if carers is not None and carers.noun != "children's home" else "that"
        return (
            f"{which} {that} could take {who} went to other children in this round, who had "
            "waited longer or scored higher."
        )
    if unit.reason == APART_FROM_PLACED:
        return (
            f"The household with room for {who} takes a sibling assessed to live apart "
            f"from {'them' if len(unit.children) > 1 else 'this child'}."
        )
    if unit.reason == CO_PLACEMENT_REASON:
        them = "them" if len(unit.children) > 1 else "this child"
        return (
            f"Every household with room for {who} takes a child in this round who must not "
            f"live with {them} (a requirement about other children, or a safeguarding risk "
            f"in the policy): look for a home where {them} would be the only placement."
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
