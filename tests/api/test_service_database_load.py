"""The embedded database under load (issue #13): on SQLite a read does not wait for a
writer, a transaction that reads and then writes survives another writer committing in
between, and a database that stays busy, or a pool with no free connection, is a 503
with Retry-After, never a 500. The load test itself is benchmarks/db_load.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from models.db import make_engine
from models.migrate import upgrade
from tests.api.conftest import ApiEnv, _new_database, build_env
from tests.conftest import is_postgres


@pytest.fixture
def quick_busy_env(database_url: str, tmp_path: Path) -> Iterator[ApiEnv]:
    """The tiny authority served with a half-second busy timeout."""
    url, drop = _new_database(database_url, tmp_path, "ff_busy")
    env = build_env(url, database_busy_timeout_s=0.5)
    try:
        with env.client:
            yield env
    finally:
        env.app.state.engine.dispose()
        drop()


def _hold_write_lock(url: str) -> tuple[Engine, object]:
    """Another process's writer: BEGIN IMMEDIATE and an uncommitted write."""
    engine = make_engine(url)
    connection = engine.raw_connection()
    connection.execute("BEGIN IMMEDIATE")  # type: ignore[attr-defined]
    connection.execute("UPDATE household SET name = name")  # type: ignore[attr-defined]
    return engine, connection


def test_sqlite_reads_do_not_wait_for_a_writer_and_a_stuck_writer_is_a_503(
    quick_busy_env: ApiEnv,
) -> None:
    env = quick_busy_env
    if is_postgres(env.url):
        pytest.skip("SQLite's locking")
    engine, writer = _hold_write_lock(env.url)
    try:
        finder = env.headers["family_finder"]
        # a pure read: answered while the write lock is held
        read = env.client.get("/api/households/H001", headers=finder)
        assert read.status_code == 200, read.text
        assert env.client.get("/api/households", headers=finder).status_code == 200
        # an audited read must write: it waits its busy timeout, then 503 (not 500)
        audited = env.client.get("/api/children/C001", headers=finder)
        assert audited.status_code == 503, audited.text
        assert audited.json()["error"] == "ServiceUnavailable"
        assert audited.headers["retry-after"] == "2"
    finally:
        writer.rollback()  # type: ignore[attr-defined]
        writer.close()  # type: ignore[attr-defined]
        engine.dispose()
    assert env.client.get("/api/children/C001", headers=finder).status_code == 200


def test_sqlite_a_read_then_write_survives_another_writer_committing_between(
    fresh_database_url: str,
) -> None:
    """SQLite refuses (SQLITE_BUSY_SNAPSHOT, whatever the busy timeout) a read
    transaction's write once another connection has committed since it began; the
    engine restarts such a transaction's writes under the write lock instead."""
    if is_postgres(fresh_database_url):
        pytest.skip("SQLite's snapshots")
    upgrade(fresh_database_url)
    engine = make_engine(fresh_database_url)
    try:
        with Session(engine) as reader, Session(engine) as other:
            assert reader.execute(text("SELECT count(*) FROM app_user")).scalar() == 0
            other.execute(text("INSERT INTO login_throttle (key, failures) VALUES ('user:a', 1)"))
            other.commit()
            reader.execute(text("INSERT INTO login_throttle (key, failures) VALUES ('user:b', 1)"))
            reader.commit()
        with engine.connect() as connection:
            keys = connection.execute(text("SELECT key FROM login_throttle ORDER BY key"))
            assert [k for (k,) in keys] == ["user:a", "user:b"]
    finally:
        engine.dispose()


def test_a_request_finding_no_free_connection_is_a_503(database_url: str, tmp_path: Path) -> None:
    url, drop = _new_database(database_url, tmp_path, "ff_pool")
    env = build_env(url)
    from api.app import create_app

    tight = make_engine(url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    app = create_app(env.app.state.settings, engine=tight)
    from fastapi.testclient import TestClient

    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            held = tight.connect()  # every connection the pool has
            try:
                response = client.get("/api/children", headers=env.headers["admin"])
            finally:
                held.close()
            assert response.status_code == 503, response.text
            assert response.json()["error"] == "ServiceUnavailable"
            assert response.headers["retry-after"] == "2"
            assert client.get("/api/children", headers=env.headers["admin"]).status_code == 200
    finally:
        tight.dispose()
        env.app.state.engine.dispose()
        drop()
