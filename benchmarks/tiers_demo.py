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
  how many of them were placed in a household that does not.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path

from matching.csv_format import read_authority
from matching.feasibility import ROUND_MAX_PAIRS, build_instance
from matching.rounds import RoundParams, solve_round
from matching.synthetic import generate_authority

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "demo"


def _meets_needs(children: list, household: object) -> bool:
    levels: dict[str, int] = {}
    for child in children:
        for code, level in child.needs.items():
            levels[code] = max(levels.get(code, 0), level)
    return all(household.will_consider.get(code, 0) >= lv for code, lv in levels.items())


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
                "long_term_units_allocated": long_term,
                "long_term_approval_ends_before_18": ends_before_18,
                "long_term_approval_ends_within_a_year_of_age": within_a_year,
                "units_with_feasible_connected_household": kin_units,
                "placed_with_connected_household": kin_placed,
                "not_with_kin_though_kin_had_room": kin_left_with_room,
                "placed_units_with_a_needs_met_household": needs_units,
                "placed_elsewhere_than_needs_met": needs_missed,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
