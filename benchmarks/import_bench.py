"""Benchmark: `familyfinder import` of 100,000 children and 50,000 households.

Generates a synthetic authority (matching.synthetic) into a temporary directory, then
times the real CLI, in a child process, importing it into a new SQLite file and into a
throwaway PostgreSQL database. Reports wall time and the child's peak memory
(ru_maxrss from wait4) and prints markdown table rows for benchmarks/README.md.

    .venv/bin/python benchmarks/import_bench.py                     # full size
    .venv/bin/python benchmarks/import_bench.py --children 10000 --households 5000
    .venv/bin/python benchmarks/import_bench.py --no-postgres
    FAMILYFINDER_BENCH_PG_URL=postgresql+psycopg://user@host:5432/postgres ...

Each target is imported twice: the first run inserts everything, the second updates
every record (the upsert path).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 6, 1)
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def familyfinder() -> str:
    beside = Path(sys.executable).with_name("familyfinder")
    return str(beside) if beside.exists() else "familyfinder"


def timed_import(directory: Path, database_url: str) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one `familyfinder import` child process."""
    env = {**os.environ, "FAMILYFINDER_DATABASE_URL": database_url}
    command = [familyfinder(), "import", str(directory), "--as-of", AS_OF.isoformat()]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    # wait4 reaped the child: read its pipes directly (small outputs) and close them.
    assert process.stdout is not None and process.stderr is not None
    out = process.stdout.read().decode()
    err = process.stderr.read().decode()
    process.stdout.close()
    process.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"import failed ({code}):\n{out}\n{err}")
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def generate(directory: Path, n_children: int, n_households: int, seed: int) -> float:
    from api.services.exports import generate_fixtures

    start = time.perf_counter()
    generate_fixtures(
        directory, n_children=n_children, n_households=n_households, seed=seed, as_of=AS_OF
    )
    return time.perf_counter() - start


def postgres_database(admin_url: str) -> tuple[str, object]:
    """Create a throwaway database; return its URL and a function that drops it."""
    name = f"ff_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ff-import-bench-") as tmp:
        data = Path(tmp) / "authority"
        gen_s = generate(data, args.children, args.households, args.seed)
        size_mb = sum(p.stat().st_size for p in data.iterdir()) / 1e6
        print(
            f"generated {args.children} children, {args.households} households "
            f"({size_mb:.1f} MB of CSV) in {gen_s:.1f} s",
            file=sys.stderr,
        )
        results: list[tuple[str, str, float, float]] = []

        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        for run in ("insert", "update"):
            wall, peak = timed_import(data, sqlite_url)
            results.append(("SQLite", run, wall, peak))
            print(f"SQLite {run}: {wall:.1f} s, {peak:.0f} MiB", file=sys.stderr)

        if not args.no_postgres:
            admin_url = os.environ.get("FAMILYFINDER_BENCH_PG_URL", DEFAULT_PG_URL)
            pg_url, drop = postgres_database(admin_url)
            try:
                for run in ("insert", "update"):
                    wall, peak = timed_import(data, pg_url)
                    results.append(("PostgreSQL", run, wall, peak))
                    print(f"PostgreSQL {run}: {wall:.1f} s, {peak:.0f} MiB", file=sys.stderr)
            finally:
                drop()  # type: ignore[operator]

    today = date.today().isoformat()
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}"
    print("| date | machine | database | run | children | households | wall s | peak MiB |")
    print("|---|---|---|---|---:|---:|---:|---:|")
    for database, run, wall, peak in results:
        print(
            f"| {today} | {machine} | {database} | {run} | {args.children:,} | "
            f"{args.households:,} | {wall:.1f} | {peak:.0f} |"
        )


if __name__ == "__main__":
    main()
