"""What auditing a read of many children costs: the same request with and without its
audit row, alternated in one process so the machine's load falls on both alike.

Builds a throwaway PostgreSQL database with a synthetic authority (default 2,000
children, 5,000 households: the size `api_bench.py --audited-lists` uses), runs one
allocation round, and times through the app (FastAPI's TestClient, no network):

* `GET /api/children?limit=50`: one audit row naming the 50 children returned, against
  the same request with the row's subject left as before issue #13 (no children named);
* `GET /api/rounds/{round_id}` of the finished round: one audit row (its own
  transaction) naming every child in the result, against the same request with no
  audit row at all (as before issue #13).

"Without" is the service with its audit call replaced for the measurement only.
Blocks of `--block` requests alternate between with and without, `--blocks` times each.

    .venv/bin/python benchmarks/audit_bench.py
    .venv/bin/python benchmarks/audit_bench.py --children 10000 --households 50000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_bench import AS_OF, DEFAULT_PG_URL, PASSWORD, create_database, drop_database, load

from api.app import create_app
from api.requests import RoundRequest
from api.services import audit, children, round_jobs
from api.services.round_jobs import run_round_now
from api.settings import Settings
from matching.policy import default_policy
from models.db import make_engine


@contextmanager
def replaced(module: Any, name: str, value: Any) -> Any:
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


def children_unnamed(
    session: Session, actor: audit.Actor, action: str, named: Iterable[str], what: str
) -> None:
    """The list's audit row as it was before: its query, no children named."""
    audit.record(session, actor, action, subject=what)


def no_audit(*_args: Any, **_kwargs: Any) -> None:
    """A round's result read without an audit row (as it was before)."""


def timed(call: Callable[[], Any], count: int) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=2000)
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--block", type=int, default=50, help="requests per block")
    parser.add_argument("--blocks", type=int, default=6, help="blocks of each kind")
    args = parser.parse_args()

    admin_url = os.environ.get("FAMILYFINDER_BENCH_PG_URL", DEFAULT_PG_URL)
    url = create_database(admin_url)
    try:
        load(url, args.children, args.households, args.seed)
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            round_id, document = run_round_now(
                session,
                RoundRequest(as_of=AS_OF, time_limit_s=10),
                policy=default_policy(),
                requested_by="bench",
            )
        engine.dispose()
        in_round = len({c for unit in document.units for c in unit.children})
        app = create_app(Settings(database_url=url, secret_key="bench-secret-" + "k" * 40))
        with TestClient(app) as client:
            token = client.post("/api/token", data={"username": "bench", "password": PASSWORD})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

            def children_page() -> None:
                client.get("/api/children", params={"limit": 50}, headers=headers)

            def round_result() -> None:
                client.get(f"/api/rounds/{round_id}", headers=headers)

            listed = (children_page, children, "record_children", children_unnamed)
            result = (round_result, round_jobs, "record_children", no_audit)
            cases = {"children (50 a page)": listed, f"round result ({in_round} children)": result}
            print(f"as of {date.today()}; load {os.getloadavg()[0]:.1f}")
            print("| request | audit row | requests | p50 ms | mean ms |")
            print("|---|---|---:|---:|---:|")
            for name, (call, module, attribute, before) in cases.items():
                timed(call, 10)  # warm
                now: list[float] = []
                then: list[float] = []
                for _ in range(args.blocks):
                    now += timed(call, args.block)
                    with replaced(module, attribute, before):
                        then += timed(call, args.block)
                for label, values in (("naming the children", now), ("as before", then)):
                    print(
                        f"| {name} | {label} | {len(values)} | "
                        f"{statistics.median(values) * 1000:.1f} | "
                        f"{statistics.fmean(values) * 1000:.1f} |"
                    )
        app.state.engine.dispose()
    finally:
        drop_database(admin_url, url)


if __name__ == "__main__":
    main()
