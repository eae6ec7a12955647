"""Benchmark of the fairness report (`matching.fairness`) on synthetic authorities.

    .venv/bin/python benchmarks/fairness_bench.py                       # 100,000 x 50,000
    .venv/bin/python benchmarks/fairness_bench.py --children 10000 --households 5000

Target (issue 16): the report on the national benchmark authority (100,000 children,
50,000 households: `generate_authority(..., seed=0)` as of 2026-06-01, as
`gaps_bench.py` builds it) within 30 s. The authority is generated and its pool arrays
and sibling units prepared (`MatchingContext.prepare`: what the service's snapshot
holds) before the clock starts. Timed, in this order, in one process:

* placeable: the gap report's engine alone (`most_children_households`), for the share;
* figures: every waiting unit ranked by the shortlist's engine (all hard rules over the
  whole pool, the survivors scored) plus the placeable engine again (inside);
* report: groups, ratios with their bootstrap intervals, flags and drivers, suppression.

The whole report is figures + report. No allocation round is given (the service reads
the stored round's result; solving one is a round's cost, not the report's). Prints
JSON with the stages, the peak RSS and the load average: figures depend on the load of
the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

AS_OF = date(2026, 6, 1)
TARGET_S = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--households", type=int, default=50_000)
    args = parser.parse_args()

    from matching.fairness import child_figures, report_from_figures
    from matching.feasibility import most_children_households
    from matching.policy import default_policy
    from matching.shortlist import MatchingContext
    from matching.synthetic import generate_authority

    load_before = os.getloadavg()
    started = time.perf_counter()
    authority = generate_authority(args.children, args.households, seed=0, as_of=AS_OF)
    context = MatchingContext.prepare(authority)
    prepared_s = time.perf_counter() - started
    policy = default_policy()

    started = time.perf_counter()
    placeable = most_children_households(authority, AS_OF, policy, context.pool)
    placeable_s = time.perf_counter() - started

    started = time.perf_counter()
    figures = child_figures(context, as_of=AS_OF, policy=policy)
    figures_s = time.perf_counter() - started

    started = time.perf_counter()
    report = report_from_figures(figures, as_of=AS_OF, policy=policy)
    report_s = time.perf_counter() - started

    whole = figures_s + report_s
    print(
        json.dumps(
            {
                "authority": f"{args.children} x {args.households}",
                "children_waiting": report.children_waiting,
                "units_placeable": len(placeable),
                "flags": [(f.dimension, f.group, f.metric) for f in report.flags],
                "prepare_s (not timed)": round(prepared_s, 2),
                "placeable_s (alone)": round(placeable_s, 2),
                "figures_s (units ranked + placeable)": round(figures_s, 2),
                "report_s (groups, bootstrap, flags)": round(report_s, 2),
                "whole_s": round(whole, 2),
                "target_s": TARGET_S,
                "within_target": whole <= TARGET_S,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "load_average_before": load_before,
                "load_average_after": os.getloadavg(),
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
