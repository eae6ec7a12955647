"""Benchmark of the fairness report (`matching.fairness`) on synthetic authorities.

    .venv/bin/python benchmarks/fairness_bench.py                       # 100,000 x 50,000
    .venv/bin/python benchmarks/fairness_bench.py --children 10000 --households 5000

Target (issue 16): the report on the national benchmark authority (100,000 children,
50,000 households: `generate_authority(..., seed=0)` as of 2026-06-01, as
`gaps_bench.py` builds it) within 30 s. The authority is generated and its pool arrays
and sibling units prepared (`MatchingContext.prepare`: what the service's snapshot
holds) before the clock starts. Timed: what the service does, `fairness_report` on the
prepared context (no allocation round, no decisions: the service reads the stored
round's result; solving one is a round's cost, not the report's). Then, untimed for the
whole, its stages one by one as `child_figures` runs them:

* units: the waiting units as a round forms them (`practice_units`) and their features;
* placeable: the gap report's engine (`most_children_households`), called once (not
  run again: the figures' time less the other stages);
* ranked: every unit's feasible households, rule exclusions and top of the shortlist
  (`ranked_figures`: typed rules, then the top tier only scored);
* report: groups, ratios with their cluster bootstrap intervals, flags, suppression.

Prints JSON with the stages, the peak RSS and the load average: figures depend on the
load of the machine.
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

    from matching.fairness import _units, child_figures, ranked_figures, report_from_figures
    from matching.feasibility import is_round_unit
    from matching.policy import default_policy
    from matching.practice_units import practice_units
    from matching.rules import UnitFeatures
    from matching.shortlist import MatchingContext
    from matching.synthetic import generate_authority

    load_before = os.getloadavg()
    started = time.perf_counter()
    authority = generate_authority(args.children, args.households, seed=0, as_of=AS_OF)
    context = MatchingContext.prepare(authority)
    prepared_s = time.perf_counter() - started
    policy = default_policy()

    # what `fairness_report` does with no decisions: the figures, then the report
    started = time.perf_counter()
    figures = child_figures(context, as_of=AS_OF, policy=policy)
    figures_s = time.perf_counter() - started
    started = time.perf_counter()
    report = report_from_figures(figures, as_of=AS_OF, policy=policy)
    report_s = time.perf_counter() - started
    whole = figures_s + report_s
    load_after_report = os.getloadavg()

    # the figures' stages, run again one by one
    stages: dict[str, float] = {}
    started = time.perf_counter()
    units = []
    practice = practice_units(context.authority, as_of=AS_OF, pool=context.pool, policy=policy)
    for unit in _units(context, practice):
        children = [context.children[c] for c in unit]
        if is_round_unit(children):
            units.append(UnitFeatures.from_children(children, AS_OF, policy))
    stages["units"] = time.perf_counter() - started
    # the placeable engine is not run again (minutes while the co-placement pairs are
    # listed per household group): its share of the figures is what the others leave
    started = time.perf_counter()
    ranked = ranked_figures(units, context.pool, policy)
    stages["ranked"] = time.perf_counter() - started

    print(
        json.dumps(
            {
                "authority": f"{args.children} x {args.households}",
                "children_waiting": report.children_waiting,
                "units": len(units),
                "children_placeable": int(figures.values["placeable"].sum()),
                "units_with_a_feasible_household": int((ranked.feasible > 0).sum()),
                "flags": [(f.dimension, f.group, f.metric) for f in report.flags],
                "prepare_s (not timed)": round(prepared_s, 2),
                "figures_s (child_figures)": round(figures_s, 2),
                "report_s (groups, bootstrap, flags)": round(report_s, 2),
                "whole_s (figures + report)": round(whole, 2),
                "target_s": TARGET_S,
                "within_target": whole <= TARGET_S,
                "figures_stages_s (run again)": {k: round(v, 2) for k, v in stages.items()},
                "placeable_and_the_rest_s (figures less the stages)": round(
                    figures_s - sum(stages.values()), 2
                ),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "load_average_before": load_before,
                "load_average_after_report": load_after_report,
                "load_average_after": os.getloadavg(),
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
