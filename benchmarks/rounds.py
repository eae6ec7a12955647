"""Benchmark matching rounds on synthetic instances and print a markdown table.

    .venv/bin/python benchmarks/rounds.py --quick      # 1,000 units × 2,000 households
    .venv/bin/python benchmarks/rounds.py              # also 10,000 × 20,000
    .venv/bin/python benchmarks/rounds.py --national   # a national authority, end to end

``--national`` (issue 13): the authority of ``familyfinder fixtures generate DIR
--children 84000 --households 43000 --seed 7 --as-of 2026-12-01`` (the same
``generate_authority`` call), then what the round service does: ``build_instance`` with
``ROUND_MAX_PAIRS`` and ``solve_round`` in both modes with the default parameters, in a
subprocess whose peak RSS is reported. Target: each round within 5 minutes and 8 GB.
Afterwards (not timed) the independent checker re-checks each result and the gap
report's placeable count (every feasible pair, no cap) says how many children any
allocation could place.

Every (case, method) runs in its own subprocess so that the peak resident memory
(``ru_maxrss``, which includes OR-Tools' C++ allocations) belongs to that method
alone. Each answer is re-checked by the independent checker in
``tests/matching/round_checker.py`` after the clock has stopped.

Methods: ``solve_round`` (the product); ``greedy`` (priority order, quality baseline);
``flow_alone`` (allocate with sibling units: the repaired flow relaxation without
CP-SAT); ``scipy_sparse`` (plain allocation as a sparse assignment with one column per
vacancy, scipy ``min_weight_full_bipartite_matching``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from matching.assignment.prepared import SCORE_SCALE  # noqa: E402
from matching.instance import MatchingInstance  # noqa: E402
from matching.rounds import RoundParams, greedy_round, random_instance, solve_round  # noqa: E402


def _params(spec: dict[str, Any]) -> RoundParams:
    return RoundParams(
        mode=spec["mode"],
        time_limit_s=spec["time_limit_s"],
        workers=spec.get("workers"),
        seed=0,
    )


def _instance(spec: dict[str, Any]) -> MatchingInstance:
    return random_instance(
        spec["units"],
        spec["households"],
        sibling_share=spec["sibling_share"],
        apart_share=spec["apart_share"],
        seed=spec.get("seed", 1),
    )


def _flow_alone(inst: MatchingInstance, params: RoundParams) -> dict[str, Any]:
    from matching.assignment.flow import allocation_relaxation
    from matching.assignment.plan import total_value
    from matching.assignment.prepared import prepare
    from matching.assignment.search import _from_relaxation

    prep = prepare(inst, allocate=True, contact_bonus=params.sibling_contact_bonus)
    relax = allocation_relaxation(prep)
    chosen = _from_relaxation(prep, relax)
    children, weight = total_value(prep, chosen, params.sibling_contact_km)
    return {"coverage": children, "objective": weight / SCORE_SCALE}


def _scipy_sparse(inst: MatchingInstance) -> dict[str, Any]:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    vac = np.array([h.vacancies for h in inst.households])
    prio = np.array([u.priority for u in inst.units])
    slot_start = np.concatenate([[0], np.cumsum(vac)])
    w = np.rint(prio[inst.pair_unit] * inst.pair_score * SCORE_SCALE).astype(np.int64)
    reps = vac[inst.pair_household]
    rows = np.repeat(inst.pair_unit, reps)
    offs = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    cols = np.repeat(slot_start[inst.pair_household], reps) + offs
    # every unit can be placed in these instances, so a full matching of the units
    # is the coverage optimum; costs must be positive (zero means 'no edge')
    cost = np.repeat(int(w.max()) + 1 - w, reps).astype(np.float64)
    graph = sp.csr_matrix((cost, (rows, cols)), shape=(len(inst.units), int(vac.sum())))
    row, col = min_weight_full_bipartite_matching(graph)
    slot_household = np.repeat(np.arange(len(vac)), vac)
    key = dict(
        zip(
            zip(inst.pair_unit.tolist(), inst.pair_household.tolist(), strict=True),
            w.tolist(),
            strict=True,
        )
    )
    total = sum(
        key[(u, int(slot_household[c]))] for u, c in zip(row.tolist(), col.tolist(), strict=True)
    )
    return {"coverage": len(row), "objective": total / SCORE_SCALE}


def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one (case, method) in this process and describe the outcome."""
    inst = _instance(spec)
    params = _params(spec)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    method = spec["method"]
    result = None
    if method == "solve_round":
        result = solve_round(inst, params)
    elif method == "greedy":
        result = greedy_round(inst, params)
    elif method == "flow_alone":
        out = _flow_alone(inst, params)
    elif method == "scipy_sparse":
        out = _scipy_sparse(inst)
    else:
        raise ValueError(method)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if result is not None:
        coverage = result.children_placed if params.mode == "allocate" else result.units_covered
        out = {
            "coverage": coverage,
            "objective": result.objective,
            "bound": result.best_bound,
            "coverage_bound": result.coverage_bound,
            "gap": result.gap,
            "status": result.status,
            "solver": result.solver,
        }
        from tests.matching.round_checker import round_problems

        out["valid"] = not round_problems(inst, result, params)
    out.update(wall_s=wall, peak_mb=peak_mb, instance_mb=base_rss / 1024, pairs=inst.n_pairs)
    return out


NATIONAL = {"children": 84_000, "households": 43_000, "seed": 7, "as_of": "2026-12-01"}


def run_national() -> dict[str, Any]:
    """The national round end to end, in this process (see the module docstring)."""
    from datetime import date

    from matching.feasibility import ROUND_MAX_PAIRS, build_instance
    from matching.gaps import gap_report
    from matching.policy import default_policy
    from matching.synthetic import generate_authority
    from tests.matching.round_checker import round_problems

    as_of = date.fromisoformat(NATIONAL["as_of"])  # type: ignore[arg-type]
    authority = generate_authority(
        int(NATIONAL["children"]), int(NATIONAL["households"]), seed=7, as_of=as_of
    )
    policy = default_policy()
    out: dict[str, Any] = {}
    started = time.perf_counter()
    feasibility = build_instance(authority, as_of=as_of, policy=policy, max_pairs=ROUND_MAX_PAIRS)
    out["instance_s"] = time.perf_counter() - started
    print(f"  instance built in {out['instance_s']:.1f} s", file=sys.stderr, flush=True)
    inst = feasibility.instance
    out.update(units=len(inst.units), pairs=inst.n_pairs, kept_per_unit=feasibility.kept_per_unit)
    results = {}
    for mode in ("allocate", "shortlist"):
        params = RoundParams(mode=mode)
        started = time.perf_counter()
        result = solve_round(inst, params)
        results[mode] = (result, params)
        out[mode] = {
            "round_s": time.perf_counter() - started,
            "coverage": result.children_placed if mode == "allocate" else result.units_covered,
            "coverage_bound": result.coverage_bound,
            "objective": result.objective,
            "gap": result.gap,
            "status": result.status,
            "deterministic": result.deterministic,
        }
        print(f"  {mode}: {json.dumps(out[mode])}", file=sys.stderr, flush=True)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {json.dumps(out)}", file=sys.stderr, flush=True)
    for mode, (result, params) in results.items():
        out[mode]["valid"] = not round_problems(inst, result, params)
    report = gap_report(authority, as_of=as_of, policy=policy)
    out["placeable_any_allocation"] = report.children_placeable
    out["placeable_exact"] = report.placeability.exact
    return out


def _cases(quick: bool, workers: list[int]) -> list[dict[str, Any]]:
    sizes = [(1000, 2000, 20.0)] if quick else [(1000, 2000, 20.0), (10000, 20000, 115.0)]
    cases = []
    for n_u, n_h, limit in sizes:
        for siblings in (False, True):
            for mode in ("shortlist", "allocate"):
                base = {
                    "units": n_u,
                    "households": n_h,
                    "mode": mode,
                    "sibling_share": 0.3 if siblings else 0.0,
                    "apart_share": 0.05 if siblings else 0.0,
                    "time_limit_s": limit,
                }
                methods = ["solve_round", "greedy"]
                if mode == "allocate" and siblings:
                    methods.append("flow_alone")
                if mode == "allocate" and not siblings:
                    methods.append("scipy_sparse")
                for m in methods:
                    if m == "solve_round" and mode == "allocate" and siblings and n_u <= 1000:
                        cases += [{**base, "method": m, "workers": w} for w in workers]
                    else:
                        cases.append({**base, "method": m})
    return cases


def _fmt(x: Any, digits: int = 2) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return str(x)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="1,000 × 2,000 only")
    ap.add_argument(
        "--workers", default="1", help="CP-SAT worker counts to compare on 1k siblings, e.g. 1,8"
    )
    ap.add_argument(
        "--national", action="store_true", help="84,000 children × 43,000 households, end to end"
    )
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--national-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(json.loads(args.one))))
        return
    if args.national_child:
        print(json.dumps(run_national()))
        return
    if args.national:
        import os

        print(f"load average (1, 5, 15 min): {os.getloadavg()}")
        proc = subprocess.run(
            [sys.executable, __file__, "--national-child"], stdout=subprocess.PIPE, text=True
        )
        if proc.returncode != 0:
            raise SystemExit(1)
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        print(json.dumps(out, indent=1))
        print(f"load average after: {os.getloadavg()}")
        ok = out["peak_mb"] <= 8 * 1024 and all(
            out["instance_s"] + out[m]["round_s"] <= 300 and out[m]["valid"]
            for m in ("allocate", "shortlist")
        )
        raise SystemExit(0 if ok else 1)
    workers = [int(w) for w in args.workers.split(",")]
    rows = []
    greedy_obj: dict[tuple[Any, ...], float] = {}
    for spec in _cases(args.quick, workers):
        proc = subprocess.run(
            [sys.executable, __file__, "--one", json.dumps(spec)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            continue
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        key = (spec["units"], spec["mode"], spec["sibling_share"])
        if spec["method"] == "greedy":
            greedy_obj[key] = out["objective"]
        rows.append((spec, out, key))
        print(
            f"  done {spec['units']} {spec['mode']} sib={spec['sibling_share']} {spec['method']}: "
            f"{out['wall_s']:.1f}s",
            file=sys.stderr,
            flush=True,
        )
    print(
        "| size | mode | siblings | method | wall s | coverage (bound) | objective | bound | gap | "
        "vs greedy | peak MB | status | valid |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for spec, out, key in rows:
        method = spec["method"] + (f" ({spec['workers']}w)" if spec.get("workers") else "")
        cov = f"{out['coverage']:,}" + (
            f" ({out['coverage_bound']:,})" if "coverage_bound" in out else ""
        )
        ratio = out["objective"] / greedy_obj[key] if greedy_obj.get(key) else None
        gap = f"{out['gap'] * 100:.3f}%" if "gap" in out else "—"
        print(
            f"| {spec['units']:,}×{spec['households']:,} | {spec['mode']} | "
            f"{'30% + 5% apart' if spec['sibling_share'] else 'none'} | {method} | "
            f"{out['wall_s']:.2f} | {cov} | "
            f"{_fmt(out['objective'])} | {_fmt(out.get('bound'))} | {gap} | {_fmt(ratio, 4)} | "
            f"{out['peak_mb']:,.0f} | {out.get('status', '—')} | {_fmt(out.get('valid'))} |"
        )


if __name__ == "__main__":
    main()
