"""`familyfinder serve --demo` as a newcomer runs it: migrated, loaded, one login per
role printed, and each login gets exactly its role's view."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import TINY, free_port

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
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError(log.read_text())
        yield base, log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_demo_prints_logins_and_each_role_gets_its_view(demo_server: tuple[str, str]) -> None:
    base, output = demo_server
    assert "demo data imported: 6 children, 6 households" in output
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
        token = httpx.post(f"{base}/api/token", data={"username": username, "password": password})
        assert token.status_code == 200 and token.json()["role"] == role
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        views[role] = tuple(
            httpx.get(f"{base}{url}", headers=headers, timeout=30).status_code
            for url in (
                "/api/children",
                "/api/gaps?as_of=2026-06-01",
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
