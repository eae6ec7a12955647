"""Fixtures for the REST service tests: a migrated database with the tiny authority and
one user per role, the app on it, signed-in headers per role, and a live server.

The API commits for real, so each `api_env` is its own database (a SQLite file, or a
throwaway PostgreSQL database dropped afterwards), like the CLI tests.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api import security
from api.app import create_app
from api.services.imports import import_directory
from api.services.snapshot import clear_snapshots
from api.services.users import create_user
from api.settings import Settings
from models.db import make_engine
from models.migrate import upgrade
from tests.conftest import create_throwaway_database, drop_database, is_postgres

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny"
TINY_AS_OF = date(2026, 6, 1)
SECRET = "test-secret-key-" + "x" * 32
ROLES = ("family_finder", "recruitment", "panel", "decision_maker", "oversight", "admin")
PASSWORDS = {role: f"{role}-password" for role in ROLES}


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 at its smallest cost: the tests sign in often and check behaviour, not cost."""
    original = security._HASHER
    security._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security._HASHER = original


@dataclass
class ApiEnv:
    url: str
    app: FastAPI
    client: TestClient
    headers: dict[str, dict[str, str]]  # role -> Authorization header

    def session(self) -> Session:
        return Session(self.app.state.engine, expire_on_commit=False)


def _new_database(
    database_url: str, directory: Path, prefix: str
) -> tuple[str, Callable[[], None]]:
    if is_postgres(database_url):
        url = create_throwaway_database(database_url, prefix)
        return url, lambda: drop_database(url)
    return f"sqlite:///{directory / f'{prefix}.db'}", lambda: None


def build_env(url: str, *, load_tiny: bool = True, **settings: object) -> ApiEnv:
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        if load_tiny:
            import_directory(session, TINY, as_of=TINY_AS_OF, requested_by="test")
        for role in ROLES:
            create_user(session, role, PASSWORDS[role], role)
    engine.dispose()
    clear_snapshots()
    app = create_app(Settings(database_url=url, secret_key=SECRET, **settings))  # type: ignore[arg-type]
    client = TestClient(app, raise_server_exceptions=False)
    headers = {}
    for role in ROLES:
        response = client.post("/api/token", data={"username": role, "password": PASSWORDS[role]})
        assert response.status_code == 200, response.text
        headers[role] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return ApiEnv(url, app, client, headers)


@pytest.fixture
def api_env(database_url: str, tmp_path: Path) -> Iterator[ApiEnv]:
    """The tiny authority, a user per role (username = role), a TestClient."""
    url, drop = _new_database(database_url, tmp_path, "ff_api")
    env = build_env(url)
    try:
        with env.client:
            yield env
    finally:
        env.app.state.engine.dispose()
        drop()


@pytest.fixture
def empty_api_env(database_url: str, tmp_path: Path) -> Iterator[ApiEnv]:
    """Users but no authority (for imports)."""
    url, drop = _new_database(database_url, tmp_path, "ff_api")
    env = build_env(url, load_tiny=False, max_upload_bytes=4096)
    try:
        with env.client:
            yield env
    finally:
        env.app.state.engine.dispose()
        drop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    base_url: str
    server: uvicorn.Server
    thread: threading.Thread


@pytest.fixture
def live_server(api_env: ApiEnv) -> Iterator[LiveServer]:
    """`api_env`'s app served by uvicorn on a loopback port, in a thread."""
    port = free_port()
    config = uvicorn.Config(api_env.app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    # Wait for uvicorn to say it started, however long a busy machine takes; no clock.
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the live server stopped before it started (see its log)")
        time.sleep(0.05)
    try:
        yield LiveServer(base, server, thread)
    finally:
        server.should_exit = True
        thread.join()


@pytest.fixture(scope="module")
def tiny_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of the configured kind holding the tiny authority, shared by the module."""
    from tests.api.cli_support import import_into

    if is_postgres(database_url):
        url = create_throwaway_database(database_url, "ff_cli")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'tiny.db'}"
    try:
        import_into(url, TINY)
        yield url
    finally:
        if is_postgres(database_url):
            drop_database(url)


@pytest.fixture
def tiny(tiny_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI pointed at the module's tiny database, with the shipped policy."""
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", tiny_url)
    monkeypatch.delenv("FAMILYFINDER_POLICY_FILE", raising=False)
    return tiny_url


def finish_rounds(app: FastAPI) -> None:
    """Wait until every round the app has queued so far has run (its one worker takes
    them in order): no clock, so a slow machine cannot fail a correct round."""
    app.state.round_executor.submit(lambda: None).result()
