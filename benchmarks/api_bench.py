"""REST API latency: the shortlist endpoint at 1 and 20 concurrent clients, health, and
the audited reads of many children (a page of the children's list, a round's result).

Builds a throwaway PostgreSQL database with a synthetic authority (default 10,000
children, 50,000 households), starts `familyfinder serve` in its own process on a
loopback port, signs in as a family finder and drives `GET /api/children/{id}/shortlist`
from a thread-pool load generator (bounded by request count and wall time), then
`GET /api/health` as the framework floor. Warm: the pool snapshot is loaded by a first
request before timing starts. Target: shortlist p50 <= 25 ms at 1 client.

`--audited-lists` also measures `GET /api/children?limit=50` (one audit row naming the
50 children returned) and `GET /api/rounds/{round_id}` of one finished allocation round
(one audit row naming every child in it), the reads issue #13 found unaudited. With
`--tree DIR` the server runs from another checkout (the database is migrated by that
checkout), so the same run measures the code before a change:

    .venv/bin/python benchmarks/api_bench.py
    .venv/bin/python benchmarks/api_bench.py --children 2000 --households 5000 --requests 100
    .venv/bin/python benchmarks/api_bench.py --audited-lists [--tree /tmp/ff-before]
    FAMILYFINDER_BENCH_PG_URL=postgresql+psycopg://user@host:5432/postgres ...
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.services.users import create_user
from matching.synthetic import generate_authority
from matching.vocab import NOT_FAMILY_FOUND_PLANS
from models.db import make_engine
from models.migrate import upgrade
from models.store import bump_data_version, upsert_authority

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
AS_OF = date(2026, 6, 1)
PASSWORD = "bench-password-1"
ROOT = Path(__file__).resolve().parents[1]


def create_database(admin_url: str) -> str:
    name = f"ff_bench_api_{uuid.uuid4().hex[:10]}"
    engine = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    engine = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def migrate(url: str, tree: Path) -> None:
    """Bring the database up to `tree`'s schema, with `tree`'s own migrations."""
    if tree == ROOT:
        upgrade(url)
        return
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from models.migrate import upgrade; upgrade(sys.argv[1])",
            url,
        ],
        env={**os.environ, "PYTHONPATH": str(tree)},
        cwd=tree,
        check=True,
    )


def load(url: str, children: int, households: int, seed: int, tree: Path = ROOT) -> list[str]:
    """Migrate, store the synthetic authority and a user; the ids worth shortlisting."""
    migrate(url, tree)
    authority = generate_authority(children, households, seed=seed, as_of=AS_OF)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        upsert_authority(session, authority)
        bump_data_version(session)
        session.commit()
        create_user(session, "bench", PASSWORD, "family_finder")
    engine.dispose()
    return [
        c.child_id
        for c in authority.children
        if c.status == "waiting" and c.plan not in NOT_FAMILY_FOUND_PLANS
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CLI = "import sys; from api.cli import app; sys.argv[0] = 'familyfinder'; app()"


def start_server(url: str, port: int, tree: Path = ROOT) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FAMILYFINDER_DATABASE_URL": url,
        "FAMILYFINDER_SECRET_KEY": "bench-secret-" + "k" * 40,
        "PYTHONPATH": str(tree),
    }
    command = [sys.executable, "-c", CLI, "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def measure(
    call: Callable[[httpx.Client], None],
    *,
    clients: int,
    requests: int,
    max_seconds: float,
) -> list[float]:
    """Latencies (s) of up to `requests` calls spread over `clients` threads."""
    deadline = time.monotonic() + max_seconds
    per_client = max(1, requests // clients)

    def worker(_: int) -> list[float]:
        timings = []
        with httpx.Client(timeout=60) as client:
            for _ in range(per_client):
                if time.monotonic() > deadline:
                    break
                started = time.perf_counter()
                call(client)
                timings.append(time.perf_counter() - started)
        return timings

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return [t for chunk in pool.map(worker, range(clients)) for t in chunk]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200, help="per concurrency level")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="per level")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--audited-lists",
        action="store_true",
        help="also the children's list and a round's result (each read one audit row)",
    )
    parser.add_argument("--tree", type=Path, default=ROOT, help="source tree to serve")
    args = parser.parse_args()
    tree = args.tree.resolve()

    admin_url = os.environ.get("FAMILYFINDER_BENCH_PG_URL", DEFAULT_PG_URL)
    url = create_database(admin_url)
    process = None
    try:
        started = time.perf_counter()
        child_ids = load(url, args.children, args.households, args.seed, tree)
        print(
            f"loaded {args.children} children, {args.households} households "
            f"in {time.perf_counter() - started:.1f} s; {len(child_ids)} to shortlist"
        )
        port = free_port()
        process = start_server(url, port, tree)
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(
            f"{base}/api/token", data={"username": "bench", "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        rng = random.Random(args.seed)

        def shortlist(client: httpx.Client) -> None:
            child_id = rng.choice(child_ids)
            response = client.get(
                f"{base}/api/children/{child_id}/shortlist",
                params={"as_of": AS_OF.isoformat(), "top": 10},
                headers=headers,
            )
            if response.status_code not in (200, 422):  # 422: plan not family-found
                raise RuntimeError(f"{response.status_code}: {response.text[:200]}")

        def health(client: httpx.Client) -> None:
            client.get(f"{base}/api/health").raise_for_status()

        warm_started = time.perf_counter()
        with httpx.Client(timeout=120) as client:
            shortlist(client)
        print(f"first shortlist (pool loaded at start): {time.perf_counter() - warm_started:.2f} s")
        measure(shortlist, clients=1, requests=10, max_seconds=30)  # warm-up

        plan: list[tuple[str, Callable[[httpx.Client], None], int]] = [
            ("health", health, 1),
            ("shortlist", shortlist, 1),
            ("shortlist", shortlist, 20),
        ]
        if args.audited_lists:
            plan += audited_reads(base, headers, rng, args.children)
        rows = []
        for name, call, clients in plan:
            timings = measure(
                call, clients=clients, requests=args.requests, max_seconds=args.max_seconds
            )
            rows.append(
                (name, clients, len(timings), statistics.median(timings), percentile(timings, 0.95))
            )
        print()
        print("| endpoint | clients | requests | p50 ms | p95 ms |")
        print("|---|---:|---:|---:|---:|")
        for name, clients, count, p50, p95 in rows:
            print(f"| {name} | {clients} | {count} | {p50 * 1000:.1f} | {p95 * 1000:.1f} |")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        drop_database(admin_url, url)


def audited_reads(
    base: str, headers: dict[str, str], rng: random.Random, children: int
) -> list[tuple[str, Callable[[httpx.Client], None], int]]:
    """The children's list (50 a page, anywhere in it) and one finished round's result,
    each at 1 client; the round is run first (10 s limit) and waited for."""
    started = httpx.post(
        f"{base}/api/rounds",
        json={"as_of": AS_OF.isoformat(), "mode": "allocate", "time_limit_s": 10},
        headers=headers,
        timeout=60,
    )
    started.raise_for_status()
    round_url = f"{base}/api/rounds/{started.json()['round_id']}"
    with httpx.Client(timeout=300) as client:
        while True:  # bounded by the round's own time limit
            status = client.get(round_url, headers=headers).json()
            if status["status"] not in ("queued", "running"):
                break
            time.sleep(1)
    if status["status"] != "done":
        raise RuntimeError(f"the round did not finish: {status}")
    in_round = sum(len(unit["children"]) for unit in status["result"]["units"])
    print(f"round {status['round_id']} done: {in_round} children in its result")

    def children_page(client: httpx.Client) -> None:
        offset = rng.randrange(0, max(children - 50, 1))
        client.get(
            f"{base}/api/children", params={"limit": 50, "offset": offset}, headers=headers
        ).raise_for_status()

    def round_result(client: httpx.Client) -> None:
        client.get(round_url, headers=headers).raise_for_status()

    return [("children (50 a page)", children_page, 1), ("round result", round_result, 1)]


if __name__ == "__main__":
    main()
