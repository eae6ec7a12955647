"""Benchmark of the needs-gap report on synthetic authorities.

    .venv/bin/python benchmarks/gaps_bench.py            # both sizes
    .venv/bin/python benchmarks/gaps_bench.py --small    # 1,000 x 2,000 only

Targets: the whole report (feasibility, placeable, profiles, targets with their
verification, personas) for 100,000 children x 50,000 households within 10 s, and for
1,000 x 2,000 within 1 s. Generating the authority is not timed; exports are timed
separately. Figures depend on the machine and its load: run on a quiet one.
"""

from __future__ import annotations

import argparse
import io
import time
from datetime import date

from matching.gaps import gap_report, render_charts, write_csv, write_xlsx
from matching.synthetic import generate_authority

AS_OF = date(2026, 6, 1)
SIZES = ((1_000, 2_000, 1.0), (100_000, 50_000, 10.0))


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="only 1,000 x 2,000")
    parser.add_argument("--exports", action="store_true", help="time the exports too")
    args = parser.parse_args()
    sizes = SIZES[:1] if args.small else SIZES
    ok = all([run(n, m, t, exports=args.exports) for n, m, t in sizes])
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
