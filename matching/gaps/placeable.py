"""How many waiting children can today's pool place: the one placeability engine.

The question is the most children any allocation can place, where a unit (one child or
a sibling group) goes whole into one household, households hold at most their
vacancies (and adopters and FfA carers one unit), and units that must never share a
household (siblings assessed apart, children the co-placement rules keep apart) never
do. It is an allocate round with every score 0, and it is answered by the same kernel
(`matching.assignment`): `max_children_placed_on_pairs` runs `assign` on a pair list
(flow bounds, the flow/greedy fallback, CP-SAT `ComponentModel` per open component,
under the kernel's deterministic budget), so the report and a round count children the
same way and the report is the same on every run.

`max_children_placed` answers it on the feasible groups (`matching.gaps.grouped_feasibility`)
without listing pairs, which at national scale number in the hundreds of millions:

* unit *classes*: units sharing one feasible group list (most units share their rule
  type's list; units with a distance or connected exception have their own);
* an upper bound by max-flow (source → class, capacity its children; class → group;
  group → sink, capacity the group's vacancies) with the kernel's `class_max_flow`. A
  sibling group may be split by the flow, so with sibling groups or `apart` pairs it is
  only a bound; with single children only it is the answer (integral max-flow);
* sibling groups and `apart` units: when the components holding them are small enough
  to expand (`max_hard_pairs`), their pairs are listed and solved by
  `max_children_placed_on_pairs`; otherwise a greedy placement (largest groups first,
  best fit on households with the fewest vacancies left) is the lower bound and the
  flow the upper bound, and the result says it is a bound;
* single children outside those components: max-flow on the vacancies left, turned into
  households within each group (any filling of a group's vacancies is feasible);
* co-placement, read in compact form (`FeasibleGroups.co_placement`, never a pair list):
  restricted units that could share a household with room for two are placed with the
  sibling groups (greedy, or expanded with their component, whose pairs are then listed);
  the room left beside one is reached in the singles' flow only by the children every
  unit there allows. The upper bound does not know the rules, so where they bind the
  answer may be a bound pair;
* before solving the upper-bound flow, the single children's minimum cut is carried over
  to it (any set of groups gives a cut: the children of classes reaching outside it plus
  its vacancies); when that cut equals the placement found, the placement is proved
  optimal with one flow instead of two (the national case).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from matching.assignment.flow import class_max_flow
from matching.assignment.greedy import best_fit_allocation
from matching.assignment.plan import components, homes_of, kept_in_priority_order, partners
from matching.assignment.prepared import PreparedInstance, prepare
from matching.assignment.search import Budget, assign
from matching.coplacement import CoPlacement
from matching.gaps.grouped_feasibility import FeasibleGroups
from matching.instance import MatchingInstance

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Hard components (sibling groups / apart) are expanded to pairs and solved by the
# kernel up to this many pairs in total; above it their figure is a bound pair.
MAX_HARD_PAIRS = 200_000


@dataclass(frozen=True)
class Placeability:
    """The answer: how many waiting children can be placed, and which units cannot.

    `children_placeable` is achieved by a concrete placement (`homes`). When `exact`
    is true it is the maximum; otherwise `upper_bound` is a proven bound above it.
    """

    children_waiting: int
    children_placeable: int
    upper_bound: int
    exact: bool
    homes: IntArray  # household index per unit (instance order), -1 when not placed
    feasible_households: IntArray  # per unit: how many households could take it
    method: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def children_unplaceable(self) -> int:
        return self.children_waiting - self.children_placeable

    @property
    def placed(self) -> BoolArray:
        return self.homes >= 0

    @property
    def unplaced_units(self) -> list[int]:
        return [int(i) for i in np.flatnonzero(~self.placed)]


def max_children_placed_on_pairs(
    instance: MatchingInstance, *, time_limit_s: float = 10.0, plan: IntArray | None = None
) -> Placeability:
    """The most children the pairs of `instance` can place, by the assignment kernel.

    Scores are ignored (every pair weighs 0, so the objective is the children placed)
    and so is sibling contact. `plan` (a household index per unit, -1 for none) is a
    placement known to the caller: its feasible part (pairs that exist, within
    vacancies, never-together pairs apart, conflicts settled in priority order) is a
    starting plan, kept on a tie. `time_limit_s` becomes the kernel's deterministic
    budget, so the answer is the same on every run; it is `exact` when the plan meets
    the bound the kernel proves.
    """
    started = time.perf_counter()
    zero = dataclasses.replace(
        instance,
        pair_score=np.zeros(instance.n_pairs),
        sibling_contact_units=(),
        pair_tier=np.zeros(0, np.int64),  # tiers order households, never the count
    )
    prep = prepare(zero, allocate=True)
    # the caller's plan, or else the best-fit placement (sibling groups largest first),
    # starts the search: with every score 0 the fallback candidates tie often, and the
    # start wins a tie
    if plan is not None:
        start = _pairs_of_plan(prep, np.asarray(plan, dtype=np.int64))
    else:
        start = best_fit_allocation(prep)
    found = assign(prep, Budget.for_time_limit(time_limit_s, started=started), start=start)
    homes = homes_of(prep, found.chosen)
    placed = int(prep.size[homes >= 0].sum())
    bound = max(found.bound[0], placed)
    exact = placed == bound
    notes = () if exact else (f"placed {placed} children, at most {bound} placeable",)
    n_comp = components(
        prep.n_units, prep.n_households, prep.pair_unit, prep.pair_household, prep.never_together
    )[0]
    method = (
        f"feasibility graph of {prep.n_units} units, {prep.n_households} households and "
        f"{prep.n_pairs} feasible pairs in {n_comp} connected components, solved by the "
        "assignment kernel with every score 0 (most children placed): min-cost flow bound "
        "and fallback, OR-Tools CP-SAT on the components with sibling groups or 'apart' "
        "pairs that the fallback does not prove, within a deterministic budget; "
        + ("exact" if exact else f"not proven optimal, upper bound {bound}")
    )
    return Placeability(
        children_waiting=int(prep.size.sum()),
        children_placeable=placed,
        upper_bound=bound,
        exact=exact,
        homes=homes,
        feasible_households=np.diff(prep.unit_start).astype(np.int64),
        method=method,
        notes=notes,
    )


def _pairs_of_plan(prep: PreparedInstance, plan: IntArray) -> IntArray:
    """A caller's plan (household per unit) as pair indices: its feasible part only."""
    n_u, n_h = prep.n_units, prep.n_households
    homes = np.full(n_u, -1, dtype=np.int64)
    planned = np.flatnonzero((plan[:n_u] >= 0) & (plan[:n_u] < n_h))
    key = prep.pair_unit * max(n_h, 1) + prep.pair_household
    order = np.argsort(key, kind="stable")
    want = planned * max(n_h, 1) + plan[planned]
    at = np.minimum(np.searchsorted(key[order], want), max(len(key) - 1, 0))
    found = (key[order][at] == want) if len(key) else np.zeros(len(want), dtype=bool)
    homes[planned[found]] = plan[planned[found]]
    kept = kept_in_priority_order(
        homes, prep.size, prep.vacancies, prep.priority, prep.never_together, prep.unit_limit
    )
    chosen = np.full(n_u, -1, dtype=np.int64)
    placed = np.flatnonzero(kept >= 0)
    want = placed * max(n_h, 1) + kept[placed]
    chosen[placed] = order[np.searchsorted(key[order], want)]
    return chosen


class _Classes:
    """Units grouped by their feasible group list, with the class → group arcs."""

    def __init__(self, tf: FeasibleGroups, units: IntArray) -> None:
        # the typed graph holds each distinct list once (see typed.py): a class is a list,
        # numbered in order of first appearance among `units` (a stable flow input)
        used, first, of_unit = np.unique(
            tf.unit_list[units], return_index=True, return_inverse=True
        )
        order = np.argsort(first, kind="stable")
        rank = np.empty(len(used), dtype=np.int64)
        rank[order] = np.arange(len(used), dtype=np.int64)
        used = used[order]
        self.of_unit = rank[of_unit.ravel()]
        self.lists = [tf.lists[i] for i in used.tolist()]

    @cached_property
    def arc_class(self) -> IntArray:
        """Class of each class → group arc (arcs listed class by class)."""
        lengths = np.array([len(g) for g in self.lists], dtype=np.int64)
        return np.repeat(np.arange(len(self.lists), dtype=np.int64), lengths)

    @cached_property
    def arc_group(self) -> IntArray:
        """Group of each class → group arc."""
        if not self.lists:
            return np.zeros(0, np.int64)
        return np.concatenate(self.lists).astype(np.int64, copy=False)

    @property
    def n_arcs(self) -> int:
        return sum(len(g) for g in self.lists)

    def sums(self, per_group: IntArray) -> IntArray:
        """For each class, the sum of `per_group` over its groups."""
        return np.array([int(per_group[g].sum()) for g in self.lists], dtype=np.int64)

    @property
    def n(self) -> int:
        return len(self.lists)


def max_children_placed(
    tf: FeasibleGroups,
    *,
    time_limit_s: float = 10.0,
    max_hard_pairs: int = MAX_HARD_PAIRS,
    plan: IntArray | None = None,
) -> Placeability:
    """The most children today's pool can place, from the typed graph (no pair list).

    Same answer as `max_children_placed_on_pairs(tf.instance())` when the sibling /
    apart components have at most `max_hard_pairs` pairs (they are then solved by that
    function on their own pairs); otherwise the placement found is a lower bound and
    `upper_bound` the flow bound, and `method` says so. `plan` (a household per unit,
    -1 for none) is a placement known to the caller; its feasible part is a lower bound,
    as in `max_children_placed_on_pairs`.
    """
    n_u = len(tf.units)
    sizes = np.array([u.size for u in tf.units], dtype=np.int64)
    priority = np.array([u.priority for u in tf.units], dtype=np.float64)
    vacancies = np.array([max(h.vacancies, 0) for h in tf.households], dtype=np.int64)
    # most units a household takes (adopters, FfA carers: one at a time)
    unit_limit = np.array(
        [h.vacancies if h.max_units is None else h.max_units for h in tf.households],
        dtype=np.int64,
    )
    unit_limit = np.minimum(np.maximum(unit_limit, 0), vacancies)
    members = tf.group_members()
    n_g = len(members)
    group_size = tf.group_totals()
    homes = np.full(n_u, -1, dtype=np.int64)
    all_units = np.arange(n_u, dtype=np.int64)
    classes = _Classes(tf, all_units)
    degree = classes.sums(group_size)[classes.of_unit] if n_u else np.zeros(0, np.int64)
    waiting = int(sizes.sum())
    if n_u == 0:
        return Placeability(0, 0, 0, True, homes, degree, "no waiting units")

    in_apart = np.zeros(n_u, dtype=bool)
    for a, b in tf.apart_units:
        in_apart[a] = in_apart[b] = True
    # co-placement binds only where a restricted unit may go to a household with room
    # for two units: those restricted units are placed like sibling groups, and no
    # single child joins them (`_with_singles`), so the pairs are never listed
    co = tf.co_placement
    restricted = np.zeros(n_u, dtype=bool)
    restricted[co.restricted] = True
    roomy_list = np.array([bool(tf.roomy_groups[g].any()) for g in tf.lists], dtype=bool)
    restricted &= roomy_list[tf.unit_list] if len(tf.lists) else False
    constrained = ((sizes > 1) | in_apart | restricted) & (degree > 0)
    if int(degree[constrained].sum()) > max_hard_pairs:
        # too many pairs to expand whatever the components: skip computing them
        hard = constrained
        group_hard: BoolArray = np.zeros(n_g, dtype=bool)
    else:
        # components over classes and groups (= over units and households)
        n_comp, class_label, group_label = components(
            classes.n, n_g, classes.arc_class, classes.arc_group
        )
        comp_of_unit = class_label[classes.of_unit]
        hard_comp = np.zeros(n_comp, dtype=bool)
        hard_comp[comp_of_unit[constrained]] = True
        hard = hard_comp[comp_of_unit] & (degree > 0)
        group_hard = hard_comp[group_label]

    # upper bound: one flow over everything (children as flow), computed only when the
    # placement found does not already place every waiting child
    # a household holds at most its vacancies, and at most its limit of units each no
    # larger than the largest unit that may go there (a valid bound either way)
    class_big = np.zeros(classes.n, dtype=np.int64)
    np.maximum.at(class_big, classes.of_unit, sizes)
    group_big = np.zeros(n_g, dtype=np.int64)
    np.maximum.at(group_big, classes.arc_group, class_big[classes.arc_class])
    grouped = tf.group_of_household >= 0
    capacity = vacancies.copy()
    capacity[grouped] = np.minimum(
        vacancies[grouped], unit_limit[grouped] * group_big[tf.group_of_household[grouped]]
    )
    group_vac = tf.group_totals(capacity)
    class_children = np.bincount(classes.of_unit, weights=sizes, minlength=classes.n).astype(
        np.int64
    )

    def flow_bound() -> int:
        value, _, _ = class_max_flow(
            class_children, classes.arc_class, classes.arc_group, group_vac, arc_flows=False
        )
        return value

    def cut_bound(in_cut: BoolArray) -> int:
        # Any set X of groups gives a cut of that flow: the children of every class with
        # a group outside X, plus the vacancies of X. The single children's minimum cut
        # usually makes it equal to the placement found, which proves it optimal
        # without solving the larger flow.
        outside = classes.sums((~in_cut).astype(np.int64)) > 0
        return int(class_children[outside].sum() + group_vac[in_cut].sum())

    n_arcs = classes.n_arcs

    notes: list[str] = []
    exact = True
    hard_units = np.flatnonzero(hard)
    hard_pairs = int(degree[hard_units].sum())
    remaining = vacancies.copy()
    hard_how = ""
    hard_bound = 0
    expand = len(hard_units) > 0 and hard_pairs <= max_hard_pairs
    if expand:
        sub, households = _sub_instance(tf, hard_units, members, group_hard)
        sub_plan = None
        if plan is not None:
            local = np.full(len(tf.households) + 1, -1, dtype=np.int64)
            local[households] = np.arange(len(households))
            sub_plan = local[np.where(plan[hard_units] >= 0, plan[hard_units], -1)]
        result = max_children_placed_on_pairs(sub, time_limit_s=time_limit_s, plan=sub_plan)
        placed_sub = result.homes >= 0
        homes[hard_units[placed_sub]] = households[result.homes[placed_sub]]
        exact = result.exact
        notes.extend(result.notes)
        hard_bound = result.upper_bound
        hard_how = (
            f"{len(hard_units)} units in components with sibling groups or 'apart' pairs "
            f"expanded to their {hard_pairs} pairs and solved by the assignment kernel ("
            f"{result.method})"
        )
    elif len(hard_units):
        hard_how = (
            f"{len(hard_units)} units in sibling groups or 'apart' pairs "
            f"({hard_pairs} pairs, too many to expand): greedy placement (largest groups "
            "first, best fit, or the caller's plan when better) as lower bound, the max-flow "
            "relaxation (groups may split) or a cut of it as upper bound"
        )
    skip = hard & expand  # solved above, single children included
    found: list[tuple[IntArray, int, BoolArray | None]] = []
    if plan is not None and len(hard_units) and not expand:
        checked = _checked_plan(
            tf, np.asarray(plan, dtype=np.int64), sizes, vacancies, priority, unit_limit
        )
        found.append(
            _with_singles(
                tf,
                checked,
                sizes,
                (vacancies, unit_limit),
                constrained,
                skip,
                degree,
                priority,
                members,
            )
        )
    # the caller's plan completed is optimal when every child is placed, or when the
    # single children's cut proves it: then the greedy and its flow are not needed
    proven = bool(found) and (
        int(sizes[found[0][0] >= 0].sum()) == waiting
        or (
            found[0][2] is not None and cut_bound(found[0][2]) == int(sizes[found[0][0] >= 0].sum())
        )
    )
    if not proven:
        if len(hard_units) and not expand:
            _greedy(
                tf,
                np.flatnonzero(constrained),
                sizes,
                degree,
                members,
                remaining,
                homes,
                unit_limit,
            )
        # the greedy first, so the caller's plan wins a tie (as on pairs)
        found.insert(
            0,
            _with_singles(
                tf,
                homes,
                sizes,
                (vacancies, unit_limit),
                constrained,
                skip,
                degree,
                priority,
                members,
            ),
        )
    homes, singles_value, in_cut = found[-1]
    if len(found) == 2 and int(sizes[found[0][0] >= 0].sum()) > int(sizes[homes >= 0].sum()):
        homes, singles_value, in_cut = found[0]
    placed = homes >= 0
    placeable = int(sizes[placed].sum())
    n_singles = int(((degree > 0) & ~constrained & ~skip).sum())
    upper = "not needed: every waiting child placed"
    if expand:
        if exact:
            bound = singles_value + hard_bound
        else:
            bound = min(flow_bound(), singles_value + hard_bound)
            upper = str(bound)
    elif not len(hard_units) or placeable == waiting:
        bound = placeable  # single children only: the flow is exact
        if placeable < waiting:
            upper = "the singles' max-flow itself (exact)"
    else:
        bound = cut_bound(in_cut) if in_cut is not None else waiting
        if bound > placeable:
            bound = min(bound, flow_bound())
            upper = f"{bound}, the max-flow relaxation"
        else:
            upper = (
                f"{bound}, a cut of the max-flow relaxation from the single children's minimum cut"
            )
        exact = placeable >= bound
        if not exact:
            notes.append(
                f"sibling groups too many to solve exactly: {placeable} children placed, at "
                f"most {bound} placeable (gap {bound - placeable})"
            )
    method = (
        f"typed graph without pair expansion: {n_u} units in {classes.n} classes of "
        f"identical feasible group lists x {n_g} groups of interchangeable households; "
        f"max-flow by OR-Tools SimpleMaxFlow on {n_arcs} class-group arcs "
        f"(upper bound {upper}); {n_singles} single children outside expanded "
        "components placed by max-flow on the vacancies left"
        + (f"; {hard_how}" if hard_how else "")
        + ("" if exact else f"; the figure is a lower bound, upper bound {bound}")
    )
    return Placeability(
        children_waiting=waiting,
        children_placeable=placeable,
        upper_bound=max(bound, placeable),
        exact=exact,
        homes=homes,
        feasible_households=degree,
        method=method,
        notes=tuple(notes),
    )


def _sub_instance(
    tf: FeasibleGroups, units: IntArray, members: list[IntArray], group_hard: BoolArray
) -> tuple[MatchingInstance, IntArray]:
    """The pairs of the given units only (households of their components, in order)."""
    households = np.flatnonzero(
        (tf.group_of_household >= 0) & group_hard[np.maximum(tf.group_of_household, 0)]
    ).astype(np.int64)
    local = np.full(len(tf.households), -1, dtype=np.int64)
    local[households] = np.arange(len(households))
    pair_unit: list[IntArray] = []
    pair_household: list[IntArray] = []
    for i, u in enumerate(units.tolist()):
        groups = tf.groups_of(u)
        if not len(groups):
            continue
        rows = np.sort(local[np.concatenate([members[g] for g in groups.tolist()])])
        pair_unit.append(np.full(len(rows), i, dtype=np.int64))
        pair_household.append(rows)
    pu = np.concatenate(pair_unit).astype(np.int32) if pair_unit else np.zeros(0, np.int32)
    ph = (
        np.concatenate(pair_household).astype(np.int32) if pair_household else np.zeros(0, np.int32)
    )
    position = {int(u): i for i, u in enumerate(units.tolist())}
    apart = tuple(
        (position[a], position[b]) for a, b in tf.apart_units if a in position and b in position
    )
    # the co-placement pairs of these units only, listed from the compact form
    co_placed = tf.co_placement.take(units).pairs_sharing(
        [tf.groups_of(u) for u in units.tolist()], tf.roomy_groups
    )
    contact = tuple(
        (position[a], position[b])
        for a, b in tf.sibling_contact_units
        if a in position and b in position
    )
    instance = MatchingInstance(
        units=tuple(tf.units[u] for u in units.tolist()),
        households=tuple(tf.households[h] for h in households.tolist()),
        pair_unit=pu,
        pair_household=ph,
        pair_score=np.zeros(len(pu), dtype=np.float64),
        apart_units=apart,
        co_placement_units=co_placed,
        sibling_contact_units=contact,
    )
    return instance, households


def _with_singles(
    tf: FeasibleGroups,
    homes: IntArray,
    sizes: IntArray,
    room: tuple[IntArray, IntArray],
    constrained: BoolArray,
    skip: BoolArray,
    degree: IntArray,
    priority: npt.NDArray[np.float64],
    members: list[IntArray],
) -> tuple[IntArray, int, BoolArray | None]:
    """`homes` completed with a max-flow of the single children not placed and not in
    `skip`, on the vacancies `homes` leaves; (homes, children the flow placed, the
    groups on the source side of its minimum cut, None without a flow)."""
    vacancies, unit_limit = room
    homes = homes.copy()
    remaining = vacancies.copy()
    took = homes >= 0
    np.subtract.at(remaining, homes[took], sizes[took])
    # a single child is one unit and one child: the room left for them is both at once
    units_left = unit_limit - np.bincount(homes[took], minlength=len(unit_limit))
    # a single child joins a restricted unit only where every unit there allows it: the
    # room beside is a group of its own in the flow (a valid placement, whose count the
    # bound then proves optimal or not)
    restricted = tf.co_placement.restricted
    held = np.unique(homes[restricted][homes[restricted] >= 0])
    beside = np.minimum(remaining, units_left)[held]  # room left next to them
    held, beside = held[beside > 0], beside[beside > 0]
    # (`_beside`: the compact form asked once per such household)
    units_left[held] = 0
    remaining = np.minimum(remaining, units_left)
    singles = np.flatnonzero((degree > 0) & ~constrained & ~took & ~skip)
    if not len(singles):
        return homes, 0, None
    classes = _Classes(tf, singles)
    group_left = tf.group_totals(remaining)
    n_g = len(group_left)
    if len(held):
        classes = _beside(tf, singles, classes, held, homes)
        group_left = np.concatenate([group_left, beside])
        remaining[held] = beside
        is_held = np.zeros(len(remaining), dtype=bool)
        is_held[held] = True
        members = [m[~is_held[m]] for m in members] + [np.array([h]) for h in held.tolist()]
    children = np.bincount(classes.of_unit, minlength=classes.n).astype(np.int64)
    value, arc_flow, side = class_max_flow(
        children, classes.arc_class, classes.arc_group, group_left
    )
    _fill(singles, classes, priority, arc_flow, members, remaining, homes)
    # the cut's groups, with those reached from its classes over arcs left out of the
    # network because the group was full (in the full network they are on that side too);
    # any set of groups gives a cut of the relaxation, so the room beside is left out
    in_cut = side[classes.n : classes.n + n_g].copy()
    reached = [classes.lists[c] for c in np.flatnonzero(side[: classes.n]).tolist()]
    if reached:
        at = np.concatenate(reached)
        in_cut[at[at < n_g]] = True
    return homes, value, in_cut


def _beside(
    tf: FeasibleGroups, singles: IntArray, classes: _Classes, held: IntArray, homes: IntArray
) -> _Classes:
    """`classes` split by the households beside restricted units (`held`) each single
    child may join: its group is in the child's list and every unit there allows the
    child. Household i of `held` becomes group `tf.n_groups + i` (one household)."""
    co = tf.co_placement
    n_g = tf.n_groups
    in_home = np.flatnonzero(homes >= 0)
    in_home = in_home[np.argsort(homes[in_home], kind="stable")]
    by_home = homes[in_home]
    position = np.arange(len(singles), dtype=np.int64)
    joins: list[list[int]] = [[] for _ in range(len(singles))]
    # which classes' lists hold each group
    holder = sp.csc_matrix(
        (np.ones(len(classes.arc_class), dtype=np.int8), (classes.arc_class, classes.arc_group)),
        shape=(classes.n, max(n_g, 1)),
    )
    for i, h in enumerate(held.tolist()):
        g = int(tf.group_of_household[h])
        ok = np.zeros(classes.n, dtype=bool)
        ok[holder.indices[holder.indptr[g] : holder.indptr[g + 1]]] = True
        cands = position[ok[classes.of_unit]]
        there = in_home[np.searchsorted(by_home, h) : np.searchsorted(by_home, h, side="right")]
        for o in there.tolist():
            if not len(cands):
                break
            cands = cands[~co.clash(o, singles[cands])]
        for p in cands.tolist():
            joins[p].append(n_g + i)
    keys: dict[tuple[int, tuple[int, ...]], int] = {}
    of_unit = np.empty(len(singles), dtype=np.int64)
    lists: list[IntArray] = []
    for p, c in enumerate(classes.of_unit.tolist()):
        key = (c, tuple(joins[p]))
        at = keys.get(key)
        if at is None:
            at = keys[key] = len(lists)
            extra = np.array(joins[p], dtype=np.int64)
            lists.append(np.concatenate([classes.lists[c], extra]))
        of_unit[p] = at
    split = _Classes.__new__(_Classes)
    split.of_unit = of_unit
    split.lists = lists
    return split


def _checked_plan(
    tf: FeasibleGroups,
    plan: IntArray,
    sizes: IntArray,
    vacancies: IntArray,
    priority: npt.NDArray[np.float64],
    unit_limit: IntArray,
) -> IntArray:
    """The feasible part of a caller's plan, as on pairs: the household is in one of the
    unit's groups, then capacity and never-together pairs in priority order (the
    kernel's `kept_in_priority_order`)."""
    n_h = len(vacancies)
    planned = np.flatnonzero((plan >= 0) & (plan < n_h))
    # feasible pairs, all at once: is the household's group in the unit's list?
    group = tf.group_of_household[plan[planned]]
    planned, group = planned[group >= 0], group[group >= 0]
    by_list = np.argsort(tf.unit_list[planned], kind="stable")
    lists = tf.unit_list[planned][by_list]
    bounds = np.flatnonzero(np.diff(lists)) + 1
    keep = np.zeros(len(planned), dtype=bool)
    for at in np.split(by_list, bounds) if len(by_list) else []:
        groups = tf.lists[int(tf.unit_list[planned[at[0]]])]  # sorted
        pos = np.minimum(np.searchsorted(groups, group[at]), max(len(groups) - 1, 0))
        keep[at] = groups[pos] == group[at] if len(groups) else False
    feasible = np.full(len(sizes), -1, dtype=np.int64)
    feasible[planned[keep]] = plan[planned[keep]]
    kept = kept_in_priority_order(feasible, sizes, vacancies, priority, tf.apart_units, unit_limit)
    return _co_placed_in_priority_order(kept, priority, tf.co_placement)


def _co_placed_in_priority_order(
    homes: IntArray, priority: npt.NDArray[np.float64], co: CoPlacement
) -> IntArray:
    """`homes` without the units that a unit of higher priority (then lower index) in
    the same household must not live with: only households holding a restricted unit
    and another unit are looked at (the compact form, no pair list)."""
    homes = homes.copy()
    placed = co.restricted[homes[co.restricted] >= 0]
    if not len(placed):
        return homes
    in_home = np.flatnonzero(homes >= 0)
    in_home = in_home[np.argsort(homes[in_home], kind="stable")]
    by_home = homes[in_home]
    for h in np.unique(homes[placed]).tolist():
        start, end = np.searchsorted(by_home, h), np.searchsorted(by_home, h, side="right")
        if end - start < 2:
            continue
        at = in_home[start:end]
        kept: list[int] = []
        for u in at[np.lexsort((at, -priority[at]))].tolist():
            if kept and co.clash(u, np.array(kept, dtype=np.int64)).any():
                homes[u] = -1
            else:
                kept.append(u)
    return homes


def _fill(
    units: IntArray,
    classes: _Classes,
    priority: npt.NDArray[np.float64],
    arc_flow: IntArray,
    members: list[IntArray],
    remaining: IntArray,
    homes: IntArray,
) -> None:
    """Turn a class → group flow of single children into households (highest priority
    first within a class); every household of a group is feasible for its classes."""
    class_of = classes.of_unit
    order = np.lexsort((units, -priority[units], class_of))
    queues: dict[int, list[int]] = {}
    for pos in order.tolist():
        queues.setdefault(int(class_of[pos]), []).append(int(units[pos]))
    taken = dict.fromkeys(queues, 0)
    cursor: dict[int, tuple[list[int], int]] = {}
    used = arc_flow > 0
    for c, g, f in zip(
        classes.arc_class[used].tolist(),
        classes.arc_group[used].tolist(),
        arc_flow[used].tolist(),
        strict=True,
    ):
        if g not in cursor:
            hs = members[g]
            cursor[g] = (hs[remaining[hs] > 0].tolist(), 0)
        hs_list, at = cursor[g]
        for _ in range(f):
            u = queues[c][taken[c]]
            taken[c] += 1
            while remaining[hs_list[at]] == 0:
                at += 1
            h = hs_list[at]
            remaining[h] -= 1
            homes[u] = h
        cursor[g] = (hs_list, at)


def _greedy(
    tf: FeasibleGroups,
    constrained: IntArray,
    sizes: IntArray,
    degree: IntArray,
    members: list[IntArray],
    remaining: IntArray,
    homes: IntArray,
    unit_limit: IntArray,
) -> None:
    """Place sibling groups and `apart` units one by one (largest first, fewest options
    first): the feasible group whose roomiest household has the fewest vacancies that
    still fit, and in it the household with the fewest that fit (best fit)."""
    apart = partners(tf.apart_units)
    co = tf.co_placement
    occupants: dict[int, list[int]] = {}  # households given a unit here, and their units
    is_restricted = np.zeros(len(sizes), dtype=bool)
    is_restricted[co.restricted] = True
    restricted_at = np.zeros(len(remaining), dtype=bool)  # holds a restricted unit
    units_left = unit_limit.copy()
    group_max = np.array(
        [int(remaining[m].max()) if len(m) else 0 for m in members], dtype=np.int64
    )
    order = constrained[np.lexsort((constrained, degree[constrained], -sizes[constrained]))]
    for u in order.tolist():
        size = int(sizes[u])
        groups = tf.groups_of(u)
        groups = groups[group_max[groups] >= size]
        if not len(groups):
            continue
        banned = {int(homes[p]) for p in apart.get(u, ()) if homes[p] >= 0}
        for g in groups[np.argsort(group_max[groups], kind="stable")].tolist():
            hs = members[g]
            fits = hs[(remaining[hs] >= size) & (units_left[hs] > 0)]
            if banned:
                fits = fits[~np.isin(fits, list(banned))]
            if not len(fits):
                continue
            # best fit among those the co-placement rules allow: a household holding a
            # unit already is asked (lazily, in best-fit order) only when this unit or
            # one there is restricted
            ask = restricted_at[fits] | (is_restricted[u] & (units_left[fits] < unit_limit[fits]))
            h = -1
            for at in np.argsort(remaining[fits], kind="stable").tolist():
                c = int(fits[at])
                # a household holds a unit or two: scalar questions, no arrays per ask
                if not ask[at] or all(co.together(u, o) for o in occupants[c]):
                    h = c
                    break
            if h < 0:
                continue
            remaining[h] -= size
            units_left[h] -= 1
            homes[u] = h
            occupants.setdefault(h, []).append(u)
            restricted_at[h] |= is_restricted[u]
            group_max[g] = int(remaining[hs].max())
            break
    # the caller takes the vacancies again from `homes`: give them back here
    took = homes[constrained] >= 0
    np.add.at(remaining, homes[constrained][took], sizes[constrained][took])
