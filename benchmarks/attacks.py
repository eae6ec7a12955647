"""The attacks of issue #13, re-runnable: parallel sign-ins, an anonymous upload flood,
and the embedded database under a mix of gap reports and reads.

Each attack starts `familyfinder serve --demo` from a source tree (this one by default,
or an older checkout with --tree, to measure "before") on a loopback port with a fresh
database, and talks to it only over 127.0.0.1. Requests are bounded in number; the
script stops the server itself.

    .venv/bin/python benchmarks/attacks.py logins            # 60 parallel for one user
    .venv/bin/python benchmarks/attacks.py address           # 80 parallel from one address
    .venv/bin/python benchmarks/attacks.py upload            # 590 MiB, no token
    .venv/bin/python benchmarks/attacks.py load              # 6 gap reports + 50 reads, SQLite
    .venv/bin/python benchmarks/attacks.py load --postgres   # the same on PostgreSQL
    .venv/bin/python benchmarks/attacks.py differencing      # the report on 31 dates
    .venv/bin/python benchmarks/attacks.py whatif            # what-if pairs, one apart
    .venv/bin/python benchmarks/attacks.py rounds            # 50 rounds at once
    .venv/bin/python benchmarks/attacks.py forwarded         # a forged X-Forwarded-For
    .venv/bin/python benchmarks/attacks.py all [--postgres]
    git worktree add /tmp/ff-before <commit>; ... attacks.py logins --tree /tmp/ff-before

What is reported: how many passwords the server checked (a 401 or a 200 means it
checked one; a 429 or a 503 means it refused without checking), the server's peak
memory (VmHWM), the slowest answer to another signed-in request during the attack, the
bytes an anonymous upload got through before its 401, the most the server's temporary
directory held, and the statuses the load mix got; for the recruitment role, how many
published cells change by exactly one from one date to the next and how many what-if
pairs differ by 1 to 9 children; how many of a burst of rounds were queued; which
address the audit trail recorded for a forged X-Forwarded-For.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get(
    "FAMILYFINDER_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
VICTIM_PASSWORD = "Victim-passphrase-2026"
DEMO_AS_OF = "2026-11-01"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    tmpdir: Path
    env: dict[str, str]

    def peak_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cli(self, *args: str, stdin: str = "") -> None:
        subprocess.run(
            [sys.executable, "-c", _CLI, *args],
            input=stdin,
            text=True,
            env=self.env,
            check=True,
            capture_output=True,
        )


_CLI = "import sys; from api.cli import app; sys.argv[0] = 'familyfinder'; app()"


def _pg_database() -> tuple[str, str]:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from models.db import make_engine

    name = f"ff_attack_{uuid.uuid4().hex[:10]}"
    engine = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False), name


def _drop_pg(name: str) -> None:
    from sqlalchemy import text

    from models.db import make_engine

    engine = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@contextmanager
def serving(tree: Path, *, postgres: bool) -> Iterator[Server]:
    """`familyfinder serve --demo` from `tree` on a fresh database and a private TMPDIR."""
    work = Path(tempfile.mkdtemp(prefix="ff-attack-"))
    pg_name = None
    if postgres:
        url, pg_name = _pg_database()
    else:
        url = f"sqlite:///{work / 'attack.db'}"
    tmpdir = work / "tmp"
    tmpdir.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FAMILYFINDER_")},
        "FAMILYFINDER_DATABASE_URL": url,
        "FAMILYFINDER_SECRET_KEY": "attack-bench-secret-" + "k" * 40,
        "PYTHONPATH": str(tree),
        "TMPDIR": str(tmpdir),
    }
    port = free_port()
    log = (work / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", _CLI, "serve", "--demo", "--port", str(port)],
        cwd=tree,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(f"http://127.0.0.1:{port}", process, tmpdir, env)
    try:
        while True:  # bounded by the process: it answers, or it exits
            if process.poll() is not None:
                raise RuntimeError((work / "serve.log").read_text())
            try:
                if httpx.get(server.base + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        process.wait()
        log.close()
        if pg_name:
            _drop_pg(pg_name)
        shutil.rmtree(work, ignore_errors=True)


def token(server: Server, username: str, password: str) -> dict[str, str]:
    response = httpx.post(
        server.base + "/api/token", data={"username": username, "password": password}, timeout=None
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@contextmanager
def probing(server: Server, headers: dict[str, str]) -> Iterator[list[float]]:
    """Times a signed-in read, over and over, while the attack runs."""
    times: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client(timeout=None) as client:
            while not stop.is_set():
                started = time.perf_counter()
                client.get(server.base + "/api/households/H000001", headers=headers)
                times.append(time.perf_counter() - started)
                stop.wait(0.1)

    thread = threading.Thread(target=probe)
    thread.start()
    try:
        yield times
    finally:
        stop.set()
        thread.join()


def parallel_logins(server: Server, attempts: list[tuple[str, str]]) -> dict[str, object]:
    probe_headers = token(server, "finder", "finder-demo-2026")
    barrier = threading.Barrier(len(attempts))

    def attempt(pair: tuple[str, str]) -> int:
        username, password = pair
        barrier.wait()
        return httpx.post(
            server.base + "/api/token",
            data={"username": username, "password": password},
            timeout=None,
        ).status_code

    started = time.perf_counter()
    with probing(server, probe_headers) as probe, ThreadPoolExecutor(len(attempts)) as pool:
        statuses = list(pool.map(attempt, attempts))
    wall = time.perf_counter() - started
    counts = Counter(statuses)
    right = [s for (_u, p), s in zip(attempts, statuses, strict=True) if p == VICTIM_PASSWORD]
    return {
        "attempts": len(attempts),
        "statuses": dict(sorted(counts.items())),
        "passwords_checked": counts[401] + counts[200],
        "right_password_status": right[0] if right else None,
        "wall_s": round(wall, 2),
        "server_peak_mib": round(server.peak_mib()),
        "slowest_other_request_s": round(max(probe), 2) if probe else None,
    }


def attack_logins(tree: Path, postgres: bool) -> dict[str, object]:
    """60 parallel sign-ins for one username, the right password 43rd."""
    with serving(tree, postgres=postgres) as server:
        server.cli(
            "users",
            "add",
            "victim",
            "--role",
            "admin",
            "--password-stdin",
            stdin=VICTIM_PASSWORD + "\n",
        )
        attempts = [("victim", f"wrong-guess-{i}") for i in range(60)]
        attempts[42] = ("victim", VICTIM_PASSWORD)
        return parallel_logins(server, attempts)


def attack_address(tree: Path, postgres: bool) -> dict[str, object]:
    """80 parallel sign-ins from one address, each for another username."""
    with serving(tree, postgres=postgres) as server:
        return parallel_logins(server, [(f"user{i}", "guess-guess-guess") for i in range(80)])


def attack_upload(tree: Path, postgres: bool, mib: int = 590) -> dict[str, object]:
    """A multipart upload of `mib` MiB to /api/imports without a token."""
    boundary = "ffattack"
    sent = 0
    peak_tmp = 0
    done = threading.Event()

    with serving(tree, postgres=postgres) as server:

        def watch_tmp() -> None:
            # Spooled uploads are unlinked temporary files: only the server's open file
            # descriptors show them (their link names the directory and "(deleted)").
            nonlocal peak_tmp
            fds = Path(f"/proc/{server.process.pid}/fd")
            while not done.is_set():
                size = 0
                for fd in list(fds.iterdir()) if fds.exists() else []:
                    try:
                        if str(server.tmpdir) in os.readlink(fd):
                            size += fd.stat().st_size
                    except OSError:
                        pass  # closed meanwhile
                size += sum(p.stat().st_size for p in server.tmpdir.rglob("*") if p.is_file())
                peak_tmp = max(peak_tmp, size)
                done.wait(0.02)

        def body() -> Iterator[bytes]:
            nonlocal sent
            yield (
                f'--{boundary}\r\nContent-Disposition: form-data; name="children"; '
                'filename="children.csv"\r\nContent-Type: text/csv\r\n\r\n'
            ).encode()
            chunk = b"x" * (1 << 20)
            for _ in range(mib):
                sent += len(chunk)
                yield chunk
            yield f"\r\n--{boundary}--\r\n".encode()

        watcher = threading.Thread(target=watch_tmp)
        watcher.start()
        started = time.perf_counter()
        try:
            response = httpx.post(
                server.base + "/api/imports",
                content=body(),
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
                timeout=None,
            )
            status: object = response.status_code
        except httpx.HTTPError as error:  # the server may close the connection early
            status = f"connection closed ({type(error).__name__})"
        wall = time.perf_counter() - started
        done.set()
        watcher.join()
        return {
            "upload_mib": mib,
            "status": status,
            "client_sent_mib": round(sent / (1 << 20), 1),
            "server_tmp_peak_mib": round(peak_tmp / (1 << 20), 1),
            "wall_s": round(wall, 2),
            "server_peak_mib": round(server.peak_mib()),
        }


def attack_load(tree: Path, postgres: bool) -> dict[str, object]:
    """Six gap reports and 50 audited reads of child records at once. The reports are
    an administrator's, for six dates (each computed: the recruitment role now reads
    stored publications, which cost nothing to serve)."""
    first = date.fromisoformat(DEMO_AS_OF)
    with serving(tree, postgres=postgres) as server:
        admin = token(server, "admin", "admin-demo-2026")
        finder = token(server, "finder", "finder-demo-2026")
        calls = [
            ("gaps", admin, f"/api/gaps?as_of={first + timedelta(days=k)}") for k in range(6)
        ] + [("read", finder, f"/api/children/C{n:06d}") for n in range(1, 51)]
        barrier = threading.Barrier(len(calls))

        def call(item: tuple[str, dict[str, str], str]) -> tuple[str, int, float]:
            kind, headers, path = item
            barrier.wait()
            started = time.perf_counter()
            status = httpx.get(server.base + path, headers=headers, timeout=None).status_code
            return kind, status, time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(len(calls)) as pool:
            results = list(pool.map(call, calls))
        wall = time.perf_counter() - started
        statuses = Counter(status for _k, status, _t in results)
        slowest = {
            kind: round(max(t for k, _s, t in results if k == kind), 2) for kind in ("gaps", "read")
        }
        return {
            "database": "PostgreSQL" if postgres else "SQLite",
            "requests": len(calls),
            "statuses": dict(sorted(statuses.items())),
            "slowest_s": slowest,
            "wall_s": round(wall, 2),
        }


# ----------------------------------------------------------------------------- the rest


def _cells(document: dict[str, Any]) -> dict[tuple[str, ...], Any]:
    """Every published count of a gap report, by where it is."""
    found: dict[tuple[str, ...], Any] = {}
    for key in ("children_waiting", "units_waiting", "children_placeable", "children_unplaceable"):
        found[(key,)] = document[key]
    for row in document["by_profile"]:
        for key in ("waiting_units", "waiting_children", "units_unplaceable"):
            found[(row["profile"]["label"], key)] = row[key]
    for row in document["supply"]:
        found[(row["profile"]["label"], "households")] = row["households"]
    return found


def _single_child_changes(reports: list[dict[str, Any]]) -> int:
    changes = 0
    for before, after in itertools.pairwise(reports):
        old, new = _cells(before), _cells(after)
        for where, value in new.items():
            previous = old.get(where)
            if isinstance(value, int) and isinstance(previous, int) and abs(value - previous) == 1:
                changes += 1
    return changes


def attack_differencing(tree: Path, postgres: bool) -> dict[str, object]:
    """The recruitment role asks the gap report for 31 consecutive dates (from the demo's
    date) and counts published cells that change by exactly one from a day to the next."""
    first = date.fromisoformat(DEMO_AS_OF)
    with serving(tree, postgres=postgres) as server:
        recruiter = token(server, "recruiter", "recruiter-demo-2026")
        answered, statuses = [], Counter[int]()
        with httpx.Client(timeout=None) as client:
            for day in (first + timedelta(days=k) for k in range(31)):
                response = client.get(
                    server.base + "/api/gaps", params={"as_of": day.isoformat()}, headers=recruiter
                )
                statuses[response.status_code] += 1
                if response.status_code == 200:
                    answered.append(response.json())
            # and the report without a date, asked 31 times ("every day")
            undated = [client.get(server.base + "/api/gaps", headers=recruiter) for _ in range(31)]
        latest = [r.json() for r in undated if r.status_code == 200]
        return {
            "dates_asked": 31,
            "statuses": dict(sorted(statuses.items())),
            "single_child_changes_between_dates": _single_child_changes(answered),
            "undated_answers": len(latest),
            "distinct_undated_reports": len({json.dumps(r, sort_keys=True) for r in latest}),
            "single_child_changes_undated": _single_child_changes(latest),
        }


WHAT_IFS = (
    "kind=foster,term=long,ages=10-15,places=1,count={k}",
    "kind=foster,term=long,ages=5-9,places=2,count={k}",
    "kind=foster,term=long,ages=0-4,places=1,count={k}",
    "kind=adopter,ages=0-4,places=1,count={k}",
)
_WHAT_IF_ANSWER = re.compile(r"With (\d+) more households, (.*?) children could be placed", re.S)


def _page_session(server: Server, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=server.base, timeout=None, follow_redirects=False)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    signed_in = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf.group(1), "next": ""},
    )
    assert signed_in.status_code == 303, signed_in.text
    return client


def attack_what_if(tree: Path, postgres: bool) -> dict[str, object]:
    """The recruitment role's what-if pairs (the page, as issue #13 used it): each
    household kind with 1..5 households added; differences between one count and the
    next (one household more) of 1 to 9 would show single children."""
    with serving(tree, postgres=postgres) as server:
        page = _page_session(server, "recruiter", "recruiter-demo-2026")
        answers: dict[str, list[str]] = {}
        for template in WHAT_IFS:
            values = []
            for k in range(1, 6):
                html = page.get("/gaps", params={"add": template.format(k=k)}).text
                found = _WHAT_IF_ANSWER.search(html)
                values.append(re.sub(r"<[^>]+>", "", found.group(2)) if found else "no answer")
            answers[template.format(k="k")] = values
        page.close()
    steps = [
        int(b) - int(a)
        for values in answers.values()
        for a, b in itertools.pairwise(values)
        if a.isdigit() and b.isdigit()
    ]
    return {
        "answers": answers,
        "pairs": len(steps),
        "pairs_differing_by_1_to_9": sum(1 <= abs(d) <= 9 for d in steps),
    }


def attack_rounds(tree: Path, postgres: bool, burst: int = 50) -> dict[str, object]:
    """One family finder asks for `burst` rounds at once (a 15-minute fuzz queued 731)."""
    with serving(tree, postgres=postgres) as server:
        finder = token(server, "finder", "finder-demo-2026")

        def start(_: int) -> int:
            return httpx.post(
                server.base + "/api/rounds",
                json={"mode": "allocate", "time_limit_s": 60},
                headers=finder,
                timeout=None,
            ).status_code

        with ThreadPoolExecutor(burst) as pool:
            statuses = Counter(pool.map(start, range(burst)))
        rounds = httpx.get(server.base + "/api/rounds", headers=finder, timeout=None)
        queued = (
            sum(r["status"] in ("queued", "running") for r in rounds.json()["items"])
            if rounds.status_code == 200
            else None
        )
        return {
            "requested": burst,
            "statuses": dict(sorted(statuses.items())),
            "solver_seconds_queued": statuses[202] * 60,
            "queued_or_running_listed": queued,
        }


def attack_forwarded(tree: Path, postgres: bool) -> dict[str, object]:
    """A read of a child's record with a forged X-Forwarded-For: what the audit records."""
    with serving(tree, postgres=postgres) as server:
        finder = token(server, "finder", "finder-demo-2026")
        admin = token(server, "admin", "admin-demo-2026")
        httpx.get(
            server.base + "/api/children/C000001",
            headers={**finder, "X-Forwarded-For": "203.0.113.66"},
            timeout=None,
        ).raise_for_status()
        events = httpx.get(
            server.base + "/api/audit",
            params={"child_id": "C000001"},
            headers=admin,
            timeout=None,
        ).json()["items"]
        return {"forged": "203.0.113.66", "recorded": [e["client_address"] for e in events]}


ATTACKS = {
    "logins": attack_logins,
    "address": attack_address,
    "upload": attack_upload,
    "load": attack_load,
    "differencing": attack_differencing,
    "whatif": attack_what_if,
    "rounds": attack_rounds,
    "forwarded": attack_forwarded,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("attack", choices=[*ATTACKS, "all"])
    parser.add_argument("--tree", type=Path, default=ROOT, help="source tree to serve")
    parser.add_argument("--postgres", action="store_true", help="serve from PostgreSQL")
    args = parser.parse_args()
    names = list(ATTACKS) if args.attack == "all" else [args.attack]
    for name in names:
        result = ATTACKS[name](args.tree.resolve(), args.postgres)
        print(json.dumps({"attack": name, "tree": str(args.tree), **result}), flush=True)


if __name__ == "__main__":
    main()
