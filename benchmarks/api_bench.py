"""REST API latency: the shortlist endpoint at 1 and 20 concurrent clients, and health.

Builds a throwaway PostgreSQL database with a synthetic authority (default 10,000
children, 50,000 households), starts `familyfinder serve` in its own process on a
loopback port, signs in as a family finder and drives `GET /api/children/{id}/shortlist`
from a thread-pool load generator (bounded by request count and wall time), then
`GET /api/health` as the framework floor. Warm: the pool snapshot is loaded by a first
request before timing starts. Target: shortlist p50 <= 25 ms at 1 client.

    .venv/bin/python benchmarks/api_bench.py
    .venv/bin/python benchmarks/api_bench.py --children 2000 --households 5000 --requests 100
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


def load(url: str, children: int, households: int, seed: int) -> list[str]:
    """Migrate, store the synthetic authority and a user; the ids worth shortlisting."""
    upgrade(url)
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


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FAMILYFINDER_DATABASE_URL": url,
        "FAMILYFINDER_SECRET_KEY": "bench-secret-" + "k" * 40,
    }
    command = [str(Path(sys.executable).parent / "familyfinder"), "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
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
    args = parser.parse_args()

    admin_url = os.environ.get("FAMILYFINDER_BENCH_PG_URL", DEFAULT_PG_URL)
    url = create_database(admin_url)
    process = None
    try:
        started = time.perf_counter()
        child_ids = load(url, args.children, args.households, args.seed)
        print(
            f"loaded {args.children} children, {args.households} households "
            f"in {time.perf_counter() - started:.1f} s; {len(child_ids)} to shortlist"
        )
        port = free_port()
        process = start_server(url, port)
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

        rows = []
        for name, call, clients in (
            ("health", health, 1),
            ("shortlist", shortlist, 1),
            ("shortlist", shortlist, 20),
        ):
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


if __name__ == "__main__":
    main()
