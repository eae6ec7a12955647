"""Hard-rule feasibility of a whole authority, evaluated on types instead of pairs.

Placeability depends only on which (unit, household) pairs pass the hard rules (and the
policy's `min_round_score`; this module is used only when that is 0, so no score is
needed). Most units and households are interchangeable for the rules, so the rules are
evaluated once per *unit type* against a pool of *household type* representatives, with
the rule functions of `matching.rules` (no second implementation):

* household types group the candidate households (available, with a vacancy) by every
  column a rule reads except location and connected children: kind (term for foster
  carers only), approved ages, capacity, will-not-consider needs (restricted to needs
  some waiting child has), smoker, pets, wheelchair access and the ages of children in
  the home; ages are clipped to the range the waiting units can tell apart, so two
  households are typed together exactly when no waiting unit's rules separate them;
* unit types group the waiting units by everything a rule reads of them: plans, youngest
  and eldest age, size, needs refused by some household, and the requirements with the
  ages they apply to.

The two rules that are not functions of these types are applied per item:
`connected_to_child` (a connected household serves only units all of whose children it
is connected to: its pairs come from the pool's connected-children index) and
`safeguarding_distance` (run per unit that has a minimum distance, against the candidate
pool). The result (`TypedFeasibility`) gives, for every unit, its feasible households
as a union of household groups; `pairs()` expands it into the exact pair list that
`matching.feasibility.build_instance` would emit (tested to be equal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from matching.domain import Authority, Child
from matching.feasibility import sibling_unit_pairs, unit_priority
from matching.instance import MatchingInstance, RoundHousehold, RoundUnit
from matching.policy import Policy
from matching.pool import HouseholdPool
from matching.rules import HARD_RULES, UnitFeatures, safeguarding_distance
from matching.siblings import sibling_units
from matching.vocab import NOT_FAMILY_FOUND_PLANS

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Rules evaluated type against type; the other two are applied per item (see above).
TYPED_RULES = tuple(
    name for name in HARD_RULES if name not in ("connected_to_child", "safeguarding_distance")
)
_FOSTER = 0  # KIND_CODES["foster"]: the only kind whose term a rule reads


@dataclass(frozen=True)
class TypedFeasibility:
    """Feasible pairs of an authority as unit groups × household groups.

    Households are numbered as in `authority.households`. `group_of_household` puts every
    household that is feasible for some unit into a group (-1 otherwise); households of a
    group are feasible for exactly the same units. `unit_groups[i]` lists the groups
    feasible for unit i (sorted).
    """

    units: tuple[RoundUnit, ...]
    unit_children: tuple[tuple[Child, ...], ...]
    households: tuple[RoundHousehold, ...]
    group_of_household: IntArray
    unit_groups: tuple[IntArray, ...]
    unit_type: IntArray  # rule-evaluation type of each unit
    n_unit_types: int
    n_household_types: int
    apart_units: tuple[tuple[int, int], ...]
    sibling_contact_units: tuple[tuple[int, int], ...]

    @property
    def n_groups(self) -> int:
        return int(self.group_of_household.max()) + 1 if len(self.group_of_household) else 0

    def group_members(self) -> list[IntArray]:
        """Households of each group, ascending."""
        order = np.argsort(self.group_of_household, kind="stable")
        grouped = self.group_of_household[order]
        starts = np.searchsorted(grouped, np.arange(self.n_groups + 1))
        return [order[starts[g] : starts[g + 1]] for g in range(self.n_groups)]

    def n_pairs(self) -> int:
        """How many (unit, household) pairs the groups stand for."""
        sizes = np.bincount(
            self.group_of_household[self.group_of_household >= 0], minlength=self.n_groups
        )
        # units of a rule type share one array: sum each distinct array once
        per_array: dict[int, int] = {}
        total = 0
        for groups in self.unit_groups:
            n = per_array.get(id(groups))
            if n is None:
                n = per_array[id(groups)] = int(sizes[groups].sum())
            total += n
        return total

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
            sibling_contact_units=self.sibling_contact_units,
        )


def _is_round_unit(children: list[Child]) -> bool:
    # the same selection as matching.feasibility.build_instance (tested equal)
    return all(c.status == "waiting" and c.plan not in NOT_FAMILY_FOUND_PLANS for c in children)


def _unit_key(f: UnitFeatures, refused_needs: int) -> tuple[object, ...]:
    reqs = f.requirements
    young = f.ages_with("no_younger_children") if "no_younger_children" in reqs else []
    old = f.ages_with("no_older_children") if "no_older_children" in reqs else []
    return (
        tuple(sorted(f.plans)),
        f.min_age,
        f.max_age,
        f.size,
        f.need_mask & refused_needs,
        "no_smokers" in reqs,
        "no_pets" in reqs,
        max(young) if young else -1,
        min(old) if old else -1,
        "no_other_children" in reqs,
        "wheelchair_access" in reqs,
    )


UnitCache = dict[tuple[str, ...], tuple[tuple[Child, ...], UnitFeatures, RoundUnit]]


def typed_feasibility(
    authority: Authority, *, as_of: date, policy: Policy, cache: UnitCache | None = None
) -> TypedFeasibility:
    """The feasible pairs of `authority` on `as_of`, grouped into types (see module doc).

    Requires `policy.min_round_score == 0` (no pair is dropped for its score). `cache`
    (kept by the caller for one `as_of` and `policy`) reuses each unit's features and
    priority across calls over the same children, e.g. with hypothetical households.
    """
    if policy.min_round_score > 0:
        raise ValueError("typed feasibility ignores scores: min_round_score must be 0")
    by_id = {c.child_id: c for c in authority.children}
    units: list[RoundUnit] = []
    unit_children: list[tuple[Child, ...]] = []
    features: list[UnitFeatures] = []
    for unit_ids in sibling_units(by_id, authority.links):
        children = tuple(by_id[c] for c in unit_ids)
        hit = cache.get(unit_ids) if cache is not None else None
        if hit is not None and all(a is b for a, b in zip(hit[0], children, strict=True)):
            features.append(hit[1])
            unit_children.append(children)
            units.append(hit[2])
            continue
        if not _is_round_unit(list(children)):
            continue
        f = UnitFeatures.from_children(children, as_of)
        unit = RoundUnit(children=unit_ids, priority=unit_priority(children, as_of, policy))
        features.append(f)
        unit_children.append(children)
        units.append(unit)
        if cache is not None:
            cache[unit_ids] = (children, f, unit)
    n_units = len(units)
    households = authority.households
    round_households = tuple(
        RoundHousehold(h.household_id, h.vacancies, h.lat, h.lon) for h in households
    )
    candidates = np.array(
        [i for i, h in enumerate(households) if h.status == "available" and h.vacancies > 0],
        dtype=np.int64,
    )
    pool = HouseholdPool.from_households(households[i] for i in candidates)
    n_c = pool.size

    # --- household rule types: columns clipped to what the waiting units can tell apart
    max_age = max((f.max_age for f in features), default=0)
    max_size = max((f.size for f in features), default=1)
    refused = 0
    for f in features:
        refused |= f.need_mask
    columns = np.stack(
        [
            pool.kind.astype(np.int64),
            np.where(pool.kind == _FOSTER, pool.term, 0).astype(np.int64),
            np.clip(pool.min_age, 0, max_age + 1).astype(np.int64),
            np.clip(pool.max_age, -1, max_age).astype(np.int64),
            np.clip(pool.capacity, 0, max_size).astype(np.int64),
            pool.will_not_consider & refused,
            pool.smoker.astype(np.int64),
            pool.pets.astype(np.int64),
            pool.wheelchair.astype(np.int64),
            pool.has_children.astype(np.int64),
            np.clip(pool.home_min_age, 0, max_age).astype(np.int64),
            np.clip(pool.home_max_age, 0, max_age).astype(np.int64),
        ],
        axis=1,
    )
    if n_c:
        _, first, htype = np.unique(columns, axis=0, return_index=True, return_inverse=True)
        htype = htype.ravel().astype(np.int64)
    else:
        first, htype = np.zeros(0, np.int64), np.zeros(0, np.int64)
    n_htypes = len(first)
    reps = HouseholdPool.from_households(pool.households[i] for i in first.tolist())

    # --- unit rule types, each evaluated once against the representatives
    keys: dict[tuple[object, ...], int] = {}
    unit_type = np.empty(n_units, dtype=np.int64)
    type_rep: list[int] = []
    for u, f in enumerate(features):
        key = _unit_key(f, refused)
        t = keys.get(key)
        if t is None:
            t = keys[key] = len(type_rep)
            type_rep.append(u)
        unit_type[u] = t
    feasible_htypes: list[IntArray] = []
    for u in type_rep:
        excluded = np.zeros(n_htypes, dtype=bool)
        for name in TYPED_RULES:
            excluded |= HARD_RULES[name](features[u], reps)
        feasible_htypes.append(np.flatnonzero(~excluded).astype(np.int64))
    type_ok = np.zeros((len(type_rep), n_htypes), dtype=bool)
    for t, hs in enumerate(feasible_htypes):
        type_ok[t, hs] = True

    # --- per-unit exceptions: safeguarding distance and connected households
    distance_excluded: dict[int, IntArray] = {}
    for u, f in enumerate(features):
        if any(c.min_distance_km is not None for c in f.children):
            rows = np.flatnonzero(safeguarding_distance(f, pool)).astype(np.int64)
            if len(rows):
                distance_excluded[u] = rows
    connected_pairs: dict[int, IntArray] = {}
    for u, f in enumerate(features):
        rows = pool.connected_rows(f.children[0].child_id)
        for child in f.children[1:]:
            if not len(rows):
                break
            rows = np.intersect1d(rows, pool.connected_rows(child.child_id))
        if len(rows):
            rows = rows[type_ok[unit_type[u], htype[rows]]]
            if u in distance_excluded:
                rows = np.setdiff1d(rows, distance_excluded[u])
            if len(rows):
                # connected_rows are ascending and distinct, and intersecting, masking
                # and setdiff keep them so
                connected_pairs[u] = rows

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
    if bool(use.any()):
        _, g_first, inverse = np.unique(
            group_key[use], axis=0, return_index=True, return_inverse=True
        )
        group[use] = inverse.ravel()
        used_rows = np.flatnonzero(use)
        group_htype = htype[used_rows[g_first]]
        group_connected = pool.is_connected[used_rows[g_first]]
    else:
        group_htype = np.zeros(0, np.int64)
        group_connected = np.zeros(0, bool)
    n_groups = len(group_htype)
    plain = np.flatnonzero(~group_connected)
    plain_htype = group_htype[plain]
    plain_by_type: list[IntArray] = [plain[type_ok[t, plain_htype]] for t in range(len(type_rep))]
    # Most units use their type's groups as they are (one shared array per type); only
    # units with a distance or connected exception get an array of their own. A scratch
    # mask marks excluded groups (no sorting set operations per unit).
    own: dict[int, IntArray] = {}
    scratch = np.zeros(n_groups, dtype=bool)
    for u in sorted(set(distance_excluded) | set(connected_pairs)):
        groups = plain_by_type[unit_type[u]]
        if u in distance_excluded:
            # every member of a group shares the units excluding it by distance
            rows = distance_excluded[u]
            gone = group[rows[~pool.is_connected[rows]]]
            scratch[gone] = True
            groups = groups[~scratch[groups]]
            scratch[gone] = False
        if u in connected_pairs:
            # connected households are groups of their own, never in a type's list
            groups = np.sort(np.concatenate([groups, group[connected_pairs[u]]]))
        own[u] = groups

    group_of_household = np.full(len(households), -1, dtype=np.int64)
    group_of_household[candidates] = group
    # groups feasible for no unit are dropped, so every group stands for real pairs
    reachable = np.zeros(n_groups, dtype=bool)
    plain_used = np.zeros(len(type_rep), dtype=bool)
    plain_used[unit_type[[u for u in range(n_units) if u not in own]]] = True
    for t in np.flatnonzero(plain_used).tolist():
        reachable[plain_by_type[t]] = True
    for groups in own.values():
        reachable[groups] = True
    renumber = np.cumsum(reachable) - 1
    in_group = group_of_household >= 0
    group_of_household[in_group] = np.where(
        reachable[group_of_household[in_group]], renumber[group_of_household[in_group]], -1
    )
    by_type = [renumber[g] for g in plain_by_type]
    own_renumbered = {u: renumber[g] for u, g in own.items()}
    unit_groups = [
        own_renumbered[u] if u in own_renumbered else by_type[unit_type[u]] for u in range(n_units)
    ]

    apart, contact = sibling_unit_pairs(units, authority.links)
    return TypedFeasibility(
        units=tuple(units),
        unit_children=tuple(unit_children),
        households=round_households,
        group_of_household=group_of_household.astype(np.int64),
        unit_groups=tuple(unit_groups),
        unit_type=unit_type,
        n_unit_types=len(type_rep),
        n_household_types=n_htypes,
        apart_units=apart,
        sibling_contact_units=contact,
    )


def with_households(base: TypedFeasibility, extra: TypedFeasibility) -> TypedFeasibility:
    """`base` with the households of `extra` appended as groups of their own.

    `extra` is the typed feasibility of (some of) the same children against other
    households only (e.g. hypothetical recruits); its units are matched to `base`'s by
    their children, and units of `extra` that are not units of `base` are ignored. The
    rules are per pair, so the result's pairs are those of the combined authority.
    """
    offset = base.n_groups
    index = {u.children: i for i, u in enumerate(base.units)}
    unit_groups = list(base.unit_groups)
    for e, unit in enumerate(extra.units):
        u = index.get(unit.children)
        groups = extra.unit_groups[e]
        if u is None or not len(groups):
            continue
        unit_groups[u] = np.concatenate([unit_groups[u], groups + offset])
    extra_groups = np.where(
        extra.group_of_household >= 0, extra.group_of_household + offset, -1
    ).astype(np.int64)
    return TypedFeasibility(
        units=base.units,
        unit_children=base.unit_children,
        households=base.households + extra.households,
        group_of_household=np.concatenate([base.group_of_household, extra_groups]),
        unit_groups=tuple(unit_groups),
        unit_type=base.unit_type,
        n_unit_types=base.n_unit_types,
        n_household_types=base.n_household_types + extra.n_household_types,
        apart_units=base.apart_units,
        sibling_contact_units=base.sibling_contact_units,
    )
