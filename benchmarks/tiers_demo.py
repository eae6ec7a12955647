"""Kinship first, needs first and permanence in a round on the demo authority (issue 12).

    .venv/bin/python benchmarks/tiers_demo.py [--as-of 2026-11-01] [--time-limit 30]
    .venv/bin/python benchmarks/tiers_demo.py --children 10000 --households 5000 --seed 7

Runs what `familyfinder round --as-of 2026-11-01` runs on fixtures/demo (build_instance
with ROUND_MAX_PAIRS, then solve_round in allocate mode, default parameters; or, with
`--children`, on `generate_authority(children, households, seed)`), times the two, and counts,
from the result and the authority's own records (not from the engine's tier codes, so
the same script measures code from before the tiers):

* long-term fostering units allocated, and how many of them to carers whose approval
  ends before the youngest child is 18 (approved_max_age below 17), and how many of
  those end within a year of the eldest child's age (the issue's "57 of 129");
* units with a feasible connected household, how many got one, and how many were given
  a stranger household (or none) while one of their connected households kept room;
* units placed where some feasible household met every need at the unit's level, and
  how many of them were placed in a household that does not;
* the tier gains of the round (issue 12; from the instance's tier codes): per tier, the
  placed units whose household meets it while some household of their own in the
  instance does not (what the round maximises, lexicographically, after the children
  placed), the score unit the kernel counted scores in, and the independent round
  checker's problems (none expected);
* the permanence check: for each long-term unit placed with carers whose approval ends
  before 18, whether ANY household approved to 17 passes every hard rule for it (from
  the rules themselves, not the capped instance), how many of those the instance kept,
  and whether one of them still had room for it at the end of the round (vacancies,
  its limit of units, no unit there it must not live with). Room there would mean the
  permanence tier could have been reached and was not.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

from matching.assignment.prepared import prepare
from matching.csv_format import read_authority
from matching.feasibility import ROUND_MAX_PAIRS, build_instance
from matching.match_warnings import LAST_APPROVED_AGE
from matching.policy import default_policy
from matching.pool import HouseholdPool
from matching.rounds import RoundParams, solve_round
from matching.rules import UnitFeatures, combine, hard_exclusions
from matching.synthetic import generate_authority

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the independent round checker lives in tests/
    sys.path.insert(0, str(ROOT))
DEMO = ROOT / "fixtures" / "demo"


def _meets_needs(children: list, household: object) -> bool:
    levels: dict[str, int] = {}
    for child in children:
        for code, level in child.needs.items():
            levels[code] = max(levels.get(code, 0), level)
    return all(household.will_consider.get(code, 0) >= lv for code, lv in levels.items())


def _tier_gains(instance: object, home: dict[int, int]) -> list[int]:
    """Per tier bit (highest first): placed units whose household meets it while some
    pair of their own does not."""
    codes: dict[int, list[int]] = {}
    at: dict[tuple[int, int], int] = {}
    for u, h, t in zip(
        instance.pair_unit.tolist(),  # type: ignore[attr-defined]
        instance.pair_household.tolist(),  # type: ignore[attr-defined]
        instance.tiers().tolist(),  # type: ignore[attr-defined]
        strict=True,
    ):
        codes.setdefault(u, []).append(t)
        at[(u, h)] = max(t, at.get((u, h), 0))
    bits = max((t for ts in codes.values() for t in ts), default=0).bit_length()
    out = []
    for bit in reversed(range(bits)):
        out.append(
            sum(
                ((at[(u, h)] >> bit) & 1) - min((t >> bit) & 1 for t in codes[u])
                for u, h in home.items()
            )
        )
    return out


def _permanence_check(
    authority: object, instance: object, home: dict[int, int], load: list[int], as_of: date
) -> dict[str, object]:
    """Long-term units placed with an approval ending before 18: could a lasting
    household have taken them (see the module docstring)?"""
    policy = default_policy()
    households = authority.households  # type: ignore[attr-defined]
    pool = HouseholdPool.from_households(households)
    children = {c.child_id: c for c in authority.children}  # type: ignore[attr-defined]
    in_instance: dict[int, set[int]] = {}
    for u, h in zip(
        instance.pair_unit.tolist(),  # type: ignore[attr-defined]
        instance.pair_household.tolist(),  # type: ignore[attr-defined]
        strict=True,
    ):
        in_instance.setdefault(u, set()).add(h)
    holders: dict[int, list[int]] = {}
    for u, h in home.items():
        holders.setdefault(h, []).append(u)
    apart: dict[int, set[int]] = {}
    for a, b in (*instance.apart_units, *instance.co_placement_units):  # type: ignore[attr-defined]
        apart.setdefault(a, set()).add(b)
        apart.setdefault(b, set()).add(a)
    ends = with_lasting = lasting_in_instance = lasting_with_room = 0
    held_by: dict[str, set[int]] = {"long_term_foster": set(), "another plan": set()}
    for u, unit in enumerate(instance.units):  # type: ignore[attr-defined]
        if u not in home:
            continue
        members = [children[c] for c in unit.children]
        if not any(c.plan == "long_term_foster" for c in members):
            continue
        if households[home[u]].approved_max_age >= LAST_APPROVED_AGE:
            continue
        ends += 1
        feature = UnitFeatures.from_children(members, as_of, policy)
        passes = ~combine(hard_exclusions(feature, pool), pool.size)
        lasting = [int(r) for r in np.flatnonzero(passes & (pool.max_age >= LAST_APPROVED_AGE))]
        with_lasting += bool(lasting)
        kept = [h for h in lasting if h in in_instance.get(u, set())]
        lasting_in_instance += bool(kept)
        room = [
            h
            for h in lasting
            if households[h].vacancies - load[h] >= unit.size
            and (
                households[h].max_units is None or len(holders.get(h, [])) < households[h].max_units
            )
            and not any(v in apart.get(u, ()) for v in holders.get(h, []))
        ]
        lasting_with_room += bool(room)
        for h in lasting:
            for v in holders.get(h, []):
                plans = {children[c].plan for c in instance.units[v].children}  # type: ignore[attr-defined]
                kind = "long_term_foster" if "long_term_foster" in plans else "another plan"
                held_by[kind].add(v)
    return {
        "long_term_ends_before_18": ends,
        "of_which_a_lasting_household_passes_the_hard_rules": with_lasting,
        "of_which_a_lasting_household_is_in_the_instance": lasting_in_instance,
        "of_which_a_lasting_household_had_room_after_the_round": lasting_with_room,
        "units_holding_those_lasting_households_by_plan": {k: len(v) for k, v in held_by.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--as-of", default="2026-11-01")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--children", type=int, default=0, help="a synthetic authority")
    parser.add_argument("--households", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    as_of = date.fromisoformat(args.as_of)
    if args.children:
        authority = generate_authority(args.children, args.households, seed=args.seed, as_of=as_of)
    else:
        with (
            (DEMO / "children.csv").open("rb") as c,
            (DEMO / "households.csv").open("rb") as h,
            (DEMO / "sibling_links.csv").open("rb") as s,
        ):
            authority = read_authority(c, h, s, as_of=as_of)
    children = {c.child_id: c for c in authority.children}
    started = time.perf_counter()
    feasibility = build_instance(authority, as_of=as_of, max_pairs=ROUND_MAX_PAIRS)
    built = time.perf_counter() - started
    instance = feasibility.instance
    result = solve_round(instance, RoundParams(time_limit_s=args.time_limit))
    wall = time.perf_counter() - started
    households = authority.households
    home = {u: a[0][0] for u, a in enumerate(result.assignments) if a}
    load = [0] * len(households)
    for u, h in home.items():
        load[h] += instance.units[u].size
    feasible: dict[int, list[int]] = {}
    for u, h in zip(instance.pair_unit.tolist(), instance.pair_household.tolist(), strict=True):
        feasible.setdefault(u, []).append(h)

    long_term = ends_before_18 = within_a_year = 0
    kin_units = kin_placed = kin_left_with_room = 0
    needs_units = needs_missed = 0
    for u, unit in enumerate(instance.units):
        members = [children[c] for c in unit.children]
        ages = [c.age_on(as_of) for c in members]
        kin = [h for h in feasible.get(u, []) if households[h].kind == "connected"]
        if kin:
            kin_units += 1
            if u in home and households[home[u]].kind == "connected":
                kin_placed += 1
            elif any(households[h].vacancies - load[h] >= unit.size for h in kin):
                kin_left_with_room += 1
        if u not in home:
            continue
        h = households[home[u]]
        if any(c.plan == "long_term_foster" for c in members):
            long_term += 1
            if h.approved_max_age < 17:
                ends_before_18 += 1
                if h.approved_max_age - max(ages) <= 1:
                    within_a_year += 1
        if any(_meets_needs(members, households[x]) for x in feasible.get(u, [])):
            needs_units += 1
            if not _meets_needs(members, h):
                needs_missed += 1
    gains = _tier_gains(instance, home)
    params = RoundParams(time_limit_s=args.time_limit)
    # after the clock: the independent checker (tiers: no unit below a higher tier of
    # its own with room, no exchange of two units' households meeting a higher tier
    # more often)
    from tests.matching.round_checker import round_problems

    problems = round_problems(instance, result, params)
    score_unit = prepare(
        instance, allocate=True, contact_bonus=params.sibling_contact_bonus
    ).score_unit
    permanence = _permanence_check(authority, instance, home, load, as_of)
    print(
        json.dumps(
            {
                "as_of": args.as_of,
                "status": result.status,
                "children_placed": result.children_placed,
                "units": len(instance.units),
                "feasible_pairs": instance.n_pairs,
                "build_instance_s": round(built, 1),
                "solve_round_s": round(wall - built, 1),
                "gap": result.gap,
                # False: the wall-clock safety net stopped the search (a busy machine)
                "deterministic": result.deterministic,
                "long_term_units_allocated": long_term,
                "long_term_approval_ends_before_18": ends_before_18,
                "long_term_approval_ends_within_a_year_of_age": within_a_year,
                "units_with_feasible_connected_household": kin_units,
                "placed_with_connected_household": kin_placed,
                "not_with_kin_though_kin_had_room": kin_left_with_room,
                "placed_units_with_a_needs_met_household": needs_units,
                "placed_elsewhere_than_needs_met": needs_missed,
                "tier_gains_first_tier_first": gains,
                "round_checker_problems": len(problems),
                "score_unit_hundredths": score_unit,
                **permanence,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
