"""Hard-rule feasibility of a whole authority, evaluated on types instead of pairs.

Placeability depends only on which (unit, household) pairs pass the hard rules (and the
policy's `min_round_score`; this module is used only when that is 0, so no score is
needed). Most units and households are interchangeable for the rules, so the rules are
evaluated once per *unit type* against a pool of *household type* representatives, with
the rule functions of `matching.rules` (no second implementation):

The type keys are derived from what each rule declares it reads (`matching.rules.reads`):

* household types group the candidate households (available, with a vacancy) by every
  pool column a typed rule declares (`_HOUSEHOLD_COLUMNS`): kind (term for foster
  carers only), approved ages, capacity, will-not-consider needs (restricted to needs
  some waiting unit has), smoker, pets, wheelchair access and the ages of children in
  the home; ages are clipped to the range the waiting units can tell apart, so two
  households are typed together exactly when no waiting unit's rules separate them;
* unit types group the waiting units by everything a typed rule declares it reads of
  them (`_unit_part`): plans, youngest and eldest age, size, needs some household
  refuses, the requirements, and the ages the requirements about other children in the
  home compare with.

The two rules that declare `per_item` (not functions of these types) are applied per item:
`connected_to_child` (a connected household serves only units all of whose children it
is connected to: its pairs come from the pool's connected-children index) and
`safeguarding_distance` (run per unit that has a minimum distance, against the candidate
pool). The result (`FeasibleGroups`) gives, for every unit, its feasible households
as a list of household groups (units share one list object per distinct list);
`pairs()` expands it into the exact pair list that `matching.feasibility.build_instance`
would emit (tested to be equal).

The units are prepared once (`UnitTable`); `with_households` evaluates new households
(recruits, what-if) against the same units without preparing them again. Within one
assessment each rule is called once per distinct value of what it reads of a unit type,
not once per type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np
import numpy.typing as npt

from matching.coplacement import CoPlacement, co_placement
from matching.domain import Authority, Child, Household, SiblingLink
from matching.feasibility import (
    days_waiting,
    priority_for_days,
    round_households,
    sibling_unit_pairs,
)
from matching.instance import MatchingInstance, RoundHousehold, RoundUnit
from matching.policy import CoPlacementPolicy, Policy
from matching.pool import HouseholdPool, need_bits
from matching.practice_units import PracticeUnits, practice_units
from matching.rules import HARD_RULES, RULE_READS, UnitFeatures, risk_ages, too_near
from matching.siblings import sibling_units
from matching.vocab import NEED_CODES, NOT_FAMILY_FOUND_PLANS

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Rules evaluated type against type; those that declare `per_item` (location,
# connected children) are applied per item (see above).
TYPED_RULES = tuple(name for name in HARD_RULES if not RULE_READS[name].per_item)
_FOSTER = 0  # KIND_CODES["foster"]: the only kind whose term a rule reads
_NEED_BITS = len(NEED_CODES)

# How each pool column a typed rule declares it reads becomes a type column, clipped to
# what the waiting units can tell apart (arguments: pool, eldest age, largest unit,
# needs some unit has). `size` is the pool's length, not a household's attribute. The
# columns are taken in this order (it numbers the types, and so the groups).
_HOUSEHOLD_COLUMNS: dict[str, Callable[[HouseholdPool, int, int, int], list[IntArray]]] = {
    "served": lambda pool, age, size, needs: [
        pool.kind.astype(np.int64),
        np.where(pool.kind == _FOSTER, pool.term, 0).astype(np.int64),
    ],
    "min_age": lambda pool, age, size, needs: [np.clip(pool.min_age, 0, age + 1).astype(np.int64)],
    "max_age": lambda pool, age, size, needs: [np.clip(pool.max_age, -1, age).astype(np.int64)],
    "capacity": lambda pool, age, size, needs: [np.clip(pool.capacity, 0, size).astype(np.int64)],
    "will_not_consider": lambda pool, age, size, needs: [
        (pool.will_not_consider & needs).astype(np.int64)
    ],
    "smoker": lambda pool, age, size, needs: [pool.smoker.astype(np.int64)],
    # connected households are exempt from the age range and the under-fives smoking rule
    "is_connected": lambda pool, age, size, needs: [pool.is_connected.astype(np.int64)],
    "pets": lambda pool, age, size, needs: [pool.pets.astype(np.int64)],
    # a not-recorded access is no exclusion: the rule reads "known to have none"
    "no_wheelchair": lambda pool, age, size, needs: [pool.no_wheelchair.astype(np.int64)],
    "has_children": lambda pool, age, size, needs: [pool.has_children.astype(np.int64)],
    "home_min_age": lambda pool, age, size, needs: [
        np.clip(pool.home_min_age, 0, age).astype(np.int64)
    ],
    "home_max_age": lambda pool, age, size, needs: [
        np.clip(pool.home_max_age, 0, age).astype(np.int64)
    ],
    # the candidates are the available households with a vacancy (`_candidates`): no
    # type column can tell them apart by status
    "available": lambda pool, age, size, needs: [],
    "size": lambda pool, age, size, needs: [],
}


def _household_reads() -> tuple[str, ...]:
    """The pool columns the typed rules declare, each with its type column (a rule
    declaring one without is an error here, not a silently wrong grouping)."""
    declared = {c for name in TYPED_RULES for c in RULE_READS[name].household}
    missing = sorted(declared - set(_HOUSEHOLD_COLUMNS))
    if missing:
        raise RuntimeError(f"no household type column for what a rule reads: {missing}")
    return tuple(c for c in _HOUSEHOLD_COLUMNS if c in declared)


def household_types(
    pool: HouseholdPool, *, eldest: int, largest: int, refused: int, any_status: bool = False
) -> tuple[IntArray, IntArray]:
    """Each row's household rule type, and the first row of each type: rows are typed
    together when no unit up to `eldest` years and `largest` children, with needs among
    `refused`, is told apart from them by a typed rule. The candidates (available, with
    a vacancy) need no status column; `any_status` adds it, for a whole pool."""
    columns = [
        column
        for reads in _household_reads()
        for column in _HOUSEHOLD_COLUMNS[reads](pool, eldest, largest, refused)
    ]
    if any_status:
        columns.append(pool.available.astype(np.int64))
    _, first, htype = np.unique(
        np.stack(columns, axis=1), axis=0, return_index=True, return_inverse=True
    )
    return htype.ravel().astype(np.int64), first.astype(np.int64)


def unit_rule_key(
    children: Sequence[Child], ages: Sequence[int], risks: Mapping[str, int]
) -> tuple[object, ...]:
    """What the typed rules declare they read of a unit, its needs apart (the needs
    are typed as a bitmask restricted to those some household refuses)."""
    return _rule_key(children, ages, risks)


def _requirement_ages(children: Sequence[Child], ages: Sequence[int]) -> tuple[int, int]:
    """The ages `requirement` compares with the children in the home: the eldest child
    who must be the youngest there, the youngest who must be the eldest (-1: none)."""
    young = old = -1
    for child, age in zip(children, ages, strict=True):
        if "no_younger_children" in child.requirements:
            young = max(young, age)
        if "no_older_children" in child.requirements:
            old = age if old < 0 else min(old, age)
    return young, old


# How each unit attribute a typed rule declares it reads becomes part of the unit's
# type key (from the unit's children and their ages). `need_mask` is kept apart: it is
# restricted to the needs a pool refuses (see `_assess`).
# `risks` are the policy's co-placement risks (need -> lowest level).
_UNIT_PARTS: dict[str, Callable[[Sequence[Child], Sequence[int], Mapping[str, int]], object]] = {
    "plans": lambda children, ages, risks: tuple(sorted({c.plan for c in children})),
    "min_age": lambda children, ages, risks: min(ages),
    "max_age": lambda children, ages, risks: max(ages),
    "size": lambda children, ages, risks: len(children),
    "requirements": lambda children, ages, risks: frozenset(
        r for c in children for r in c.requirements
    ),
    "ages_with": lambda children, ages, risks: _requirement_ages(children, ages),
    "risk_ages": lambda children, ages, risks: max(risk_ages(children, ages, risks), default=-1),
}


def _unit_part(
    reads: str, children: Sequence[Child], ages: Sequence[int], risks: Mapping[str, int]
) -> object:
    """The part of a unit's type key for what a typed rule declares it reads."""
    part = _UNIT_PARTS.get(reads)
    if part is None:
        raise RuntimeError(f"no unit type key part for what a rule reads: {reads!r}")
    return part(children, ages, risks)


def unit_part(
    reads: str, children: Sequence[Child], ages: Sequence[int], risks: Mapping[str, int]
) -> object:
    """What a typed rule reads of a unit under the name it declares (`_unit_part`)."""
    return _unit_part(reads, children, ages, risks)


_UNIT_READS = tuple(
    sorted({a for name in TYPED_RULES for a in RULE_READS[name].unit} - {"need_mask"})
)
for _reads in _UNIT_READS:  # a declaration no part can hold fails at import, not silently
    if _reads not in _UNIT_PARTS:
        raise RuntimeError(f"no unit type key part for what a rule reads: {_reads!r}")
_UNIT_KEY = tuple(_UNIT_PARTS[r] for r in _UNIT_READS)
# per typed rule: the positions in the rule key of the parts it reads, and whether it
# reads the needs
_RULE_PARTS = tuple(
    (
        name,
        tuple(_UNIT_READS.index(r) for r in sorted(RULE_READS[name].unit - {"need_mask"})),
        "need_mask" in RULE_READS[name].unit,
    )
    for name in TYPED_RULES
)


@dataclass
class UnitTable:
    """The waiting units of an authority with what the rules read of them, built once.

    `rule_key[u]` numbers the distinct rule-relevant attributes of unit u other than its
    needs (`need_mask[u]`); the type of a unit against a pool is the pair of the two,
    with the needs restricted to those the pool refuses.
    """

    as_of: date
    units: tuple[RoundUnit, ...]
    unit_children: tuple[tuple[Child, ...], ...]
    rule_key: IntArray
    need_mask: IntArray
    eldest: IntArray
    size: IntArray
    distance_units: IntArray  # units with a child who has a safeguarding distance
    unit_of_child: dict[str, int]
    apart_units: tuple[tuple[int, int], ...]
    sibling_contact_units: tuple[tuple[int, int], ...]
    # what co-placement reads: the sibling links (a sibling is not "unrelated") and the
    # policy's rules (risks, the kinds that take one unit at a time)
    links: tuple[SiblingLink, ...]
    policy: Policy
    # the sibling practice rules applied, as a round applies them (matching.practice_units)
    practice: PracticeUnits | None = None
    # the parts (in `_UNIT_READS` order) of each rule key number: what each rule reads
    rule_parts: tuple[tuple[object, ...], ...] = ()
    _features: dict[int, UnitFeatures] = field(default_factory=dict, repr=False)
    _co_placement: CoPlacement | None = field(default=None, repr=False)

    @property
    def co_placement_policy(self) -> CoPlacementPolicy:
        return self.policy.co_placement

    def co_placement(self) -> CoPlacement:
        """The units' co-placement restrictions in compact form (built on first use)."""
        if self._co_placement is None:
            self._co_placement = co_placement(
                self.unit_children, self.links, self.co_placement_policy
            )
        return self._co_placement

    def features(self, u: int) -> UnitFeatures:
        """The rules' features of unit u (computed on first use)."""
        f = self._features.get(u)
        if f is None:
            f = self._features[u] = UnitFeatures.from_children(
                self.unit_children[u], self.as_of, self.policy
            )
        return f


def _is_round_unit(children: Sequence[Child]) -> bool:
    # the same selection as matching.feasibility.build_instance (tested equal)
    return all(c.status == "waiting" and c.plan not in NOT_FAMILY_FOUND_PLANS for c in children)


def _rule_key(
    children: Sequence[Child], ages: Sequence[int], risks: Mapping[str, int]
) -> tuple[object, ...]:
    """What the typed rules declare they read of a unit, needs apart (see `matching.rules`)."""
    return tuple(part(children, ages, risks) for part in _UNIT_KEY)


def unit_table(
    authority: Authority,
    *,
    as_of: date,
    policy: Policy,
    pool: HouseholdPool | None = None,
    practice: PracticeUnits | None = None,
) -> UnitTable:
    """The waiting units of `authority` (as a round forms them) on `as_of`: the sibling
    practice rules applied first (`matching.practice_units`), as in a round. `pool` is
    the pool of the authority's households when the caller holds one; `practice` those
    rules already applied to `authority` on `as_of` under `policy`'s co-placement risks,
    when the caller has them (a round's instance, the fairness report)."""
    if practice is None:
        practice = practice_units(authority, as_of=as_of, policy=policy, pool=pool)
    risks = policy.co_placement.risk_levels()
    authority = practice.authority
    by_id = {c.child_id: c for c in authority.children}
    ages: dict[date, int] = {}  # by date of birth: far fewer dates than children
    priorities: dict[int, float] = {}
    keys: dict[tuple[object, ...], int] = {}
    units: list[RoundUnit] = []
    unit_children: list[tuple[Child, ...]] = []
    rule_key: list[int] = []
    need_mask: list[int] = []
    eldest: list[int] = []
    distance_units: list[int] = []
    unit_of_child: dict[str, int] = {}
    for unit_ids in sibling_units(by_id, authority.links):
        children = tuple(by_id[c] for c in unit_ids)
        if not _is_round_unit(children):
            continue
        unit_ages = []
        for c in children:
            age = ages.get(c.date_of_birth)
            if age is None:
                age = ages[c.date_of_birth] = c.age_on(as_of)
            unit_ages.append(age)
        days = max(days_waiting(c, as_of) for c in children)
        priority = priorities.get(days)
        if priority is None:
            priority = priorities[days] = priority_for_days(days, policy)
        u = len(units)
        units.append(RoundUnit(children=unit_ids, priority=priority))
        unit_children.append(children)
        rule_key.append(keys.setdefault(_rule_key(children, unit_ages, risks), len(keys)))
        need_mask.append(need_bits(code for c in children for code in c.needs))
        eldest.append(max(unit_ages))
        if any(c.min_distance_km is not None for c in children):
            distance_units.append(u)
        for child_id in unit_ids:
            unit_of_child[child_id] = u
    apart, contact = sibling_unit_pairs(units, authority.links)
    return UnitTable(
        as_of=as_of,
        units=tuple(units),
        unit_children=tuple(unit_children),
        rule_key=np.array(rule_key, dtype=np.int64),
        need_mask=np.array(need_mask, dtype=np.int64),
        eldest=np.array(eldest, dtype=np.int64),
        size=np.array([len(c) for c in unit_children], dtype=np.int64),
        distance_units=np.array(distance_units, dtype=np.int64),
        unit_of_child=unit_of_child,
        apart_units=apart,
        sibling_contact_units=contact,
        links=tuple(authority.links),
        policy=policy,
        practice=practice,
        rule_parts=tuple(keys),  # numbered in insertion order
    )


@dataclass(frozen=True)
class FeasibleGroups:
    """Feasible pairs of an authority as unit groups × household groups.

    Households are numbered as in `authority.households` (then any added ones).
    `group_of_household` puts every household that is feasible for some unit into a
    group (-1 otherwise); households of a group are feasible for exactly the same units.
    `lists` holds each distinct feasible group list once (sorted); unit i's is
    `lists[unit_list[i]]`.
    """

    units: tuple[RoundUnit, ...]
    unit_children: tuple[tuple[Child, ...], ...]
    households: tuple[RoundHousehold, ...]
    group_of_household: IntArray
    lists: tuple[IntArray, ...]
    unit_list: IntArray
    unit_type: IntArray  # rule-evaluation type of each unit
    n_unit_types: int
    n_household_types: int
    apart_units: tuple[tuple[int, int], ...]
    sibling_contact_units: tuple[tuple[int, int], ...]
    table: UnitTable = field(repr=False, compare=False)

    @property
    def co_placement(self) -> CoPlacement:
        """Who must not live with whom, in compact form (`matching.coplacement`)."""
        return self.table.co_placement()

    @cached_property
    def roomy_groups(self) -> BoolArray:
        """Groups with a household that can hold two units (two vacancies, no one-unit
        limit): the only ones where co-placement can bind."""
        roomy = np.zeros(self.n_groups, dtype=bool)
        able = np.array(
            [h.vacancies >= 2 and h.max_units != 1 for h in self.households], dtype=bool
        )
        grouped = (self.group_of_household >= 0) & able[: len(self.group_of_household)]
        roomy[self.group_of_household[grouped]] = True
        return roomy

    @cached_property
    def co_placement_units(self) -> tuple[tuple[int, int], ...]:
        """The co-placement pairs listed (units sharing a roomy group): only for an
        instance expanded to pairs; the engines on the groups read `co_placement`."""
        return self.co_placement.pairs_sharing(self.unit_groups, self.roomy_groups)

    @property
    def n_groups(self) -> int:
        return int(self.group_of_household.max()) + 1 if len(self.group_of_household) else 0

    @property
    def unit_groups(self) -> tuple[IntArray, ...]:
        """Each unit's feasible groups (units with one list share the array)."""
        return tuple(self.lists[i] for i in self.unit_list.tolist())

    def groups_of(self, u: int) -> IntArray:
        """Unit u's feasible groups."""
        return self.lists[int(self.unit_list[u])]

    def group_members(self) -> list[IntArray]:
        """Households of each group, ascending."""
        order = np.argsort(self.group_of_household, kind="stable")
        grouped = self.group_of_household[order]
        starts = np.searchsorted(grouped, np.arange(self.n_groups + 1))
        return [order[starts[g] : starts[g + 1]] for g in range(self.n_groups)]

    def group_totals(self, per_household: IntArray | None = None) -> IntArray:
        """Per group: its households, or the sum of `per_household` over them."""
        grouped = self.group_of_household >= 0
        groups = self.group_of_household[grouped]
        if per_household is None:
            return np.bincount(groups, minlength=self.n_groups).astype(np.int64)
        weights = per_household[grouped]
        return np.bincount(groups, weights=weights, minlength=self.n_groups).astype(np.int64)

    def n_pairs(self) -> int:
        """How many (unit, household) pairs the groups stand for."""
        sizes = self.group_totals()
        per_list = np.array([int(sizes[g].sum()) for g in self.lists], dtype=np.int64)
        return int(per_list[self.unit_list].sum()) if len(self.unit_list) else 0

    def instance(self) -> MatchingInstance:
        """The matching instance with every feasible pair (scores 0: not computed)."""
        members = self.group_members()
        pair_unit: list[IntArray] = []
        pair_household: list[IntArray] = []
        for u, groups in enumerate(self.unit_groups):
            if not len(groups):
                continue
            rows = np.sort(np.concatenate([members[g] for g in groups.tolist()]))
            pair_unit.append(np.full(len(rows), u, dtype=np.int64))
            pair_household.append(rows)

        def cat(parts: list[IntArray]) -> npt.NDArray[np.int32]:
            return (np.concatenate(parts) if parts else np.zeros(0, np.int64)).astype(np.int32)

        pu = cat(pair_unit)
        return MatchingInstance(
            units=self.units,
            households=self.households,
            pair_unit=pu,
            pair_household=cat(pair_household),
            pair_score=np.zeros(len(pu), dtype=np.float64),
            apart_units=self.apart_units,
            co_placement_units=self.co_placement_units,
            sibling_contact_units=self.sibling_contact_units,
        )


@dataclass(frozen=True)
class _Assessment:
    """Rows of one pool in groups, and the feasible groups of the assessed units."""

    group_of_row: IntArray  # -1: feasible for none of the units
    lists: list[IntArray]
    unit_list: IntArray  # per assessed unit
    unit_type: IntArray
    n_unit_types: int
    n_household_types: int


def _ranges(starts: IntArray, ends: IntArray) -> IntArray:
    """The concatenation of `range(starts[i], ends[i])` for every i."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)


def _group_lists(lists: Sequence[IntArray], starts: IntArray, ends: IntArray) -> list[IntArray]:
    """For each list `hs` of household types: its groups, the concatenated ranges
    `range(starts[h], ends[h])` for h in hs (most types are one group, some none)."""
    count = ends - starts
    several = count > 1
    out = []
    for hs in lists:
        if several[hs].any():
            out.append(_ranges(starts[hs], ends[hs]))
        else:
            out.append(starts[hs[count[hs] == 1]])
    return out


def _assess(table: UnitTable, pool: HouseholdPool, units: IntArray) -> _Assessment:
    """Evaluate the rules for `units` (indices into `table`) against every row of `pool`."""
    n_c = pool.size
    if n_c == 0 or len(units) == 0:
        none = np.zeros(len(units), dtype=np.int64)
        return _Assessment(np.full(n_c, -1, np.int64), [none[:0]], none, none, 0, 0)
    # needs some unit has and some household refuses: the only ones that separate
    refused = int(np.bitwise_or.reduce(pool.will_not_consider))
    refused &= int(np.bitwise_or.reduce(table.need_mask[units]))
    max_age = int(table.eldest[units].max())
    max_size = int(table.size[units].max())

    htype, first = household_types(pool, eldest=max_age, largest=max_size, refused=refused)
    n_htypes = len(first)
    reps = pool.take(first)

    # --- unit rule types, each evaluated once against the representatives
    type_code = (table.rule_key[units] << _NEED_BITS) | (table.need_mask[units] & refused)
    _, type_first, unit_type = np.unique(type_code, return_index=True, return_inverse=True)
    unit_type = unit_type.ravel().astype(np.int64)
    n_types = len(type_first)
    # Each rule's answer depends only on the parts of the type it declares it reads
    # (the needs restricted to `refused`; tests/matching/test_rule_reads.py checks the
    # declarations), so it is computed once per distinct value of those parts and shared
    # by every type with that value: nationally about 2,200 unit features and a few
    # thousand rule calls instead of 10,000 and 70,000.
    answers: dict[tuple[object, ...], BoolArray] = {}
    feasible_htypes: list[IntArray] = []
    for rep in units[type_first].tolist():
        parts = table.rule_parts[int(table.rule_key[rep])]
        needs = int(table.need_mask[rep]) & refused
        excluded = np.zeros(n_htypes, dtype=bool)
        for name, read, with_needs in _RULE_PARTS:
            key = (name, needs if with_needs else 0, *(parts[i] for i in read))
            answer = answers.get(key)
            if answer is None:
                answer = answers[key] = HARD_RULES[name](table.features(rep), reps)
            excluded |= answer
        feasible_htypes.append(np.flatnonzero(~excluded).astype(np.int64))

    # --- per-unit exceptions (positions in `units`): safeguarding distance, connected
    position = {u: i for i, u in enumerate(units.tolist())}
    # Distances only to the households the unit's type accepts: within one household
    # type the others are infeasible for the unit whatever their distance, so leaving
    # them out keeps every group exact (and at local-authority scale most households are
    # near most birth-family homes).
    by_htype = np.argsort(htype, kind="stable")
    htype_start = np.searchsorted(htype[by_htype], np.arange(n_htypes), side="left")
    htype_end = np.searchsorted(htype[by_htype], np.arange(n_htypes), side="right")
    distance_excluded: dict[int, IntArray] = {}
    for u in table.distance_units.tolist():
        i = position.get(u)
        if i is not None:
            hs = feasible_htypes[unit_type[i]]
            accepted = np.sort(by_htype[_ranges(htype_start[hs], htype_end[hs])])
            rows = too_near(table.features(u), pool, accepted)
            if len(rows):
                distance_excluded[i] = rows
    connected_pairs: dict[int, IntArray] = {}
    linked_units = {table.unit_of_child.get(c, -1) for c in pool.connected_child_ids()}
    for u in sorted(linked_units - {-1}):
        i = position.get(u)
        if i is None:
            continue
        children = table.unit_children[u]
        rows = pool.connected_rows(children[0].child_id)
        for child in children[1:]:
            if not len(rows):
                break
            rows = np.intersect1d(rows, pool.connected_rows(child.child_id))
        if len(rows):
            ok = feasible_htypes[unit_type[i]]
            at = np.minimum(np.searchsorted(ok, htype[rows]), max(len(ok) - 1, 0))
            rows = rows[ok[at] == htype[rows]] if len(ok) else rows[:0]
            if i in distance_excluded and len(rows):
                rows = rows[~np.isin(rows, distance_excluded[i])]
            if len(rows):
                # connected_rows are ascending and distinct, and intersecting and masking
                # keep them so
                connected_pairs[i] = rows

    # --- groups: non-connected households by (rule type, units excluding them by
    # distance); each connected household feasible for some unit on its own
    group_key = np.stack(
        [np.where(pool.is_connected, -1, htype), np.zeros(n_c, np.int64)], axis=1
    ).astype(np.int64)
    # partition refinement: per distance unit, the households it excludes move to fresh
    # classes, so two households end in one class exactly when the same units exclude them
    classes = np.zeros(n_c, dtype=np.int64)
    fresh = 1
    for rows in distance_excluded.values():
        distinct, inverse = np.unique(classes[rows], return_inverse=True)
        classes[rows] = fresh + inverse.ravel()
        fresh += len(distinct)
    group_key[:, 1] = classes
    for rows in connected_pairs.values():
        group_key[rows, 1] = -1 - rows  # a group of its own
    use = ~pool.is_connected
    for rows in connected_pairs.values():
        use[rows] = True
    group = np.full(n_c, -1, dtype=np.int64)
    # unique sorts the keys: connected groups (htype -1) first, then the plain ones by
    # household type, so each type's groups are one contiguous range
    _, g_first, inverse = np.unique(group_key[use], axis=0, return_index=True, return_inverse=True)
    group[use] = inverse.ravel()
    used_rows = np.flatnonzero(use)
    group_htype = htype[used_rows[g_first]]
    group_connected = pool.is_connected[used_rows[g_first]]
    n_groups = len(group_htype)
    n_connected = int(group_connected.sum())
    plain_htype = group_htype[n_connected:]
    type_start = n_connected + np.searchsorted(plain_htype, np.arange(n_htypes), side="left")
    type_end = n_connected + np.searchsorted(plain_htype, np.arange(n_htypes), side="right")
    plain_by_type = _group_lists(feasible_htypes, type_start, type_end)

    # Most units use their type's groups as they are (one shared array per type); only
    # units with a distance or connected exception get an array of their own. A scratch
    # mask marks excluded groups (no sorting set operations per unit).
    own: dict[int, IntArray] = {}
    scratch = np.zeros(n_groups, dtype=bool)
    for i in sorted(set(distance_excluded) | set(connected_pairs)):
        groups = plain_by_type[unit_type[i]]
        if i in distance_excluded:
            # every member of a group shares the units excluding it by distance
            rows = distance_excluded[i]
            gone = group[rows[~pool.is_connected[rows]]]
            scratch[gone] = True
            groups = groups[~scratch[groups]]
            scratch[gone] = False
        if i in connected_pairs:
            # connected households are groups of their own, never in a type's list
            groups = np.sort(np.concatenate([groups, group[connected_pairs[i]]]))
        own[i] = groups

    # groups feasible for no unit are dropped, so every group stands for real pairs
    reachable = np.zeros(n_groups, dtype=bool)
    plain_used = np.zeros(n_types, dtype=bool)
    plain_used[unit_type] = True
    if own:
        # a type may be used only by units with their own list
        own_units = np.fromiter(own, dtype=np.int64, count=len(own))
        counts = np.bincount(unit_type, minlength=n_types)
        counts -= np.bincount(unit_type[own_units], minlength=n_types)
        plain_used = counts > 0
    for t in np.flatnonzero(plain_used).tolist():
        reachable[plain_by_type[t]] = True
    for groups in own.values():
        reachable[groups] = True
    renumber = np.cumsum(reachable) - 1
    kept = group >= 0
    kept[kept] = reachable[group[kept]]
    group = np.where(kept, renumber[np.where(kept, group, 0)] if n_groups else -1, -1)

    # each distinct list once: types with equal lists share it (fewer flow classes)
    lists: list[IntArray] = []
    by_content: dict[bytes, int] = {}

    every_group = bool(reachable.all())  # then the renumbering is the identity

    def intern(groups: IntArray) -> int:
        groups = groups if every_group else renumber[groups]
        key = groups.tobytes()
        at = by_content.get(key)
        if at is None:
            at = by_content[key] = len(lists)
            lists.append(groups)
        return at

    type_list = np.full(n_types, -1, dtype=np.int64)
    for t in np.flatnonzero(plain_used).tolist():
        type_list[t] = intern(plain_by_type[t])
    unit_list = type_list[unit_type]
    for i, groups in own.items():
        unit_list[i] = intern(groups)
    return _Assessment(
        group_of_row=group.astype(np.int64),
        lists=lists,
        unit_list=unit_list,
        unit_type=unit_type,
        n_unit_types=n_types,
        n_household_types=n_htypes,
    )


def _candidates(households: Sequence[Household]) -> IntArray:
    return np.array(
        [i for i, h in enumerate(households) if h.status == "available" and h.vacancies > 0],
        dtype=np.int64,
    )


def feasible_groups(
    authority: Authority,
    *,
    as_of: date,
    policy: Policy,
    table: UnitTable | None = None,
    pool: HouseholdPool | None = None,
    practice: PracticeUnits | None = None,
) -> FeasibleGroups:
    """The feasible pairs of `authority` on `as_of`, grouped into types (see module doc).

    Requires `policy.min_round_score == 0` (no pair is dropped for its score). `table`
    is the authority's units when the caller has already prepared them; `pool` the pool
    of all its households (row i = `authority.households[i]`, as a service's snapshot
    holds it), from which the candidates are sliced instead of built again; `practice`
    the sibling practice rules already applied (see `unit_table`).
    """
    if policy.min_round_score > 0:
        raise ValueError("typed feasibility ignores scores: min_round_score must be 0")
    households = authority.households
    if pool is not None and pool.ids != tuple(h.household_id for h in households):
        raise ValueError("the pool given is not the pool of the authority's households")
    if table is None:
        table = unit_table(authority, as_of=as_of, policy=policy, pool=pool, practice=practice)
    if pool is None:
        candidates = _candidates(households)
        candidate_pool = HouseholdPool.from_households(households[i] for i in candidates.tolist())
    else:
        # the same selection as `_candidates`, on the pool's columns
        candidates = np.flatnonzero(pool.available & (pool.vacancies > 0)).astype(np.int64)
        candidate_pool = pool.take(candidates)
    assessed = _assess(table, candidate_pool, np.arange(len(table.units), dtype=np.int64))
    group_of_household = np.full(len(households), -1, dtype=np.int64)
    group_of_household[candidates] = assessed.group_of_row
    rounded = round_households(households, table.policy)
    lists, unit_list = assessed.lists, assessed.unit_list
    if table.practice is not None and table.practice.reunions:
        lists, unit_list = _matched_first(table, households, group_of_household, lists, unit_list)
    return FeasibleGroups(
        units=table.units,
        unit_children=table.unit_children,
        households=rounded,
        group_of_household=group_of_household,
        lists=tuple(lists),
        unit_list=unit_list,
        unit_type=assessed.unit_type,
        n_unit_types=assessed.n_unit_types,
        n_household_types=assessed.n_household_types,
        apart_units=table.apart_units,
        sibling_contact_units=table.sibling_contact_units,
        table=table,
    )


def _matched_first(
    table: UnitTable,
    households: Sequence[Household],
    group_of_household: IntArray,
    lists: list[IntArray],
    unit_list: IntArray,
) -> tuple[list[IntArray], IntArray]:
    """Each reunion unit offered only its placed siblings' household (when feasible), as
    `matching.feasibility.build_instance` does: that household becomes a group of its
    own (in every list its group was in), and the unit's list is that group alone.
    `group_of_household` is updated in place."""
    assert table.practice is not None
    row_of = {h.household_id: i for i, h in enumerate(households)}
    unit_of = {unit.children: u for u, unit in enumerate(table.units)}
    lists = list(lists)
    unit_list = unit_list.copy()
    for children, home in table.practice.reunion_homes().items():
        u, h = unit_of.get(children), row_of.get(home)
        if u is None or h is None:
            continue
        g = int(group_of_household[h])
        if g < 0 or g not in set(lists[int(unit_list[u])].tolist()):
            continue
        if int(np.count_nonzero(group_of_household == g)) > 1:
            new = int(group_of_household.max()) + 1  # after every group: lists stay sorted
            group_of_household[h] = new
            lists = [
                np.append(groups, new) if g in set(groups.tolist()) else groups for groups in lists
            ]
            g = new
        unit_list[u] = len(lists)
        lists.append(np.array([g], dtype=np.int64))
    return lists, unit_list


def _matched_first_units(base: FeasibleGroups) -> set[int]:
    """The units `_matched_first` restricted to their placed siblings' household."""
    practice = base.table.practice
    if practice is None or not practice.reunions:
        return set()
    row_of = {h.household_id: i for i, h in enumerate(base.households)}
    unit_of = {unit.children: u for u, unit in enumerate(base.units)}
    found = set()
    for children, home in practice.reunion_homes().items():
        u, h = unit_of.get(children), row_of.get(home)
        if u is None or h is None or base.group_of_household[h] < 0:
            continue
        if base.groups_of(u).tolist() == [int(base.group_of_household[h])]:
            found.add(u)
    return found


def with_households(
    base: FeasibleGroups, households: Sequence[Household], units: IntArray | None = None
) -> FeasibleGroups:
    """`base` with `households` appended, evaluated for `units` (default: every unit).

    The rules are per pair, so the new households' pairs are those they would have in
    the combined authority; units left out of `units` get no pair with them. The new
    households form groups of their own, after `base`'s.
    """
    table = base.table
    chosen = np.arange(len(base.units), dtype=np.int64) if units is None else units
    first = _matched_first_units(base)
    if first:
        # a unit matched first to its siblings' household is offered no other
        chosen = chosen[~np.isin(chosen, sorted(first))]
    candidates = _candidates(households)
    pool = HouseholdPool.from_households(households[i] for i in candidates.tolist())
    assessed = _assess(table, pool, chosen)
    offset = base.n_groups
    extra = np.full(len(households), -1, dtype=np.int64)
    extra[candidates] = np.where(assessed.group_of_row >= 0, assessed.group_of_row + offset, -1)
    lists = list(base.lists)
    unit_list = base.unit_list.copy()
    merged: dict[tuple[int, int], int] = {}  # (base list, new list) -> combined list
    for u, new in zip(chosen.tolist(), assessed.unit_list.tolist(), strict=True):
        if not len(assessed.lists[new]):
            continue
        key = (int(unit_list[u]), new)
        at = merged.get(key)
        if at is None:
            # the new groups are numbered after every base group: still sorted
            at = merged[key] = len(lists)
            lists.append(np.concatenate([base.lists[key[0]], assessed.lists[new] + offset]))
        unit_list[u] = at
    return FeasibleGroups(
        units=base.units,
        unit_children=base.unit_children,
        households=base.households + round_households(households, table.policy),
        group_of_household=np.concatenate([base.group_of_household, extra]),
        lists=tuple(lists),
        unit_list=unit_list,
        unit_type=base.unit_type,
        n_unit_types=base.n_unit_types,
        n_household_types=base.n_household_types + assessed.n_household_types,
        apart_units=base.apart_units,
        sibling_contact_units=base.sibling_contact_units,
        table=table,
    )
