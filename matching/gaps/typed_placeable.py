"""Placeability computed on the typed feasibility graph, without expanding pairs.

At national scale the feasible (unit, household) pairs number in the hundreds of
millions, but `TypedFeasibility` already says them as unit groups × household groups:
households of a group are feasible for exactly the same units. This module answers the
question of `matching.gaps.placeable.max_children_placed` on that graph directly:

* unit *classes*: units sharing one feasible group list (most units share their rule
  type's list; units with a distance or connected exception have their own);
* household groups as `TypedFeasibility` gives them (merging groups with equal class
  sets saves only a few percent of the arcs at national scale, not worth its cost);
* an upper bound by max-flow (source → class, capacity its children; class → group;
  group → sink, capacity the group's vacancies) with OR-Tools `SimpleMaxFlow`. A sibling
  group may be split by the flow, so with sibling groups or `apart` pairs it is only a
  bound; with single children only it is the answer (integral max-flow);
* sibling groups and `apart` units: when the components holding them are small enough
  to expand (`max_hard_pairs`), exactly as `max_children_placed` does (greedy bounds,
  CP-SAT per component) on those components' pairs only; otherwise a greedy placement
  (largest groups first, best fit on households with the fewest vacancies left) is the
  lower bound and the flow the upper bound, and the result says it is a bound;
* single children outside those components: max-flow on the vacancies left, turned into
  households within each group (any filling of a group's vacancies is feasible).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from ortools.graph.python import max_flow as ortools_max_flow
from scipy.sparse.csgraph import connected_components

from matching.gaps.placeable import Placeability, max_children_placed
from matching.gaps.typed import TypedFeasibility
from matching.instance import MatchingInstance

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Hard components (sibling groups / apart) are expanded to pairs and solved exactly up
# to this many pairs in total; above it their figure is a bound pair.
MAX_HARD_PAIRS = 200_000


class _Classes:
    """Units grouped by their feasible group list, with the class → group arcs."""

    def __init__(self, tf: TypedFeasibility, units: IntArray) -> None:
        by_object: dict[int, int] = {}
        by_content: dict[bytes, int] = {}
        lists: list[IntArray] = []
        of_unit = np.empty(len(units), dtype=np.int64)
        for i, u in enumerate(units.tolist()):
            groups = tf.unit_groups[u]
            # units of a rule type share one array object (see typed.py): look the
            # content up once per object; distinct types with equal lists merge
            c = by_object.get(id(groups))
            if c is None:
                c = by_content.setdefault(groups.tobytes(), len(lists))
                if c == len(lists):
                    lists.append(groups)
                by_object[id(groups)] = c
            of_unit[i] = c
        self.of_unit = of_unit
        self.lists = lists
        lengths = np.array([len(g) for g in lists], dtype=np.int64)
        self.arc_class = np.repeat(np.arange(len(lists), dtype=np.int64), lengths)
        self.arc_group = np.concatenate(lists).astype(np.int64) if lists else np.zeros(0, np.int64)

    @property
    def n(self) -> int:
        return len(self.lists)


def _flow(
    class_cap: IntArray,
    arc_class: IntArray,
    arc_set: IntArray,
    set_cap: IntArray,
) -> tuple[int, IntArray, IntArray]:
    """Max-flow source → classes → groups → sink; (value, flow per class, flow per arc)."""
    n_c, n_s = len(class_cap), len(set_cap)
    source, sink = n_c + n_s, n_c + n_s + 1
    if len(arc_class) == 0:
        return 0, np.zeros(n_c, np.int64), np.zeros(0, np.int64)
    solver = ortools_max_flow.SimpleMaxFlow()
    big = int(class_cap.sum()) + 1
    tails = np.concatenate([np.full(n_c, source), arc_class, n_c + np.arange(n_s)])
    heads = np.concatenate([np.arange(n_c), n_c + arc_set, np.full(n_s, sink)])
    caps = np.concatenate([class_cap, np.full(len(arc_class), big), set_cap])
    solver.add_arcs_with_capacity(
        tails.astype(np.int32), heads.astype(np.int32), caps.astype(np.int64)
    )
    status = solver.solve(source, sink)
    if status != solver.OPTIMAL:
        raise RuntimeError(f"max-flow failed with status {status}")
    flows = np.asarray(solver.flows(np.arange(len(tails), dtype=np.int32)), dtype=np.int64)
    return int(solver.optimal_flow()), flows[:n_c], flows[n_c : n_c + len(arc_class)]


def typed_max_children_placed(
    tf: TypedFeasibility,
    *,
    time_limit_s: float = 10.0,
    max_hard_pairs: int = MAX_HARD_PAIRS,
    plan: IntArray | None = None,
) -> Placeability:
    """The most children today's pool can place, from the typed graph (no pair list).

    Same answer as `max_children_placed(tf.instance())` whenever it is exact there and the
    sibling / apart components have at most `max_hard_pairs` pairs (they are then solved
    by that function on their own pairs); otherwise the placement found is a lower bound
    and `upper_bound` the flow bound, and `method` says so. `plan` (a household per unit,
    -1 for none) is a placement known to the caller; its feasible part is a lower bound,
    as in `max_children_placed`.
    """
    n_u = len(tf.units)
    sizes = np.array([u.size for u in tf.units], dtype=np.int64)
    priority = np.array([u.priority for u in tf.units], dtype=np.float64)
    vacancies = np.array([max(h.vacancies, 0) for h in tf.households], dtype=np.int64)
    members = tf.group_members()
    n_g = len(members)
    group_size = np.array([len(m) for m in members], dtype=np.int64)
    homes = np.full(n_u, -1, dtype=np.int64)
    all_units = np.arange(n_u, dtype=np.int64)
    classes = _Classes(tf, all_units)
    class_households = np.zeros(classes.n, dtype=np.int64)
    np.add.at(class_households, classes.arc_class, group_size[classes.arc_group])
    degree = class_households[classes.of_unit] if n_u else np.zeros(0, np.int64)
    waiting = int(sizes.sum())
    if n_u == 0:
        return Placeability(0, 0, 0, True, homes, degree, "no waiting units")

    # components over classes and groups (= over units and households)
    adjacency = sp.coo_matrix(
        (np.ones(len(classes.arc_class)), (classes.arc_class, classes.n + classes.arc_group)),
        shape=(classes.n + n_g, classes.n + n_g),
    )
    _, label = connected_components(adjacency, directed=False)
    comp_of_unit = label[classes.of_unit]
    in_apart = np.zeros(n_u, dtype=bool)
    for a, b in tf.apart_units:
        in_apart[a] = in_apart[b] = True
    constrained = ((sizes > 1) | in_apart) & (degree > 0)
    hard_comp = np.zeros(int(label.max()) + 1, dtype=bool)
    hard_comp[comp_of_unit[constrained]] = True
    hard = hard_comp[comp_of_unit] & (degree > 0)
    group_hard: BoolArray = hard_comp[label[classes.n :]]

    # upper bound: one flow over everything (children as flow), computed only when the
    # placement found does not already place every waiting child
    group_vac = np.array([int(vacancies[m].sum()) for m in members], dtype=np.int64)
    class_children = np.bincount(classes.of_unit, weights=sizes, minlength=classes.n).astype(
        np.int64
    )

    def flow_bound() -> int:
        value, _, _ = _flow(class_children, classes.arc_class, classes.arc_group, group_vac)
        return value

    n_arcs = len(classes.arc_class)

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
        result = max_children_placed(sub, time_limit_s=time_limit_s, plan=sub_plan)
        placed_sub = result.homes >= 0
        homes[hard_units[placed_sub]] = households[result.homes[placed_sub]]
        exact = result.exact
        notes.extend(result.notes)
        hard_bound = result.upper_bound
        hard_how = (
            f"{len(hard_units)} units in components with sibling groups or 'apart' pairs "
            f"expanded to their {hard_pairs} pairs and solved as in the pairs method ("
            f"{result.method})"
        )
    elif len(hard_units):
        hard_how = (
            f"{len(hard_units)} units in components with sibling groups or 'apart' pairs "
            f"({hard_pairs} pairs, too many to expand): greedy placement (largest groups "
            "first, best fit, or the caller's plan when better) as lower bound, the max-flow "
            "relaxation (groups may split) as upper bound"
        )
    skip = hard & expand  # solved above, single children included
    found: list[tuple[IntArray, int]] = []
    if plan is not None and len(hard_units) and not expand:
        checked = _checked_plan(tf, np.asarray(plan, dtype=np.int64), sizes, vacancies, priority)
        found.append(
            _with_singles(
                tf, checked, sizes, vacancies, constrained, skip, degree, priority, members
            )
        )
    if not found or int(sizes[found[0][0] >= 0].sum()) < waiting:
        if len(hard_units) and not expand:
            _greedy(tf, np.flatnonzero(constrained), sizes, degree, members, remaining, homes)
        # the greedy first, so the caller's plan wins a tie (as in max_children_placed)
        found.insert(
            0,
            _with_singles(
                tf, homes, sizes, vacancies, constrained, skip, degree, priority, members
            ),
        )
    homes, singles_value = found[-1]
    if len(found) == 2 and int(sizes[found[0][0] >= 0].sum()) > int(sizes[homes >= 0].sum()):
        homes, singles_value = found[0]
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
        bound = flow_bound()
        upper = str(bound)
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
    tf: TypedFeasibility, units: IntArray, members: list[IntArray], group_hard: BoolArray
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
        groups = tf.unit_groups[u]
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
        sibling_contact_units=contact,
    )
    return instance, households


def _with_singles(
    tf: TypedFeasibility,
    homes: IntArray,
    sizes: IntArray,
    vacancies: IntArray,
    constrained: BoolArray,
    skip: BoolArray,
    degree: IntArray,
    priority: npt.NDArray[np.float64],
    members: list[IntArray],
) -> tuple[IntArray, int]:
    """`homes` completed with a max-flow of the single children not placed and not in
    `skip`, on the vacancies `homes` leaves; (homes, children the flow placed)."""
    homes = homes.copy()
    remaining = vacancies.copy()
    took = homes >= 0
    np.subtract.at(remaining, homes[took], sizes[took])
    singles = np.flatnonzero((degree > 0) & ~constrained & ~took & ~skip)
    if not len(singles):
        return homes, 0
    classes = _Classes(tf, singles)
    group_left = np.array([int(remaining[m].sum()) for m in members], dtype=np.int64)
    children = np.bincount(classes.of_unit, minlength=classes.n).astype(np.int64)
    value, _, arc_flow = _flow(children, classes.arc_class, classes.arc_group, group_left)
    _fill(singles, classes, priority, arc_flow, members, remaining, homes)
    return homes, value


def _checked_plan(
    tf: TypedFeasibility,
    plan: IntArray,
    sizes: IntArray,
    vacancies: IntArray,
    priority: npt.NDArray[np.float64],
) -> IntArray:
    """The feasible part of a caller's plan (as `placeable._checked_plan`): the household
    is in one of the unit's groups, within vacancies, never with a unit assessed apart."""
    homes = np.full(len(sizes), -1, dtype=np.int64)
    load = np.zeros(len(vacancies), dtype=np.int64)
    partners: dict[int, list[int]] = {}
    for a, b in tf.apart_units:
        partners.setdefault(a, []).append(b)
        partners.setdefault(b, []).append(a)
    planned = np.flatnonzero(plan >= 0)
    for u in planned[np.lexsort((planned, -priority[planned]))].tolist():
        h = int(plan[u])
        if h >= len(vacancies):
            continue
        g = int(tf.group_of_household[h])
        groups = tf.unit_groups[u]
        at = int(np.searchsorted(groups, g))
        if g < 0 or at >= len(groups) or groups[at] != g:
            continue
        if load[h] + sizes[u] > vacancies[h]:
            continue
        if any(homes[p] == h for p in partners.get(u, ())):
            continue
        homes[u] = h
        load[h] += sizes[u]
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
    tf: TypedFeasibility,
    constrained: IntArray,
    sizes: IntArray,
    degree: IntArray,
    members: list[IntArray],
    remaining: IntArray,
    homes: IntArray,
) -> None:
    """Place sibling groups and `apart` units one by one (largest first, fewest options
    first): the feasible group whose roomiest household has the fewest vacancies that
    still fit, and in it the household with the fewest that fit (best fit)."""
    partners: dict[int, list[int]] = {}
    for a, b in tf.apart_units:
        partners.setdefault(a, []).append(b)
        partners.setdefault(b, []).append(a)
    group_max = np.array(
        [int(remaining[m].max()) if len(m) else 0 for m in members], dtype=np.int64
    )
    order = constrained[np.lexsort((constrained, degree[constrained], -sizes[constrained]))]
    for u in order.tolist():
        size = int(sizes[u])
        groups = tf.unit_groups[u]
        groups = groups[group_max[groups] >= size]
        if not len(groups):
            continue
        banned = {int(homes[p]) for p in partners.get(u, ()) if homes[p] >= 0}
        for g in groups[np.argsort(group_max[groups], kind="stable")].tolist():
            hs = members[g]
            fits = hs[remaining[hs] >= size]
            if banned:
                fits = fits[~np.isin(fits, list(banned))]
            if not len(fits):
                continue
            h = int(fits[np.argmin(remaining[fits])])
            remaining[h] -= size
            homes[u] = h
            group_max[g] = int(remaining[hs].max())
            break
    # the caller takes the vacancies again from `homes`: give them back here
    took = homes[constrained] >= 0
    np.add.at(remaining, homes[constrained][took], sizes[constrained][took])
