"""The practice rules about siblings, applied to the units that are matched.

Shortlists, rounds and the gap report all form their units through `practice_units`, so
they agree (docs/domain.md, "Practice rules a panel expects"):

* **Held for a decision.** Waiting children in a sibling contradiction (A together with
  B, B together with C, A apart from C) or in a `together` group whose plans differ
  (`matching.practice`) are not matched until a person resolves it: a shortlist refuses
  them with the reason, a round lists them as unplaced with the reason code
  (`sibling_contradiction`, `plan_conflict`), the gap report says how many it leaves
  out. The rest of the authority is matched as usual.
* **Pending assessments.** Waiting children joined by a `pending` Together-and-Apart
  assessment are searched as one unit when some household in the pool passes every hard
  rule for all of them together, and every result naming them carries the warning
  `pending_assessment`. When none can, they are matched as their own units, still
  warned, and the warning says that no household can take them together: they are
  never split without a warning.
* **Siblings already placed.** A waiting child assessed `together` with siblings who
  are placed or matched (`placed_with`) is matched first to their household: when that
  household passes every hard rule for the child's unit it is the only household a round
  or the gap report offers the unit (warning `sibling_reunification`); when it does not,
  the warning names the rules it fails and the unit is matched like any other. Either
  way the child stays in the round and in the gap report's demand (before, a unit
  holding a placed child was left out of both).

The engines read `PracticeUnits.authority`: the authority with the held children (and
their links) left out, the pending links promoted to `together` where the group is
kept together, and the together links to placed siblings replaced by links among the
waiting children, so that `matching.siblings.sibling_units` forms exactly these units.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from matching import labels
from matching.coplacement import requirements_allow
from matching.domain import Authority, Child, SiblingLink
from matching.phrases import join_words
from matching.policy import Policy
from matching.pool import HouseholdPool
from matching.practice import PLAN_CONFLICT, SIBLING_CONTRADICTION, practice_warnings
from matching.rules import (
    HARD_RULES,
    RULE_NAMES,
    UnitFeatures,
    combine,
    hard_exclusions,
    safeguarding_distance,
    too_near,
)
from matching.siblings import sibling_units
from matching.vocab import NOT_FAMILY_FOUND_PLANS

PENDING_ASSESSMENT = "pending_assessment"
SIBLING_REUNIFICATION = "sibling_reunification"
# Practice warnings that hold a child back from matching until a person resolves them.
HOLD_CODES = (SIBLING_CONTRADICTION, PLAN_CONFLICT)
LIVING_WITH = ("placed", "matched")  # statuses of a child who lives with a household


@dataclass(frozen=True)
class UnitWarning:
    """Something about a unit that a person must decide or know: a code and words."""

    code: str
    message: str


@dataclass(frozen=True)
class HeldUnit:
    """Waiting children held back from matching until a person resolves a practice
    contradiction: the reason code and the reason in words."""

    children: tuple[str, ...]
    code: str
    message: str


@dataclass(frozen=True)
class Reunion:
    """A waiting unit whose together-siblings live with one household."""

    children: tuple[str, ...]
    household_id: str
    siblings: tuple[str, ...]  # the placed or matched siblings living there
    failing: tuple[str, ...]  # hard rules the household fails for the unit (empty: it passes)

    @property
    def matched_first(self) -> bool:
        """True when the household passes every hard rule: it is the unit's only offer."""
        return not self.failing


@dataclass(frozen=True)
class PracticeUnits:
    """An authority as the engines match it, with what the practice rules decided."""

    authority: Authority
    held: tuple[HeldUnit, ...] = ()
    reunions: tuple[Reunion, ...] = ()
    warnings: Mapping[str, tuple[UnitWarning, ...]] = field(default_factory=dict)

    def warnings_of(self, children: Iterable[str]) -> tuple[UnitWarning, ...]:
        """The warnings of a unit's children, each once, in the children's order."""
        found: dict[UnitWarning, None] = {}
        for child in children:
            for warning in self.warnings.get(child, ()):
                found[warning] = None
        return tuple(found)

    def held_unit(self, child_id: str) -> HeldUnit | None:
        """The held unit holding `child_id`, if the child is held."""
        return next((h for h in self.held if child_id in h.children), None)

    def reunion_homes(self) -> dict[tuple[str, ...], str]:
        """Unit children -> the household each reunion unit is matched first to."""
        return {r.children: r.household_id for r in self.reunions if r.matched_first}

    @property
    def held_children(self) -> int:
        """How many children are held back for a decision."""
        return sum(len(h.children) for h in self.held)


def _names(ids: Sequence[str]) -> str:
    return join_words(sorted(ids))


def _held(authority: Authority, waiting: set[str]) -> tuple[HeldUnit, ...]:
    """Waiting children with a contradiction or a plan conflict, by together-group."""
    codes: dict[str, dict[str, str]] = {}
    for warning in practice_warnings(authority):
        if warning.code in HOLD_CODES and warning.child_id in waiting:
            codes.setdefault(warning.child_id, {}).setdefault(warning.code, warning.message)
    if not codes:
        return ()
    links = [link for link in authority.links if link.child_a in codes and link.child_b in codes]
    out = []
    for unit in sibling_units(sorted(codes), links):
        mine = [codes[c] for c in unit]
        code = (
            SIBLING_CONTRADICTION
            if any(SIBLING_CONTRADICTION in m for m in mine)
            else PLAN_CONFLICT
        )
        message = next(m[code] for m in mine if code in m)
        out.append(HeldUnit(unit, code, message))
    return tuple(out)


def _together_homes(
    authority: Authority, by_id: Mapping[str, Child], waiting: set[str]
) -> tuple[list[SiblingLink], dict[str, tuple[set[str], set[str]]]]:
    """The links with each together-group's links to placed siblings replaced by links
    among its waiting children; per waiting child, the homes of its placed
    together-siblings and who they are."""
    together = [link for link in authority.links if link.assessment == "together"]
    living = {
        c for link in together for c in link.pair if c in by_id and by_id[c].status in LIVING_WITH
    }
    if not living:
        return list(authority.links), {}
    homes: dict[str, tuple[set[str], set[str]]] = {}
    linked = sorted({c for link in together for c in link.pair if c in by_id})
    extra: list[SiblingLink] = []
    for group in sibling_units(linked, together):
        placed = [c for c in group if c in living]
        kids = [c for c in group if c in waiting]
        if not placed or not kids:
            continue
        where = {by_id[c].placed_with for c in placed if by_id[c].placed_with}
        for kid in kids:
            homes[kid] = ({h for h in where if h}, set(placed))
        # the waiting children stay one unit without their placed siblings
        extra.extend(
            SiblingLink(a, b, "full", "together", note="together through siblings already placed")
            for a, b in itertools.pairwise(kids)
        )
    kept = [
        link
        for link in authority.links
        if not (
            link.assessment == "together" and (link.child_a in living) != (link.child_b in living)
        )
    ]
    return kept + extra, homes


def _pending_groups(
    units: Sequence[tuple[str, ...]], links: Sequence[SiblingLink], eligible: set[str]
) -> list[tuple[list[int], list[SiblingLink]]]:
    """Groups of two or more units joined by pending links between eligible children,
    with those links."""
    unit_of = {c: i for i, unit in enumerate(units) for c in unit}
    parent = list(range(len(units)))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    whole = [all(c in eligible for c in unit) for unit in units]
    pending: list[tuple[int, int, SiblingLink]] = []
    for link in links:
        if link.assessment != "pending" or not link.pair <= eligible:
            continue
        a, b = unit_of[link.child_a], unit_of[link.child_b]
        if a == b or not (whole[a] and whole[b]):
            continue
        pending.append((a, b, link))
        parent[root(a)] = root(b)
    groups: dict[int, tuple[list[int], list[SiblingLink]]] = {}
    for a, _b, link in pending:
        groups.setdefault(root(a), ([], []))[1].append(link)
    for u in range(len(units)):
        if root(u) in groups:
            groups[root(u)][0].append(u)
    return [groups[r] for r in sorted(groups)]


def _feasible_together(
    children: Sequence[Child], pool: HouseholdPool, as_of: date, policy: Policy | None
) -> bool:
    unit = UnitFeatures.from_children(children, as_of, policy)
    # the distance rule only on the households every other rule leaves open (as the
    # typed feasibility does): the exact distance to the whole pool is the costly part
    masks = {
        name: rule(unit, pool)
        for name, rule in HARD_RULES.items()
        if rule is not safeguarding_distance
    }
    open_rows = np.flatnonzero(~combine(masks, pool.size))
    return len(too_near(unit, pool, open_rows)) < len(open_rows)


def practice_units(
    authority: Authority,
    *,
    as_of: date,
    pool: HouseholdPool | None = None,
    policy: Policy | None = None,
) -> PracticeUnits:
    """The authority as the engines match it on `as_of` (see the module docstring).

    `pool` is the pool of `authority`'s households when the caller holds it (a
    shortlist gives the context's pool with a small authority of one sibling group);
    it is built only if a pending group or a reunion needs the hard rules. `policy`
    (default: the shipped one) gives the co-placement risks those hard rules apply, so
    whether a household can take a pending group together, or a reunion passes, is
    decided under the caller's policy as the caller's matching is.
    """
    by_id = {c.child_id: c for c in authority.children}
    waiting = {c.child_id for c in authority.children if c.status == "waiting"}
    held = _held(authority, waiting)
    held_ids = {c for h in held for c in h.children}
    if held_ids:
        authority = dataclasses.replace(
            authority,
            children=tuple(c for c in authority.children if c.child_id not in held_ids),
            links=tuple(link for link in authority.links if not link.pair & held_ids),
        )
        waiting -= held_ids
    links, homes = _together_homes(authority, by_id, waiting)
    warnings: dict[str, list[UnitWarning]] = {}
    built: list[HouseholdPool] = []

    def the_pool() -> HouseholdPool:
        if pool is not None:
            return pool
        if not built:
            built.append(HouseholdPool.from_households(authority.households))
        return built[0]

    # pending: waiting children with family-found plans, joined where a household can
    eligible = {c for c in waiting if by_id[c].plan not in NOT_FAMILY_FOUND_PLANS}
    units = sibling_units(sorted(eligible), links)
    promoted: dict[SiblingLink, SiblingLink] = {}
    # each child's siblings assessed apart, indexed once (a scan of every link per
    # pending group took 11 s of a national gap report)
    apart_of: dict[str, set[str]] = {}
    for link in links:
        if link.assessment == "apart":
            apart_of.setdefault(link.child_a, set()).add(link.child_b)
            apart_of.setdefault(link.child_b, set()).add(link.child_a)
    for members, pending in _pending_groups(units, links, eligible):
        ids = sorted(c for u in members for c in units[u])
        inside = set(ids)
        apart = any(not apart_of.get(c, set()).isdisjoint(inside) for c in ids)
        linked = sorted({c for link in pending for c in link.pair})
        pairs = (
            f"Together-and-Apart assessment of {_names(linked)} is"
            if len(pending) == 1
            else f"Together-and-Apart assessments between {_names(linked)} are"
        )
        # a child's own requirements about other children (no younger children, ...)
        # hold for a sibling too: such a group is matched separately, as when apart
        allowed = requirements_allow([by_id[c] for c in ids])
        together = (
            not apart
            and allowed
            and _feasible_together([by_id[c] for c in ids], the_pool(), as_of, policy)
        )
        if together:
            message = (
                f"The {pairs} pending: "
                f"{_names(ids)} are searched as one unit, since a household can take them "
                "together; complete the assessment before a match is made"
            )
            for link in pending:
                promoted[link] = dataclasses.replace(link, assessment="together")
        else:
            why = (
                "some of them are assessed to live apart"
                if apart
                else "a child's own requirements rule out living with the others"
                if not allowed
                else "no household in the pool can take them together"
            )
            message = (
                f"The {pairs} pending and {why}: "
                f"{_names(ids)} are matched separately for now, each with their own "
                "households; complete the assessment before anyone is placed apart"
            )
        for child in ids:
            warnings.setdefault(child, []).append(UnitWarning(PENDING_ASSESSMENT, message))
    if promoted:
        links = [promoted.get(link, link) for link in links]

    # siblings already placed: the final units, each with its siblings' one household
    reunions: list[Reunion] = []
    if homes:
        for unit in sibling_units(sorted(eligible), links):
            if not all(c in eligible for c in unit):
                continue  # a plan that is not family-found: not matched at all
            where: set[str] = set()
            placed: set[str] = set()
            for child in unit:
                if child in homes:
                    where |= homes[child][0]
                    placed |= homes[child][1]
            if not placed:
                continue
            reunion, message = _reunion(
                unit, where, placed, [by_id[c] for c in unit], the_pool(), as_of, policy
            )
            if reunion is not None:
                reunions.append(reunion)
            for child in unit:
                warnings.setdefault(child, []).append(UnitWarning(SIBLING_REUNIFICATION, message))

    return PracticeUnits(
        authority=dataclasses.replace(authority, links=tuple(links)),
        held=held,
        reunions=tuple(reunions),
        warnings={c: tuple(w) for c, w in warnings.items()},
    )


def _reunion(
    unit: tuple[str, ...],
    where: set[str],
    placed: set[str],
    children: Sequence[Child],
    pool: HouseholdPool,
    as_of: date,
    policy: Policy | None,
) -> tuple[Reunion | None, str]:
    """The reunion of a waiting unit with its placed together-siblings, and its warning."""
    verb = "is" if len(unit) == 1 else "are"
    head = f"{_names(unit)} {verb} assessed to live together with {_names(sorted(placed))}"
    live = "lives" if len(placed) == 1 else "live"
    if len(where) != 1:
        place = "different households" if where else "a household not recorded"
        return None, (
            f"{head}, who {live} with {place}: a person must decide where they live together; "
            "searched like any other unit meanwhile"
        )
    home = next(iter(where))
    row = pool.index.get(home)
    if row is None:
        return None, (
            f"{head}, who {live} with {home}, a household not in the pool: searched like any "
            "other unit"
        )
    masks = hard_exclusions(UnitFeatures.from_children(children, as_of, policy), pool)
    failing = tuple(name for name in RULE_NAMES if masks[name][row])
    reunion = Reunion(unit, home, tuple(sorted(placed)), failing)
    if not failing:
        return reunion, f"{head}, who {live} with {home}: matched first to that household"
    rules = join_words(labels.lower(labels.label("rule", r)) for r in failing)
    return reunion, (
        f"{head}, who {live} with {home}; that household does not pass the hard rules for "
        f"them ({rules}), so they are searched like any other unit"
    )
