"""What a newcomer meets first (issue #13): `familyfinder --help` loads none of the heavy
libraries, every database problem at start is a message and exit 6, a busy port is its
own message and exit 7, and `make run` keeps its demo in a database of its own."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.settings import DEFAULT_DATABASE_URL
from tests.api.conftest import TINY

REPO = Path(__file__).resolve().parents[2]
HEAVY = (
    "numpy",
    "scipy",
    "ortools",
    "networkx",
    "sklearn",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "pydantic",
    "pydantic_settings",
    "fastapi",
    "starlette",
    "uvicorn",
    "matplotlib",
    "openpyxl",
    "argon2",
    "jwt",
    "zxcvbn",
)


def test_importing_the_cli_loads_no_heavy_library() -> None:
    """`familyfinder --help` should answer at once: the commands load what they need when
    they run. (A correctness check on what is imported; the time is measured in
    benchmarks/cli_startup_bench.py.)"""
    probe = (
        "import json, sys\n"
        "import api.cli\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgres://postgres@127.0.0.1/familyfinder", "write postgresql+psycopg://"),
        ("notaurl", "'notaurl' is not a database URL"),
        ("mysql+nosuchdriver://u@h/db", "unknown database kind"),
        ("postgresql+psycopg://nobody@127.0.0.1:1/nothing", "error: database:"),
        ("sqlite:////nonexistent-directory/ff.db", "error: database:"),
    ],
)
@pytest.mark.parametrize("command", [["summary"], ["db", "upgrade"], ["db", "current"]])
def test_every_database_problem_at_start_is_a_message_and_exit_6(
    monkeypatch: pytest.MonkeyPatch, url: str, says: str, command: list[str]
) -> None:
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", url)
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 6, result.output
    assert says in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.splitlines()) <= 2


def test_serve_with_a_bad_database_url_exits_6(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", "postgres://u@h/db")
    result = CliRunner().invoke(app, ["serve", "--demo"])
    assert result.exit_code == 6 and "postgresql+psycopg://" in result.stderr
    assert "serving on" not in result.output


def test_a_busy_port_is_its_own_message_and_exit_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", f"sqlite:///{tmp_path / 'ff.db'}")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            app, ["serve", "--demo", "--port", str(port), "--demo-dir", str(TINY)]
        )
    assert result.exit_code == 7, result.output
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "serving on" not in result.output
    assert not (tmp_path / "ff.db").exists()  # refused before anything was done


def test_make_run_keeps_the_demo_in_its_own_database() -> None:
    """The README's CLI examples use the default database (familyfinder.db); `make run`
    serves the demo from another file, so an example import never replaces the demo."""
    dry = subprocess.run(
        ["make", "-n", "-s", "run", "INSTALLED=/dev/null"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "MAKEFLAGS": ""},
    )
    served = re.search(r"FAMILYFINDER_DATABASE_URL=(\S+)", dry.stdout)
    assert served, dry.stdout
    assert served.group(1) != DEFAULT_DATABASE_URL
    readme = (REPO / "README.md").read_text()
    assert served.group(1).removeprefix("sqlite:///") in readme
    assert "FAMILYFINDER_DATABASE_URL" not in "".join(
        line for line in readme.splitlines() if line.startswith("familyfinder import")
    )
