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
    .venv/bin/python benchmarks/attacks.py all [--postgres]
    git worktree add /tmp/ff-before <commit>; ... attacks.py logins --tree /tmp/ff-before

What is reported: how many passwords the server checked (a 401 or a 200 means it
checked one; a 429 or a 503 means it refused without checking), the server's peak
memory (VmHWM), the slowest answer to another signed-in request during the attack, the
bytes an anonymous upload got through before its 401, the most the server's temporary
directory held, and the statuses the load mix got.
"""

from __future__ import annotations

import argparse
import json
import os
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
from pathlib import Path

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
    """Six gap reports and 50 audited reads of child records at once."""
    with serving(tree, postgres=postgres) as server:
        recruiter = token(server, "recruiter", "recruiter-demo-2026")
        finder = token(server, "finder", "finder-demo-2026")
        calls = [("gaps", recruiter, f"/api/gaps?as_of={DEMO_AS_OF}")] * 6 + [
            ("read", finder, f"/api/children/C{n:06d}") for n in range(1, 51)
        ]
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


ATTACKS = {
    "logins": attack_logins,
    "address": attack_address,
    "upload": attack_upload,
    "load": attack_load,
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
