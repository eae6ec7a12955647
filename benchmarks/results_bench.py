"""What typing the results costs: building, serialising and reading back the documents of
`matching.results` at the sizes they reach, next to the plain JSON they replaced.

    .venv/bin/python benchmarks/results_bench.py [--units 40000] [--children 20000]
        [--households 10000] [--repeats 5]

- shortlist: `ShortlistDocument.from_result` + `as_json()` for a top-10 shortlist of a
  pool of `--households` (the engine's own time is left out: see shortlist_bench.py),
  next to the untyped path it replaced (`to_dict()` plus four keys);
- round: a round document of `--units` units (a third unplaced, half of those for want
  of any household), read from its stored JSON (`RoundDocument.read`, as
  `models.store` does) and written back (`as_json()`), next to `json.loads` and
  `json.dumps` of the same;
- gaps: `GapDocument.from_report` + `as_json()` for the gap report of `--children`
  children, next to `to_dict()` alone (the report's own time is left out).

Prints a markdown table of medians (ms) over `--repeats` runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from matching.gaps import gap_report
from matching.results import GapDocument, RoundDocument, ShortlistDocument
from matching.shortlist import MatchingContext, shortlist
from matching.synthetic import generate_authority
from matching.vocab import NOT_FAMILY_FOUND_PLANS

AS_OF = date(2026, 6, 1)


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def round_json(n_units: int) -> dict[str, Any]:
    """A stored round's JSON with `n_units` units, shaped as the service writes it."""
    units, unplaced = [], []
    for u in range(n_units):
        children = [f"C{u:07d}"] + ([f"C{u:07d}b"] if u % 7 == 0 else [])
        placed = u % 3 != 0
        units.append(
            {
                "children": children,
                "priority": 1.0 + (u % 50) / 10,
                "candidates": [{"household_id": f"H{u:07d}", "score": 71.2345}] if placed else [],
            }
        )
        if placed:
            continue
        if u % 2:
            unplaced.append(
                {
                    "children": children,
                    "reason": "no_feasible_household",
                    "excluded_counts": {"plan_kind": 120, "age_range": 340, "capacity": 95},
                    "households_passing_hard_rules": 0,
                    "reasons": ["no household passes the hard rules (plan_kind 120, ...)"],
                }
            )
        else:
            unplaced.append(
                {
                    "children": children,
                    "reason": "taken_by_others",
                    "feasible_households": [
                        {"household_id": f"H{u + k:07d}", "taken_by": [[f"C{u + k:07d}"]]}
                        for k in range(3)
                    ],
                    "reasons": ["every feasible household went to others: ..."],
                }
            )
    params = {"mode": "allocate", "per_unit": 3, "max_appearances": 3, "time_limit_s": 30.0}
    return {
        "schema_version": 1,
        "mode": "allocate",
        "solver": "min_cost_flow+cp_sat",
        "status": "OPTIMAL",
        "objective": 123456.7,
        "best_bound": 123456.7,
        "gap": 0.0,
        "wall_s": 12.3,
        "as_of": AS_OF.isoformat(),
        "policy_version": "2026.1",
        "seed": 0,
        "params": params | {"seed": 0, "workers": None, "sibling_contact_km": 25.0},
        "units_waiting": n_units,
        "children_waiting": n_units,
        "units_covered": n_units - len(unplaced),
        "coverage_bound": n_units,
        "children_placed": n_units - len(unplaced),
        "units": units,
        "unplaced": unplaced,
        "sibling_contact": [],
        "sibling_contact_km": 25.0,
        "skipped_units": {
            "units": 0,
            "children": 0,
            "units_not_waiting": 0,
            "units_plan_not_family_found": 0,
            "not_family_found_plans": ["return_home", "supported_living"],
        },
        "households_in_pool": n_units // 2,
        "feasible_pairs": n_units * 20,
        "inputs_fingerprint": "f" * 64,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=40_000)
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows: list[tuple[str, str, float, str, float]] = []

    authority = generate_authority(args.children, args.households, seed=0, as_of=AS_OF)
    context = MatchingContext.prepare(authority)
    waiting = next(
        c.child_id
        for c in authority.children
        if c.status == "waiting" and c.plan not in NOT_FAMILY_FOUND_PLANS
    )
    result = shortlist(context, waiting, as_of=AS_OF, top=10)
    names = {h.household_id: h.name for h in authority.households}

    def typed_shortlist() -> object:
        return ShortlistDocument.from_result(
            result,
            child_id=waiting,
            names=names,
            households_in_pool=len(authority.households),
            inputs_fingerprint="f" * 64,
        ).as_json()

    def untyped_shortlist() -> object:
        data = result.to_dict()
        for candidate in data["candidates"]:
            candidate["name"] = names[candidate["household_id"]]
        data |= {"child_id": waiting, "n_feasible": result.n_feasible}
        return data

    rows.append(
        (
            "shortlist (top 10)",
            "from_result + as_json",
            median_ms(typed_shortlist, args.repeats * 20),
            "to_dict + keys",
            median_ms(untyped_shortlist, args.repeats * 20),
        )
    )

    stored = round_json(args.units)
    text = json.dumps(stored)
    loaded = json.loads(text)
    document = RoundDocument.read(loaded)
    rows.append(
        (
            f"round, {args.units:,} units: read",
            "read (as the store does)",
            median_ms(lambda: RoundDocument.read(loaded), args.repeats),
            "json.loads",
            median_ms(lambda: json.loads(text), args.repeats),
        )
    )
    rows.append(
        (
            f"round, {args.units:,} units: write",
            "as_json + json.dumps",
            median_ms(lambda: json.dumps(document.as_json()), args.repeats),
            "json.dumps",
            median_ms(lambda: json.dumps(loaded), args.repeats),
        )
    )

    report = gap_report(authority, as_of=AS_OF)
    rows.append(
        (
            f"gap report, {args.children:,} children",
            "from_report + as_json",
            median_ms(lambda: GapDocument.from_report(report).as_json(), args.repeats),
            "to_dict",
            median_ms(report.to_dict, args.repeats),
        )
    )

    print("| result | typed | ms | untyped | ms |")
    print("|---|---|---:|---|---:|")
    for name, typed, typed_ms, untyped, untyped_ms in rows:
        print(f"| {name} | {typed} | {typed_ms:.2f} | {untyped} | {untyped_ms:.2f} |")


if __name__ == "__main__":
    main()
