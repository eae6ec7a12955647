"""A stored result against the same run computed again: identical, or the differences
in words.

    compare_shortlists(stored, replayed) -> tuple[Difference, ...]
    compare_rounds(stored, replayed)     -> tuple[Difference, ...]

Each difference names what differs (a household, a unit of children, a figure) with
both values, "when run" and "in the replay". The solver's running time (`wall_s`) is
the only field left out: it is a measurement, not a result. Scores within `SCORE_TOLERANCE`
are equal (the last bits of a float may differ across numpy builds, never a rank).
Anything the documents hold beyond the fields compared by name is compared as a whole,
so no altered field goes unreported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from matching.labels import label, lower
from matching.phrases import join_words
from matching.results import (
    RoundCandidate,
    RoundDocument,
    RoundUnit,
    ShortlistCandidate,
    ShortlistDocument,
    UnplacedUnit,
)

SCORE_TOLERANCE = 1e-6
# Measurements, not results: never compared.
NOT_COMPARED = frozenset({"wall_s"})


class Difference(BaseModel):
    """One thing the replay found different: what it is about, and the sentence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    about: str  # a household id, a unit's children ("C1 + C2") or a field name
    text: str


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return abs(float(a) - float(b)) <= SCORE_TOLERANCE
    return bool(a == b)


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value - round(value, 1)) < 5e-3 else f"{value:.4g}"
    return str(value)


def _was(what: str, stored: Any, replayed: Any) -> str:
    return f"{what}: {_num(stored)} when run, {_num(replayed)} in the replay"


def _unit(children: Sequence[str]) -> str:
    return " + ".join(children)


# ----------------------------------------------------------------------------- shortlist


def _candidate_differences(
    stored: ShortlistCandidate, replayed: ShortlistCandidate
) -> list[Difference]:
    who = stored.household_id + (f" ({stored.name})" if stored.name else "")
    found: list[Difference] = []
    if stored.rank != replayed.rank:
        found.append(
            Difference(
                about=stored.household_id, text=_was(f"{who} rank", stored.rank, replayed.rank)
            )
        )
    if not _same(stored.score, replayed.score):
        found.append(
            Difference(
                about=stored.household_id, text=_was(f"{who} score", stored.score, replayed.score)
            )
        )
    if stored.kinship != replayed.kinship:
        kin = {True: "a connected household", False: "not a connected household"}
        found.append(
            Difference(
                about=stored.household_id,
                text=f"{who}: {kin[stored.kinship]} when run, "
                f"{kin[replayed.kinship]} in the replay",
            )
        )
    points = {c.criterion: c for c in stored.contributions}
    again = {c.criterion: c for c in replayed.contributions}
    for criterion in dict.fromkeys([*points, *again]):
        before, after = points.get(criterion), again.get(criterion)
        name = lower(label("criterion", criterion))
        if before is None or after is None:
            found.append(
                Difference(
                    about=stored.household_id,
                    text=f"{who}: {name} {'not ' if before is None else ''}scored when run, "
                    f"{'not ' if after is None else ''}scored in the replay",
                )
            )
        elif not _same(before.points, after.points) or not _same(
            before.max_points, after.max_points
        ):
            found.append(
                Difference(
                    about=stored.household_id,
                    text=f"{who}: {name} {_num(before.points)} of {_num(before.max_points)} "
                    f"points when run, {_num(after.points)} of {_num(after.max_points)} "
                    "in the replay",
                )
            )
        elif before.reason != after.reason:
            found.append(
                Difference(
                    about=stored.household_id,
                    text=f"{who}: the reason for {name} was {before.reason!r} when run, "
                    f"{after.reason!r} in the replay",
                )
            )
    if stored.questions != replayed.questions:
        found.append(
            Difference(
                about=stored.household_id,
                text=f"{who}: questions to ask {list(stored.questions)} when run, "
                f"{list(replayed.questions)} in the replay",
            )
        )
    if stored.name != replayed.name:
        found.append(
            Difference(
                about=stored.household_id,
                text=_was(f"{stored.household_id} name", repr(stored.name), repr(replayed.name)),
            )
        )
    return found


def _counts_by_rule(
    stored: Mapping[str, int], replayed: Mapping[str, int], what: str, about: str
) -> list[Difference]:
    found = []
    for rule in dict.fromkeys([*stored, *replayed]):
        before, after = stored.get(rule, 0), replayed.get(rule, 0)
        if before != after:
            rule_name = lower(label("rule", rule))
            found.append(Difference(about=about, text=_was(f"{what} ({rule_name})", before, after)))
    return found


def _rest(
    stored: Mapping[str, Any],
    replayed: Mapping[str, Any],
    compared: Iterable[str],
    describe: Callable[[str], str],
) -> list[Difference]:
    """Every other field, compared whole, named in words."""
    skip = set(compared) | NOT_COMPARED
    found = []
    for key in dict.fromkeys([*stored, *replayed]):
        if key in skip:
            continue
        before, after = stored.get(key), replayed.get(key)
        if not _same(before, after):
            found.append(Difference(about=key, text=_was(describe(key), before, after)))
    return found


def compare_shortlists(
    stored: ShortlistDocument, replayed: ShortlistDocument
) -> tuple[Difference, ...]:
    """How a replayed shortlist differs from the stored one (empty: identical)."""
    found: list[Difference] = []
    if stored.unit != replayed.unit:
        found.append(
            Difference(
                about="unit",
                text=f"the children shortlisted together: {_unit(stored.unit)} when run, "
                f"{_unit(replayed.unit)} in the replay",
            )
        )
    before = {c.household_id: c for c in stored.candidates}
    after = {c.household_id: c for c in replayed.candidates}
    for household_id, candidate in before.items():
        again = after.get(household_id)
        who = household_id + (f" ({candidate.name})" if candidate.name else "")
        if again is None:
            found.append(
                Difference(
                    about=household_id,
                    text=f"{who}: rank {candidate.rank}, score {_num(candidate.score)} when "
                    "run; not on the replayed list",
                )
            )
        else:
            found.extend(_candidate_differences(candidate, again))
    for household_id, candidate in after.items():
        if household_id not in before:
            who = household_id + (f" ({candidate.name})" if candidate.name else "")
            found.append(
                Difference(
                    about=household_id,
                    text=f"{who}: not on the list when run; rank {candidate.rank}, score "
                    f"{_num(candidate.score)} in the replay",
                )
            )
    found.extend(
        _counts_by_rule(
            stored.excluded_counts, replayed.excluded_counts, "households left out", "excluded"
        )
    )
    if stored.why_not != replayed.why_not:
        found.append(
            Difference(
                about="why_not",
                text=f"the answer for the household asked about: {_why_not(stored)} when run, "
                f"{_why_not(replayed)} in the replay",
            )
        )
    names = {
        "n_feasible": "households passing every hard rule",
        "households_in_pool": "households in the pool",
        "policy_version": "policy version",
        "inputs_fingerprint": "data fingerprint",
        "as_of": "reference date",
        "child_id": "child asked for",
        "schema_version": "stored format",
    }
    found.extend(
        _rest(
            stored.as_json(),
            replayed.as_json(),
            ("unit", "candidates", "excluded_counts", "why_not"),
            lambda key: names.get(key, key.replace("_", " ")),
        )
    )
    return tuple(found)


def _why_not(document: ShortlistDocument) -> str:
    why = document.why_not
    if why is None:
        return "none"
    if why.rules:
        return f"{why.household_id} fails " + join_words(lower(label("rule", r)) for r in why.rules)
    return f"{why.household_id} ranked {why.rank} (score {_num(why.score)})"


# ----------------------------------------------------------------------------- round


def _households(candidates: Sequence[RoundCandidate]) -> str:
    if not candidates:
        return "no household"
    return ", ".join(f"{c.household_id} (score {_num(c.score)})" for c in candidates)


def _unit_differences(stored: RoundUnit, replayed: RoundUnit) -> list[Difference]:
    who = _unit(stored.children)
    found = []
    same_households = [c.household_id for c in stored.candidates] == [
        c.household_id for c in replayed.candidates
    ]
    same_scores = all(
        _same(a.score, b.score)
        for a, b in zip(stored.candidates, replayed.candidates, strict=False)
    )
    if not same_households or not same_scores:
        found.append(
            Difference(
                about=who,
                text=f"{who}: {_households(stored.candidates)} when run; "
                f"{_households(replayed.candidates)} in the replay",
            )
        )
    if not _same(stored.priority, replayed.priority):
        found.append(
            Difference(about=who, text=_was(f"{who} priority", stored.priority, replayed.priority))
        )
    return found


def _unplaced_text(item: UnplacedUnit | None) -> str:
    if item is None:
        return "placed"
    return "without a household (" + "; ".join(item.reasons or (item.reason,)) + ")"


def compare_rounds(stored: RoundDocument, replayed: RoundDocument) -> tuple[Difference, ...]:
    """How a replayed round differs from the stored one (empty: identical)."""
    found: list[Difference] = []
    headline = {
        "status": "solver status",
        "solver": "solver",
        "children_placed": "children placed",
        "units_covered": "units given a household",
        "coverage_bound": "proven most children that can be placed",
        "objective": "objective",
        "best_bound": "bound on the objective",
        "gap": "gap to the bound",
        "units_waiting": "units waiting",
        "children_waiting": "children waiting",
        "households_in_pool": "households in the pool",
        "feasible_pairs": "feasible (unit, household) pairs",
    }
    old, new = stored.as_json(), replayed.as_json()
    for key, what in headline.items():
        if not _same(old.get(key), new.get(key)):
            found.append(Difference(about=key, text=_was(what, old.get(key), new.get(key))))
    before = {u.children: u for u in stored.units}
    after = {u.children: u for u in replayed.units}
    for children, unit in before.items():
        again = after.get(children)
        if again is None:
            found.append(
                Difference(
                    about=_unit(children),
                    text=f"{_unit(children)}: in the round when run "
                    f"({_households(unit.candidates)}); not in the replay",
                )
            )
        else:
            found.extend(_unit_differences(unit, again))
    for children, unit in after.items():
        if children not in before:
            found.append(
                Difference(
                    about=_unit(children),
                    text=f"{_unit(children)}: not in the round when run; "
                    f"{_households(unit.candidates)} in the replay",
                )
            )
    unplaced_before = {u.children: u for u in stored.unplaced}
    unplaced_after = {u.children: u for u in replayed.unplaced}
    for children in dict.fromkeys([*unplaced_before, *unplaced_after]):
        a, b = unplaced_before.get(children), unplaced_after.get(children)
        if a != b:
            found.append(
                Difference(
                    about=_unit(children),
                    text=f"{_unit(children)}: {_unplaced_text(a)} when run; "
                    f"{_unplaced_text(b)} in the replay",
                )
            )
    if stored.sibling_contact != replayed.sibling_contact:
        far_before = sum(not c.within_km for c in stored.sibling_contact)
        far_after = sum(not c.within_km for c in replayed.sibling_contact)
        found.append(
            Difference(
                about="sibling_contact",
                text=f"siblings placed apart: {len(stored.sibling_contact)} pairs "
                f"({far_before} far apart) when run, {len(replayed.sibling_contact)} pairs "
                f"({far_after} far apart) in the replay",
            )
        )
    found.extend(
        _rest(
            old,
            new,
            (*headline, "units", "unplaced", "sibling_contact"),
            lambda key: key.replace("_", " "),
        )
    )
    return tuple(found)


# ----------------------------------------------------------------------------- result


class ReplayDocument(BaseModel):
    """A replay: which run, whether it came out identical, and if not, how it differs.

    `notes` say what a reader needs to judge a difference (a search the wall clock cut
    short, another release of familyfinder).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = 1
    kind: Literal["shortlist", "round"]
    id: int  # the shortlist's run id, or the round's id
    identical: bool
    differences: tuple[Difference, ...]
    notes: tuple[str, ...] = ()
    stored_at: datetime
    requested_by: str
    as_of: date
    inputs_fingerprint: str
    policy_version: str
    seed: int | None = None
    ran_with: str  # familyfinder release of the run
    replayed_with: str  # and of the replay

    def as_json(self) -> dict[str, Any]:
        """The replay as JSON-ready values, as printed and served."""
        return self.model_dump(mode="json")


def replay_notes(
    *, ran_with: str, replayed_with: str, run_deterministic: bool, replay_deterministic: bool
) -> tuple[str, ...]:
    """What a reader needs to judge the differences found, in words."""
    notes = []
    if not run_deterministic:
        notes.append(
            "When it ran, the search was stopped by the clock before its work budget (the "
            "machine was too loaded for the time limit), so another run may find another plan."
        )
    if not replay_deterministic:
        notes.append(
            "This replay's search was stopped by the clock before its work budget (the "
            "machine is busy): replay it again when the machine is quieter."
        )
    if ran_with != replayed_with:
        notes.append(
            f"The run was made by familyfinder {ran_with} and replayed by {replayed_with}: "
            "a difference may come from the change of release."
        )
    return tuple(notes)
