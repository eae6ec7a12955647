"""Plans over a prepared instance: their value, their check, and the structure they live in.

A *plan* is ``chosen[u]``, the pair index of unit ``u`` or -1; its *homes* are the
households those pairs name. Everything that reads a plan's constraints is here, once:

* `CONSTRAINT_FAMILIES` names the families every plan obeys. The CP-SAT model
  (`matching.assignment.cpsat`, one method per family), `plan_problems` (the check every
  plan passes before it is kept) and the independent round checker in
  `tests/matching/round_checker.py` (which reads this tuple and has its own code for
  each family) cover the same list: a new family is added to all three, and a test
  fails while one of them lacks it;
* `partners` is the one index of units that must never share a household;
* `components` splits units and households into the parts that cannot influence one
  another;
* `plan_value` is the lexicographic value (children placed, weight) every solver
  compares plans by.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from matching.assignment.prepared import FloatArray, IntArray, PreparedInstance
from matching.assignment.prepared import components as components  # one place, re-exported
from matching.geo import haversine_km

# The constraints of every plan (see the module docstring).
CONSTRAINT_FAMILIES = (
    "feasible_pair",  # a unit goes whole, to one household that passes every hard rule
    "capacity",  # the children in a household never exceed its vacancies
    "never_together",  # never-together units (siblings apart, co-placement) never share one
    "unit_limit",  # a household takes at most its limit of units (adopters, FfA carers: one)
)


def partners(pairs: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    """For each unit in one of `pairs`, the units paired with it (both directions)."""
    out: dict[int, list[int]] = {}
    for a, b in pairs:
        out.setdefault(int(a), []).append(int(b))
        out.setdefault(int(b), []).append(int(a))
    return out


def homes_of(prep: PreparedInstance, chosen: IntArray) -> IntArray:
    """The household of each unit under plan `chosen` (-1 where unplaced)."""
    homes = np.full(prep.n_units, -1, dtype=np.int64)
    placed = chosen >= 0
    homes[placed] = prep.pair_household[chosen[placed]]
    return homes


def contact_hits(prep: PreparedInstance, chosen: IntArray, km: float) -> IntArray:
    """For each contact pair: 1 if both units are placed within `km` (or together)."""
    if not prep.contact:
        return np.zeros(0, dtype=np.int64)
    cp = np.array(prep.contact, dtype=np.int64)
    homes = homes_of(prep, chosen)
    ha, hb = homes[cp[:, 0]], homes[cp[:, 1]]
    both = (ha >= 0) & (hb >= 0)
    ha, hb = np.where(both, ha, 0), np.where(both, hb, 0)
    if not prep.n_households:
        return np.zeros(len(cp), dtype=np.int64)
    d = haversine_km(prep.lat[ha], prep.lon[ha], prep.lat[hb], prep.lon[hb])
    return np.asarray(both & ((d <= km) | (ha == hb)), dtype=np.int64)


def plan_value(prep: PreparedInstance, chosen: IntArray, km: float) -> tuple[IntArray, IntArray]:
    """Per unit: children placed and weight (the contact bonus credited to the contact
    pair's first unit)."""
    placed = chosen >= 0
    children = np.where(placed, prep.size, 0)
    weight = np.zeros(prep.n_units, dtype=np.int64)
    weight[placed] = prep.weight[chosen[placed]]
    if prep.contact and prep.contact_bonus:
        hits = contact_hits(prep, chosen, km)
        np.add.at(weight, np.array(prep.contact, dtype=np.int64)[:, 0], hits * prep.contact_bonus)
    return children, weight


def total_value(prep: PreparedInstance, chosen: IntArray, km: float) -> tuple[int, int]:
    """The plan's (children placed, weight with contact bonus): compared lexicographically."""
    children, weight = plan_value(prep, chosen, km)
    return int(children.sum()), int(weight.sum())


def over_capacity(homes: IntArray, size: IntArray, vacancies: IntArray) -> IntArray:
    """Households holding more children than their vacancies under `homes`."""
    placed = homes >= 0
    load = np.bincount(homes[placed], weights=size[placed], minlength=len(vacancies))
    return np.flatnonzero(load > vacancies).astype(np.int64)


def over_unit_limit(homes: IntArray, unit_limit: IntArray) -> IntArray:
    """Households holding more units than their limit under `homes`."""
    count = np.bincount(homes[homes >= 0], minlength=len(unit_limit))
    return np.flatnonzero(count > unit_limit).astype(np.int64)


def shared_homes(homes: IntArray, pairs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The pairs of units (of `pairs`) that `homes` puts in one household."""
    return [(a, b) for a, b in pairs if homes[a] >= 0 and homes[a] == homes[b]]


def plan_problems(prep: PreparedInstance, chosen: IntArray) -> list[str]:
    """Every way plan `chosen` breaks a constraint family (empty when it is valid)."""
    problems: list[str] = []
    placed = np.flatnonzero(chosen >= 0)
    if np.any(prep.pair_unit[chosen[placed]] != placed):
        problems.append("feasible_pair: a unit holds another unit's pair")
    homes = homes_of(prep, chosen)
    if len(over_capacity(homes, prep.size, prep.vacancies)):
        problems.append("capacity: a household is over its vacancies")
    for a, b in shared_homes(homes, prep.never_together):
        problems.append(f"never_together: units {a} and {b} share a household")
    if len(over_unit_limit(homes, prep.unit_limit)):
        problems.append("unit_limit: a household holds more units than its limit")
    return problems


def kept_in_priority_order(
    homes: IntArray,
    size: IntArray,
    vacancies: IntArray,
    priority: FloatArray,
    never_together: Sequence[tuple[int, int]],
    unit_limit: IntArray | None = None,
) -> IntArray:
    """The part of a plan of feasible pairs (`homes`) that keeps capacity, the unit
    limits and the never-together pairs: units that conflict (in a household planned
    beyond its vacancies or its limit of units, or in a never-together pair) are taken
    one by one in priority order (then index), so a higher-priority unit keeps its
    place; every other unit keeps its household whatever the order."""
    n_h = len(vacancies)
    limit = vacancies if unit_limit is None else unit_limit
    out = np.full(len(size), -1, dtype=np.int64)
    planned = np.flatnonzero(homes >= 0)
    h_of = homes[planned]
    load = np.bincount(h_of, weights=size[planned], minlength=n_h)
    count = np.bincount(h_of, minlength=n_h)
    index = partners(never_together)
    in_pair = np.isin(planned, np.fromiter(index, dtype=np.int64, count=len(index)))
    contested = (load[h_of] > vacancies[h_of]) | (count[h_of] > limit[h_of]) | in_pair
    out[planned[~contested]] = h_of[~contested]
    taken = np.zeros(n_h, dtype=np.int64)
    units_taken = np.bincount(out[out >= 0], minlength=n_h)
    np.add.at(taken, out[out >= 0], size[out >= 0])
    one_by_one = planned[contested]
    for u in one_by_one[np.lexsort((one_by_one, -priority[one_by_one]))].tolist():
        h = int(homes[u])
        if taken[h] + size[u] > vacancies[h] or units_taken[h] >= limit[h]:
            continue
        if any(out[p] == h for p in index.get(u, ())):
            continue
        out[u] = h
        taken[h] += size[u]
        units_taken[h] += 1
    return out
