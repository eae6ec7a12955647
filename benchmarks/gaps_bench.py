"""Benchmark of the needs-gap report on synthetic authorities.

    .venv/bin/python benchmarks/gaps_bench.py             # 1,000 x 2,000 report, and the
                                                          # placeable count at national scale
    .venv/bin/python benchmarks/gaps_bench.py --national  # also the whole 100,000 x 50,000
                                                          # report (engine included; the
                                                          # synthetic pool gives ~100M feasible
                                                          # pairs: needs well over 12 GB)
    .venv/bin/python benchmarks/gaps_bench.py --exports   # time CSV, XLSX and charts too

Targets: the whole report (feasibility, placeable, profiles, targets with their
verification, personas) for 100,000 children x 50,000 households within 10 s, and for
1,000 x 2,000 within 1 s. Generating the authority is not timed; exports are timed
separately. The national-scale placeable case uses `matching.rounds.random_instance`
(100,000 units, 50,000 households, 20-200 feasible households per unit, 30% sibling
groups), i.e. the gap analysis on an instance, without the engine's feasibility pass.
Figures depend on the machine and its load: run on a quiet one.
"""

from __future__ import annotations

import argparse
import io
import time
from datetime import date

from matching.gaps import gap_report, max_children_placed, render_charts, write_csv, write_xlsx
from matching.rounds import random_instance
from matching.synthetic import generate_authority

AS_OF = date(2026, 6, 1)
SMALL = (1_000, 2_000, 1.0)
NATIONAL = (100_000, 50_000, 10.0)


def run(n_children: int, n_households: int, target_s: float, *, exports: bool) -> bool:
    authority = generate_authority(n_children, n_households, seed=0, as_of=AS_OF)
    started = time.perf_counter()
    report = gap_report(authority, as_of=AS_OF)
    wall = time.perf_counter() - started
    p = report.placeability
    print(
        f"{n_children:>7} children x {n_households:>6} households: report {wall:6.2f} s "
        f"(target {target_s:g} s) {'OK' if wall <= target_s else 'OVER'}"
    )
    print(f"    stages (s): {report.timings_s}")
    print(
        f"    units {len(p.homes)}, waiting {p.children_waiting}, placeable "
        f"{p.children_placeable} ({'exact' if p.exact else f'bound {p.upper_bound}'}), "
        f"targets {len(report.targets)} placing "
        f"{report.children_placeable_with_targets - p.children_placeable}"
    )
    print(f"    method: {p.method}")
    if exports:
        started = time.perf_counter()
        write_csv(report, io.StringIO())
        write_xlsx(report, io.BytesIO())
        render_charts(report)
        print(f"    exports (CSV, XLSX, 6 charts): {time.perf_counter() - started:.2f} s")
    return wall <= target_s


def run_instance(n_units: int, n_households: int) -> None:
    instance = random_instance(n_units, n_households, sibling_share=0.3, apart_share=0.02, seed=0)
    started = time.perf_counter()
    result = max_children_placed(instance, time_limit_s=5.0)
    wall = time.perf_counter() - started
    print(
        f"placeable only, {n_units} units x {n_households} households, "
        f"{instance.n_pairs} pairs: {wall:.2f} s; placeable {result.children_placeable} of "
        f"{result.children_waiting} ({'exact' if result.exact else f'bound {result.upper_bound}'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--national", action="store_true", help="the whole 100k x 50k report")
    parser.add_argument("--exports", action="store_true", help="time the exports too")
    args = parser.parse_args()
    ok = run(*SMALL, exports=args.exports)
    run_instance(100_000, 50_000)
    if args.national:
        ok = run(*NATIONAL, exports=args.exports) and ok
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
