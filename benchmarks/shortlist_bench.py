"""Shortlist latency against a large pool, next to the floor of streaming the pool once.

    .venv/bin/python benchmarks/shortlist_bench.py [--households 50000] [--repeats 200]
        [--instance-children 0 --instance-households 20000]

Builds a synthetic authority (`matching.synthetic.generate_authority`), the pool arrays
once, then asks for the same unit's top-10 shortlist `--repeats` times in process.
The floor is one pass over every feature column of the pool (a numpy sum of each),
the least any scan of the pool can cost. Target: shortlist p50 <= 5x the floor.
With `--instance-children` it also times `build_instance` for a whole round.
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date

import numpy as np

from matching.feasibility import build_instance
from matching.policy import default_policy
from matching.pool import HouseholdPool
from matching.rules import UnitFeatures, combine, hard_exclusions
from matching.scoring import score_candidates
from matching.shortlist import MatchingContext, shortlist
from matching.synthetic import generate_authority

AS_OF = date(2026, 6, 1)


def timings(fn: Callable[[], object], repeats: int) -> list[float]:
    fn()  # warm caches (plan masks, policy)
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def stream_once(pool: HouseholdPool) -> None:
    for column in pool.feature_arrays():
        column.sum()


def pick_child(context: MatchingContext) -> str:
    """A waiting child on a long-term fostering plan with needs, alone in its unit."""
    for unit in context.units:
        child = context.children[unit[0]]
        if len(unit) == 1 and child.plan == "long_term_foster" and child.needs:
            return child.child_id
    return context.units[0][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--children", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--instance-children", type=int, default=0)
    parser.add_argument("--instance-households", type=int, default=20_000)
    args = parser.parse_args()

    policy = default_policy()
    authority = generate_authority(args.children, args.households, seed=1, as_of=AS_OF)
    started = time.perf_counter()
    pool = HouseholdPool.from_households(authority.households)
    build_s = time.perf_counter() - started
    context = MatchingContext.prepare(authority, pool)
    child_id = pick_child(context)
    unit = UnitFeatures.from_children(context.unit_children(child_id), AS_OF)
    feature_mb = sum(c.nbytes for c in pool.feature_arrays()) / 1e6

    floor = timings(lambda: stream_once(pool), args.repeats)
    rules = timings(lambda: combine(hard_exclusions(unit, pool), pool.size), args.repeats)
    rows = np.flatnonzero(~combine(hard_exclusions(unit, pool), pool.size))
    scoring = timings(lambda: score_candidates(unit, pool, rows, policy), args.repeats)
    full = timings(
        lambda: shortlist(context, child_id, as_of=AS_OF, policy=policy, top=10), args.repeats
    )
    result = shortlist(context, child_id, as_of=AS_OF, policy=policy, top=10)

    print(
        f"pool: {pool.size} households, feature columns {feature_mb:.1f} MB, "
        f"arrays built once in {build_s:.2f} s; unit {result.unit}, "
        f"{result.n_feasible} households pass the hard rules; {args.repeats} repeats\n"
    )
    print("| measure | p50 ms | p95 ms |")
    print("|---|---:|---:|")
    for name, values in (
        ("floor: stream every feature column once (numpy sum)", floor),
        ("hard rules over the whole pool (9 masks)", rules),
        (f"score the {len(rows)} survivors", scoring),
        ("shortlist top-10, in process (rules + scores + ranking + reasons)", full),
    ):
        print(f"| {name} | {p(values, 50):.2f} | {p(values, 95):.2f} |")
    ratio = statistics.median(full) / statistics.median(floor)
    print(f"\nshortlist p50 / floor p50 = {ratio:.1f}x (target <= 5x)")

    if args.instance_children:
        round_authority = generate_authority(
            args.instance_children, args.instance_households, seed=2, as_of=AS_OF
        )
        started = time.perf_counter()
        feasibility = build_instance(round_authority, as_of=AS_OF, policy=policy)
        elapsed = time.perf_counter() - started
        instance = feasibility.instance
        print(
            f"\nbuild_instance: {args.instance_children} children -> {len(instance.units)} units "
            f"x {len(instance.households)} households, {instance.n_pairs} feasible pairs "
            f"in {elapsed:.1f} s"
        )


if __name__ == "__main__":
    main()
