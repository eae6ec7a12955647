"""End-to-end time of `familyfinder shortlist` against a 50,000-household SQLite database.

    .venv/bin/python benchmarks/shortlist_cli_bench.py [--households 50000]
        [--children 2000] [--runs 5]

Generates a synthetic authority (`matching.synthetic.generate_authority`), writes it as
CSV and imports it with the import service into a new SQLite file, then times `--runs`
CLI invocations, each a child process as a user would run it: interpreter start and
imports, migration check, loading the pool from the database, the shortlist itself and
storing it. For comparison it times `familyfinder --help` (start-up alone) and, in
process, the shortlist service on a warm pool snapshot: what each request of a
long-running server costs. Prints markdown table rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from api.services.exports import write_directory
from api.services.imports import import_directory
from api.services.shortlists import run_shortlist
from api.services.snapshot import get_snapshot
from matching.policy import default_policy
from matching.shortlist import MatchingContext
from matching.synthetic import generate_authority
from models.db import make_engine
from models.migrate import upgrade

AS_OF = date(2026, 6, 1)


def familyfinder() -> str:
    beside = Path(sys.executable).with_name("familyfinder")
    return str(beside) if beside.exists() else "familyfinder"


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def pick_child(context: MatchingContext) -> str:
    """A waiting child on a long-term fostering plan with needs, alone in its unit."""
    for unit in context.units:
        child = context.children[unit[0]]
        if (
            len(unit) == 1
            and child.status == "waiting"
            and child.plan == "long_term_foster"
            and child.needs
        ):
            return child.child_id
    return context.units[0][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--children", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ff-shortlist-bench-") as tmp:
        directory = Path(tmp) / "authority"
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        authority = generate_authority(args.children, args.households, seed=1, as_of=AS_OF)
        write_directory(authority, directory)
        upgrade(url)
        engine = make_engine(url)
        policy = default_policy()
        with Session(engine, expire_on_commit=False) as session:
            started = time.perf_counter()
            import_directory(session, directory, as_of=AS_OF, requested_by="bench")
            import_s = time.perf_counter() - started
            snapshot = get_snapshot(session, policy)
            child_id = pick_child(snapshot.context)
            load_s = snapshot.load_s
            warm = []
            for _ in range(20):
                started = time.perf_counter()
                run_shortlist(session, child_id, as_of=AS_OF, policy=policy, requested_by="bench")
                warm.append((time.perf_counter() - started) * 1000)
        engine.dispose()

        env = {**os.environ, "FAMILYFINDER_DATABASE_URL": url}
        env.pop("FAMILYFINDER_POLICY_FILE", None)
        command = [familyfinder(), "shortlist", child_id, "--as-of", AS_OF.isoformat(), "--json"]
        timed(command, env)  # warm the OS file cache
        cli = [timed(command, env) for _ in range(args.runs)]
        startup = [timed([familyfinder(), "--help"], env) for _ in range(args.runs)]

    print(
        f"{args.households} households, {args.children} children (SQLite); import "
        f"{import_s:.1f} s; pool snapshot load {load_s:.2f} s; child {child_id}; "
        f"{args.runs} CLI runs\n"
    )
    print("| measure | median | min | max |")
    print("|---|---:|---:|---:|")
    for name, values, unit in (
        ("`familyfinder shortlist --json`, end to end (child process)", cli, "s"),
        ("`familyfinder --help` (start-up and imports only)", startup, "s"),
    ):
        print(
            f"| {name} | {statistics.median(values):.2f} {unit} | {min(values):.2f} {unit} "
            f"| {max(values):.2f} {unit} |"
        )
    print(
        f"| shortlist service on a warm snapshot (in process, incl. storing the run) "
        f"| {statistics.median(warm):.1f} ms | {min(warm):.1f} ms | {max(warm):.1f} ms |"
    )


if __name__ == "__main__":
    main()
