"""Page timings on the demo authority: server time of the pages a family finder works in.

Builds a throwaway database (SQLite by default, or PostgreSQL with --database-url) with
fixtures/demo imported as `serve --demo` does, runs the app in process (Starlette's
TestClient: no network, so the time of a request is the server's time), signs in as
the demo family finder and times, after one warm-up request each (the pool snapshot
is loaded once per process):

    child page    GET /children/{id} for waiting children with a family-found plan
                  (record, shortlist of 10 stored and audited, siblings, proposal)
    waiting list  GET /children (the first page, the dashboard) and a search
    household     GET /households/{id}
    check page    GET /children/{id}/proposals/new (the proposal's preview)
    panel paper   GET /proposals/{id}
    gap page      GET /gaps, as the demo recruiter (the latest publication) and as the
                  demo administrator (today's report), after the first request (which
                  publishes or computes the report: seconds)

Target (issue #15): the child page and the gap page (after the first) under 100 ms of
server time on the demo authority.
Prints median, 90th percentile and maximum per page; no assertion (the machine is
shared, so note its load with the figures: `uptime`).

    .venv/bin/python benchmarks/pages_bench.py
    .venv/bin/python benchmarks/pages_bench.py --children 100
    .venv/bin/python benchmarks/pages_bench.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/ff_pages_bench
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.services.demo import DEMO_AS_OF, prepare_demo
from api.settings import Settings
from models.db import make_engine
from models.migrate import upgrade

SECRET = "pages-bench-secret-key-0123456789abcdef"


def _timed(client: TestClient, path: str) -> tuple[float, str]:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {path}: {response.status_code}")
    return elapsed, response.text


def _report(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    print(
        f"{name:<14} n={len(times):<4} median {statistics.median(times):7.1f} ms   "
        f"p90 {p90:7.1f} ms   max {ordered[-1]:7.1f} ms"
    )


def _signed_in(app: object, username: str, password: str) -> TestClient:
    client = TestClient(app)  # type: ignore[arg-type]
    login = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert token is not None
    signed = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=50, help="child pages to time")
    parser.add_argument("--repeat", type=int, default=20, help="times for the other pages")
    parser.add_argument("--database-url", default=None, help="an empty database (default: SQLite)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ff-pages-bench-") as directory:
        url = args.database_url or f"sqlite:///{Path(directory) / 'demo.db'}"
        upgrade(url)
        engine = make_engine(url)
        started = time.perf_counter()
        with Session(engine, expire_on_commit=False) as session:
            setup = prepare_demo(session, as_of=DEMO_AS_OF)
        engine.dispose()
        print(
            f"demo authority: {setup.children} children, {setup.households} households "
            f"(imported in {time.perf_counter() - started:.1f} s) on {url.split(':')[0]}"
        )
        app = create_app(Settings(database_url=url, secret_key=SECRET))  # type: ignore[call-arg]
        with TestClient(app) as client:
            login = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', login)
            assert token is not None
            signed = client.post(
                "/login",
                data={
                    "username": "finder",
                    "password": "finder-demo-2026",
                    "csrf_token": token.group(1),
                },
                follow_redirects=False,
            )
            assert signed.status_code == 303, signed.text
            _first, listing = _timed(client, "/children?sort=id")
            pages = [_timed(client, f"/children?sort=id&page={n}")[1] for n in range(2, 12)]
            ids = re.findall(r'data-child-id="([^"]+)"', listing + "".join(pages))
            ids = ids[: args.children]

            def repeat(path: Callable[[int], str], times: int) -> list[float]:
                _timed(client, path(0))  # warm
                return [_timed(client, path(i))[0] for i in range(times)]

            child_times = []
            _timed(client, f"/children/{ids[0]}")  # warm: the snapshot and the templates
            shown: dict[str, str] = {}
            for child_id in ids:
                elapsed, text = _timed(client, f"/children/{child_id}")
                child_times.append(elapsed)
                shown[child_id] = text
            _report("child page", child_times)
            _report("waiting list", repeat(lambda i: "/children", args.repeat))
            _report("search", repeat(lambda i: "/children?q=a&sort=age", args.repeat))
            households = sorted(
                {h for t in shown.values() for h in re.findall(r'data-household-id="([^"]+)"', t)}
            )
            if households:
                _report(
                    "household",
                    repeat(lambda i: f"/households/{households[i % len(households)]}", args.repeat),
                )
            links = [
                link.replace("&amp;", "&")
                for t in shown.values()
                for link in re.findall(r'href="(/children/[^"]+/proposals/new[^"]*)"', t)
            ]
            if links:
                _report("check page", repeat(lambda i: links[i % len(links)], args.repeat))
                check = client.get(links[0]).text
                form = dict(
                    re.findall(r'name="(run_id|household_id|csrf_token)" value="([^"]+)"', check)
                )
                child_id = links[0].split("/")[2]
                made = client.post(
                    f"/children/{child_id}/proposals", data=form, follow_redirects=False
                )
                paper = made.headers["location"].split("?")[0]
                _report("panel paper", repeat(lambda i: paper, args.repeat))
            for username, password in (
                ("recruiter", "recruiter-demo-2026"),
                ("admin", "admin-demo-2026"),
            ):
                with _signed_in(app, username, password) as gaps_client:
                    first, _ = _timed(gaps_client, "/gaps")
                    print(f"gap page ({username}): first request {first:.0f} ms")
                    times = [_timed(gaps_client, "/gaps")[0] for _ in range(args.repeat)]
                    _report(f"gaps {username}", times)


if __name__ == "__main__":
    main()
