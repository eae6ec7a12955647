"""`familyfinder serve --demo` as a newcomer runs it: migrated, loaded, one login per
role printed, and each login gets exactly its role's view."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import TINY, free_port
from tests.serving import wait_until_serving

FAMILYFINDER = str(Path(sys.executable).parent / "familyfinder")


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAMILYFINDER_")}
    env["FAMILYFINDER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.db'}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                FAMILYFINDER,
                "serve",
                "--demo",
                "--port",
                str(port),
                "--demo-dir",
                str(TINY),
                "--demo-as-of",
                "2026-06-01",
            ],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base, log)
        yield base, log.read_text()
    finally:
        process.terminate()
        process.wait()


def test_demo_prints_logins_and_each_role_gets_its_view(demo_server: tuple[str, str]) -> None:
    base, output = demo_server
    assert "demo data imported: 8 children, 11 households" in output
    assert f"serving on {base}" in output
    logins = re.findall(
        r"^  (\w+)\s+(\S+)\s+(family_finder|recruitment|panel|admin)$", output, re.M
    )
    assert sorted(role for _, _, role in logins) == [
        "admin",
        "family_finder",
        "panel",
        "recruitment",
    ]
    views = {}
    for username, password, role in logins:
        token = httpx.post(
            f"{base}/api/token", data={"username": username, "password": password}, timeout=None
        )
        assert token.status_code == 200 and token.json()["role"] == role
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        views[role] = tuple(
            httpx.get(f"{base}{url}", headers=headers, timeout=None).status_code
            for url in (
                "/api/children",
                "/api/gaps",  # recruitment: the latest published report
                "/api/proposals",
                "/api/audit",
            )
        )
    assert views == {
        "family_finder": (200, 403, 200, 403),
        "recruitment": (403, 200, 403, 403),
        "panel": (403, 403, 200, 403),
        "admin": (200, 200, 200, 200),
    }


def test_a_server_that_fails_to_start_shows_its_log(tmp_path: Path) -> None:
    """The wait for a server ends with its log when the process exits (here: a busy
    port), not with an empty AssertionError at a deadline."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        log = tmp_path / "serve.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAMILYFINDER_")}
        env["FAMILYFINDER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.db'}"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [FAMILYFINDER, "serve", "--demo", "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        with pytest.raises(AssertionError) as failed:
            wait_until_serving(process, f"http://127.0.0.1:{port}", log)
    assert process.wait() == 7
    assert "exited with status 7" in str(failed.value)
    assert f"port {port} on 127.0.0.1 is already in use" in str(failed.value)
