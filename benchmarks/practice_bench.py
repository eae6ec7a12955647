"""What the sibling practice rules cost a round and a gap report (issue 12).

    .venv/bin/python benchmarks/practice_bench.py                  # 1,000 and 10,000
    .venv/bin/python benchmarks/practice_bench.py --children 2000 --households 1000

`matching.practice_units.practice_units` runs before every round's `build_instance` and
every gap report's `unit_table`: the practice warnings of the linked children (one
graph over them), the pending groups (the hard rules once per group), the together
links to placed siblings. This times it alone on synthetic authorities (best of three,
the pool built beforehand, as a service's snapshot holds it), beside `build_instance`
on the same authority, and prints a markdown table with the load average (figures
depend on the machine's load).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from matching.feasibility import build_instance  # noqa: E402
from matching.pool import HouseholdPool  # noqa: E402
from matching.practice_units import practice_units  # noqa: E402
from matching.synthetic import generate_authority  # noqa: E402

AS_OF = date(2026, 11, 1)


def best_of(n: int, run: Callable[..., object], *args: object, **kwargs: object) -> float:
    """The shortest of `n` timed calls of `run(*args, **kwargs)`, in seconds."""
    times = []
    for _ in range(n):
        started = time.perf_counter()
        run(*args, **kwargs)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--households", type=int, default=None)
    args = parser.parse_args()
    print(
        "| children | households | links | children in pending groups | held "
        "| practice_units s | build_instance s |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.children:
        households = args.households or max(n // 2, 100)
        authority = generate_authority(n, households, seed=1, as_of=AS_OF)
        pool = HouseholdPool.from_households(authority.households)
        practice = practice_units(authority, as_of=AS_OF, pool=pool)
        pending = sum(
            1
            for warnings in practice.warnings.values()
            for w in warnings
            if w.code == "pending_assessment"
        )
        alone = best_of(3, practice_units, authority, as_of=AS_OF, pool=pool)
        whole = best_of(1, build_instance, authority, as_of=AS_OF, pool=pool)
        print(
            f"| {n:,} | {households:,} | {len(authority.links):,} | {pending} "
            f"| {practice.held_children} | {alone:.3f} | {whole:.2f} |"
        )
    print(f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
