"""Round and gap report on real-shaped authorities, with the co-placement rules (issue 12).

For the demo authority (fixtures/demo, as of 2026-11-01) and a generated one
(`generate_authority(N, M, seed=0, as_of=2026-06-01)`, default 10,000 x 5,000), times
what the round service does (`build_instance(..., max_pairs=ROUND_MAX_PAIRS, floor=True)`;
`floor_s` times the most-children placement the floor adds when the pair cap does not
apply; then `solve_round` with the default parameters) and the whole `gap_report`, and prints the
co-placement pairs and one-unit households the instance holds. Run it from a tree
without the rules (`--tree /path/to/other/checkout`, its own imports) to compare.

    .venv/bin/python benchmarks/coplacement_bench.py
    .venv/bin/python benchmarks/coplacement_bench.py --children 10000 --households 5000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _case(which: str, children: int, households: int) -> dict[str, object]:
    from matching.csv_format import read_authority
    from matching.feasibility import ROUND_MAX_PAIRS, build_instance, most_children_households
    from matching.gaps.report import gap_report
    from matching.policy import default_policy
    from matching.pool import HouseholdPool
    from matching.rounds import RoundParams, solve_round
    from matching.synthetic import generate_authority

    if which == "demo":
        as_of = date(2026, 11, 1)
        demo = ROOT / "fixtures" / "demo"
        with (
            (demo / "children.csv").open("rb") as c,
            (demo / "households.csv").open("rb") as h,
            (demo / "sibling_links.csv").open("rb") as s,
        ):
            authority = read_authority(c, h, s, as_of=as_of)
    else:
        as_of = date(2026, 6, 1)
        authority = generate_authority(children, households, seed=0, as_of=as_of)
    out: dict[str, object] = {"authority": which}
    started = time.perf_counter()
    try:  # the floor (issue 12), where the tree has it
        built = build_instance(authority, as_of=as_of, max_pairs=ROUND_MAX_PAIRS, floor=True)
    except TypeError:
        built = build_instance(authority, as_of=as_of, max_pairs=ROUND_MAX_PAIRS)
    instance = built.instance
    out["instance_s"] = round(time.perf_counter() - started, 2)
    out["units"] = len(instance.units)
    floor = getattr(instance, "floor_household", ())
    if len(floor):
        # what the floor adds to the instance when the pair cap does not apply
        started = time.perf_counter()
        pool = HouseholdPool.from_households(authority.households)
        from matching.gaps.report import EXPAND_MAX_PAIRS

        most_children_households(
            authority, as_of, default_policy(), pool, expand_max_pairs=EXPAND_MAX_PAIRS
        )
        out["floor_s"] = round(time.perf_counter() - started, 2)
        out["floor_placed"] = sum(
            u.size for u, h in zip(instance.units, floor.tolist(), strict=True) if h >= 0
        )
    out["pairs"] = instance.n_pairs
    out["co_placement_pairs"] = len(getattr(instance, "co_placement_units", ()))
    out["one_unit_households"] = sum(
        1 for h in instance.households if getattr(h, "max_units", None) == 1
    )
    started = time.perf_counter()
    result = solve_round(instance, RoundParams())
    out["round_s"] = round(time.perf_counter() - started, 2)
    out["placed"] = result.children_placed
    out["bound"] = result.coverage_bound
    out["status"] = result.status
    out["gap"] = round(result.gap, 5)
    out["deterministic"] = result.deterministic
    started = time.perf_counter()
    report = gap_report(authority, as_of=as_of, suppress=False)
    out["gaps_s"] = round(time.perf_counter() - started, 2)
    data = report.to_dict()
    out["placeable"] = data["children_placeable"]
    out["placeable_exact"] = report.method.get("placeable_exact")
    out["targets"] = len(report.targets)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--households", type=int, default=5_000)
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout whose code to run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_case(args.child, args.children, args.households)))
        return
    env = {**os.environ, "PYTHONPATH": str(args.tree)}
    for which in ("demo", "generated"):
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                *("--child", which, "--children", str(args.children)),
                *("--households", str(args.households)),
            ],
            env=env,
            cwd=args.tree,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            raise SystemExit(done.returncode)
        print(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
