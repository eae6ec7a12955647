"""An independent, plain-Python checker for matching-round results.

It reads only the instance, the parameters and the result's public fields, and shares
no code with the solvers, so a solver bug cannot hide itself here.
"""

from __future__ import annotations

import math
from typing import Any

from matching.instance import MatchingInstance

SCALE = 100  # the result rounds weights to hundredths of a point
# The constraint families this checker checks, each with its own code below; a test
# holds it to the kernel's list (`matching.assignment.plan.CONSTRAINT_FAMILIES`), so a
# family added to the kernel fails that test until it is checked here too.
FAMILIES_CHECKED = ("feasible_pair", "capacity", "never_together", "unit_limit")
REASONS = {
    "no_feasible_household",
    "taken_by_others",
    "apart_from_placed",
    "co_placement",
    "not_reached_within_time_limit",
}


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))


def feasible_scores(instance: MatchingInstance, allocate: bool) -> dict[tuple[int, int], float]:
    """(unit, household) -> best score of the usable pairs."""
    out: dict[tuple[int, int], float] = {}
    for u, h, s in zip(
        instance.pair_unit.tolist(),
        instance.pair_household.tolist(),
        instance.pair_score.tolist(),
        strict=True,
    ):
        if allocate and instance.units[u].size > instance.households[h].vacancies:
            continue
        out[(u, h)] = max(s, out.get((u, h), -1.0))
    return out


def pair_tiers(instance: MatchingInstance) -> dict[tuple[int, int], int]:
    """(unit, household) -> highest tier code of its pairs (0 when the instance has none)."""
    tiers = instance.pair_tier.tolist() if len(instance.pair_tier) else [0] * instance.n_pairs
    out: dict[tuple[int, int], int] = {}
    for u, h, t in zip(
        instance.pair_unit.tolist(), instance.pair_household.tolist(), tiers, strict=True
    ):
        out[(u, h)] = max(t, out.get((u, h), 0))
    return out


def _tier_vector(codes: list[int], n_tiers: int) -> tuple[int, ...]:
    """How many of `codes` meet each tier, the first tier (highest bit) first."""
    return tuple(sum((c >> (n_tiers - 1 - i)) & 1 for c in codes) for i in range(n_tiers))


def _swap_problems(
    u: int,
    options: list[int],
    tiers: dict[tuple[int, int], int],
    pairs: dict[tuple[int, int], float],
    home: dict[int, int],
    load: list[int],
    holders: dict[int, list[int]],
    apart: dict[int, set[int]],
    instance: MatchingInstance,
) -> list[str]:
    """The tiers are lexicographic across units: no two placed units could exchange
    their households (both pairs feasible, both households within their vacancies, no
    unit kept apart from either met) and so meet a higher tier more often, whatever
    they would lose in the tiers below it."""
    if u not in home:
        return []
    n_tiers = max(tiers.values()).bit_length()
    size = [unit.size for unit in instance.units]
    vacancies = [h.vacancies for h in instance.households]
    hu = home[u]
    out = []
    for v in sorted({v for h in options for v in holders.get(h, [])}):
        hv = home[v]
        if v <= u or hv == hu or (v, hu) not in pairs:
            continue
        if load[hu] - size[u] + size[v] > vacancies[hu]:
            continue
        if load[hv] - size[v] + size[u] > vacancies[hv]:
            continue
        if any(w in apart.get(u, ()) for w in holders.get(hv, []) if w != v):
            continue
        if any(w in apart.get(v, ()) for w in holders.get(hu, []) if w != u):
            continue
        now = _tier_vector([tiers[(u, hu)], tiers[(v, hv)]], n_tiers)
        swapped = _tier_vector([tiers[(u, hv)], tiers[(v, hu)]], n_tiers)
        if swapped > now:
            out.append(
                f"units {u} and {v}: exchanging households {hu} and {hv} meets the tiers "
                f"{swapped} times (first tier first) instead of {now}"
            )
    return out


def _tier_problems(
    instance: MatchingInstance,
    result: Any,
    params: Any,
    home: dict[int, int],
    load: list[int],
    holders: dict[int, list[int]],
    appearances: list[int],
) -> list[str]:
    """The tier invariant (kinship first, then needs met, then permanence), where it can
    be checked pair by pair: no unit is given (or listed with) a household while one of
    a higher tier of its own could still take it (allocate: room, a unit place, no
    sibling kept apart in it; shortlist: fewer than M appearances), no unit is left
    unplaced while a feasible household has room for it, and (allocate) no two units
    could exchange households to meet a higher tier more often: the tiers are
    lexicographic across units, not weights that lower-tier gains can add up to."""
    problems: list[str] = []
    allocate = result.mode == "allocate"
    tiers = pair_tiers(instance)
    if not any(tiers.values()):
        return problems  # one tier: nothing to check (an unplaced unit may be not_reached)
    pairs = feasible_scores(instance, allocate)
    units, households = instance.units, instance.households
    # units that may not share a household: siblings assessed apart, co-placement pairs
    apart: dict[int, set[int]] = {}
    for a, b in (*instance.apart_units, *instance.co_placement_units):
        apart.setdefault(a, set()).add(b)
        apart.setdefault(b, set()).add(a)
    options: dict[int, list[int]] = {}
    for u, h in pairs:
        options.setdefault(u, []).append(h)
    for u, hs in options.items():
        listed = [h for h, _ in result.assignments[u]]
        if allocate:
            current = tiers[(u, home[u])] if u in home else -1
            for h in hs:
                if tiers[(u, h)] <= current or h == home.get(u):
                    continue
                limit = households[h].max_units
                full = load[h] + units[u].size > households[h].vacancies or (
                    limit is not None and len(holders.get(h, [])) >= limit
                )
                if not full and not any(v in apart.get(u, ()) for v in holders.get(h, [])):
                    problems.append(
                        f"unit {u}: household {h} of a higher tier ({tiers[(u, h)]}) had room, "
                        f"yet the unit {'got tier ' + str(current) if u in home else 'is unplaced'}"
                    )
            problems += _swap_problems(u, hs, tiers, pairs, home, load, holders, apart, instance)
        elif listed:
            lowest = min(tiers[(u, h)] for h in listed)
            for h in hs:
                if (
                    h not in listed
                    and tiers[(u, h)] > lowest
                    and appearances[h] < params.max_appearances
                ):
                    problems.append(
                        f"unit {u}: household {h} of a higher tier had room on the lists, "
                        "yet a lower-tier one is listed"
                    )
    return problems


def round_problems(instance: MatchingInstance, result: Any, params: Any) -> list[str]:
    """Every way ``result`` breaks the round's rules (empty when it is valid)."""
    problems: list[str] = []
    allocate = result.mode == "allocate"
    units, households = instance.units, instance.households
    pairs = feasible_scores(instance, allocate)
    if result.mode != params.mode:
        problems.append("mode differs from the parameters")
    if len(result.assignments) != len(units):
        return [*problems, "one assignment entry per unit expected"]
    load = [0] * len(households)
    appearances = [0] * len(households)
    holders: dict[int, list[int]] = {}
    weight = 0
    home: dict[int, int] = {}
    for u, chosen in enumerate(result.assignments):
        hs = [h for h, _ in chosen]
        if len(set(hs)) != len(hs):
            problems.append(f"unit {u} lists a household twice")
        limit = 1 if allocate else params.per_unit
        if len(chosen) > limit:
            problems.append(f"unit {u} has {len(chosen)} households, at most {limit} allowed")
        for h, score in chosen:
            if (u, h) not in pairs:
                problems.append(f"unit {u} got household {h}, which is not a feasible pair")
                continue
            if abs(pairs[(u, h)] - score) > 1e-9:
                problems.append(f"unit {u} household {h}: score {score} != {pairs[(u, h)]}")
            weight += round(units[u].priority * pairs[(u, h)] * SCALE)
            load[h] += units[u].size
            appearances[h] += 1
            holders.setdefault(h, []).append(u)
            home[u] = h
    for h, hh in enumerate(households):
        if allocate and load[h] > hh.vacancies:
            problems.append(f"household {h} holds {load[h]} children for {hh.vacancies} vacancies")
        held = sum(1 for v in home.values() if v == h)
        if allocate and hh.max_units is not None and held > hh.max_units:
            problems.append(f"household {h} holds {held} units, at most {hh.max_units} allowed")
        if not allocate and appearances[h] > params.max_appearances:
            problems.append(f"household {h} is on {appearances[h]} shortlists")
    if allocate:
        for a, b in instance.apart_units:
            if a in home and b in home and home[a] == home[b]:
                problems.append(f"units {a} and {b} are kept apart but share household {home[a]}")
        for a, b in instance.co_placement_units:
            if a in home and b in home and home[a] == home[b]:
                problems.append(
                    f"units {a} and {b} must not live together but share household {home[a]}"
                )
    problems += _tier_problems(instance, result, params, home, load, holders, appearances)
    covered = [u for u, c in enumerate(result.assignments) if c]
    if result.units_covered != len(covered):
        problems.append("units_covered is wrong")
    if result.children_placed != sum(units[u].size for u in covered):
        problems.append("children_placed is wrong")

    # the objective, including the sibling contact bonus, recomputed from scratch
    contact_hits = 0
    reported = {(c.unit_a, c.unit_b): c for c in result.sibling_contact}
    if allocate:
        for a, b in instance.sibling_contact_units:
            a, b = min(a, b), max(a, b)
            if a in home and b in home:
                ha, hb = households[home[a]], households[home[b]]
                d = 0.0 if home[a] == home[b] else km_between(ha.lat, ha.lon, hb.lat, hb.lon)
                within = d <= params.sibling_contact_km
                contact_hits += within
                c = reported.get((a, b))
                if c is None:
                    problems.append(f"sibling contact for units {a}, {b} not reported")
                elif (
                    (c.household_a, c.household_b) != (home[a], home[b])
                    or abs(c.distance_km - d) > 0.01
                    or c.within_km != within
                ):
                    problems.append(f"sibling contact for units {a}, {b} misreported")
        weight += contact_hits * round(params.sibling_contact_bonus * SCALE)
    if abs(result.objective * SCALE - weight) > 1e-6 * max(1, weight):
        problems.append(f"objective {result.objective} != recomputed {weight / SCALE}")

    # unplaced units and their reasons
    unplaced = {x.unit: x for x in result.unplaced}
    if set(unplaced) != {u for u, c in enumerate(result.assignments) if not c}:
        problems.append("the unplaced list does not match the empty assignments")
    households_of: dict[int, list[int]] = {}
    for v, h in pairs:
        if v in unplaced:
            households_of.setdefault(v, []).append(h)
    for u, x in unplaced.items():
        feasible = sorted(households_of.get(u, []))
        if x.reason not in REASONS:
            problems.append(f"unit {u}: unknown reason {x.reason}")
        if (x.reason == "no_feasible_household") != (not feasible):
            problems.append(f"unit {u}: reason {x.reason} but {len(feasible)} feasible households")
        if feasible:
            if sorted(h for h, _ in x.taken) != feasible:
                problems.append(f"unit {u}: taken list does not name every feasible household")
            for h, by in x.taken:
                if sorted(by) != sorted(holders.get(h, [])):
                    problems.append(f"unit {u}: household {h} was taken by other units")
        if x.reason == "taken_by_others":
            for h in feasible:
                limit = households[h].max_units
                full = (
                    load[h] + units[u].size > households[h].vacancies
                    or (limit is not None and len(holders.get(h, [])) >= limit)
                    if allocate
                    else appearances[h] >= params.max_appearances
                )
                if not full:
                    problems.append(f"unit {u}: household {h} had room, yet 'taken_by_others'")

    # status and bound are consistent
    if result.status not in ("OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"):
        problems.append(f"unknown status {result.status}")
    if result.gap < 0 or (result.status == "OPTIMAL") != (result.gap == 0.0):
        problems.append(f"status {result.status} with gap {result.gap}")
    coverage = result.children_placed if allocate else result.units_covered
    if result.coverage_bound < coverage:
        problems.append("coverage bound below the coverage achieved")
    if result.coverage_bound == coverage and result.best_bound + 1e-9 < result.objective:
        problems.append("best bound below the objective achieved")
    return problems


def check_round(instance: MatchingInstance, result: Any, params: Any) -> None:
    """Fail with every problem found in ``result``."""
    problems = round_problems(instance, result, params)
    assert not problems, "\n".join(problems[:20])


def practice_problems(authority: Any, feasibility: Any, result: Any) -> list[str]:
    """Every way a round breaks the sibling practice rules (docs/domain.md), read from
    the authority, the instance (`feasibility.instance`), its practice record
    (`feasibility.practice`) and the result, recomputed here with plain graph searches:

    * every waiting child is in exactly one unit of the round or held for a decision;
    * a child held for a contradiction is joined by together links to a child assessed
      apart from it; one held for a plan conflict to a child with another plan;
    * siblings with a pending assessment who do not end in one household both carry
      the `pending_assessment` warning;
    * a unit whose placed together-siblings all live in one household that the round
      may offer it is offered that household only.
    """
    problems: list[str] = []
    instance, practice = feasibility.instance, feasibility.practice
    children = {c.child_id: c for c in authority.children}
    waiting = {c for c, child in children.items() if child.status == "waiting"}
    in_units = [c for unit in instance.units for c in unit.children]
    held = {c: h for h in practice.held for c in h.children}
    if len(set(in_units)) != len(in_units) or set(in_units) & set(held):
        problems.append("a child is in two units, or in a unit and held")
    for child in waiting - set(in_units) - set(held):
        if children[child].plan not in ("return_home", "supported_living", "not_recorded"):
            problems.append(f"{child} waits and is neither in the round nor held")

    together: dict[str, set[str]] = {}
    for link in authority.links:
        if link.assessment == "together":
            together.setdefault(link.child_a, set()).add(link.child_b)
            together.setdefault(link.child_b, set()).add(link.child_a)

    def reach(start: str) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            for other in together.get(todo.pop(), ()):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        return seen

    for child, unit in held.items():
        group = reach(child)
        if unit.code == "sibling_contradiction":
            ok = any(
                link.assessment == "apart" and {link.child_a, link.child_b} <= group
                for link in authority.links
            )
        else:
            ok = len({children[c].plan for c in group}) > 1
        if not ok:
            problems.append(f"{child} is held ({unit.code}) without a reason in the records")

    unit_of = {c: u for u, unit in enumerate(instance.units) for c in unit.children}
    home = {
        u: instance.households[pairs[0][0]].household_id
        for u, pairs in enumerate(result.assignments)
        if pairs and result.mode == "allocate"
    }
    for link in authority.links:
        a, b = link.child_a, link.child_b
        if link.assessment != "pending" or a not in unit_of or b not in unit_of:
            continue
        ua, ub = unit_of[a], unit_of[b]
        if ua == ub or (ua in home and home.get(ua) == home.get(ub)):
            continue
        for child in (a, b):
            if "pending_assessment" not in {w.code for w in practice.warnings_of([child])}:
                problems.append(f"{child} is split from {a if child == b else b} unwarned")

    offered: dict[int, set[str]] = {}
    for u, h in zip(instance.pair_unit.tolist(), instance.pair_household.tolist(), strict=True):
        offered.setdefault(u, set()).add(instance.households[h].household_id)
    living = {c for c, child in children.items() if child.status in ("placed", "matched")}
    for u, unit in enumerate(instance.units):
        siblings = {s for c in unit.children for s in reach(c) & living}
        homes = {children[s].placed_with for s in siblings}
        if len(homes) == 1 and None not in homes:
            (first,) = homes
            if first in offered.get(u, set()) and offered[u] != {first}:
                problems.append(f"{unit.children} is offered others before {first}")
    return problems
