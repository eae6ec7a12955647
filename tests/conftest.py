"""Database fixtures shared by the store and API tests.

The database is chosen by FAMILYFINDER_TEST_DATABASE_URL (default: a temporary SQLite
file). Its schema is built only by running the Alembic migrations, once per session, so
the migrations are exercised on every run. Each test using `db_session` runs inside a
transaction that is rolled back at its end; a service's `commit()` only releases a
SAVEPOINT ("join an external transaction", SQLAlchemy 2).

Tests that commit for real through another connection (the CLI) use
`fresh_database_url`: a new SQLite file, or on PostgreSQL a throwaway database created
on the same server and dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from models.db import make_engine
from models.migrate import upgrade

TEST_DATABASE_ENV = "FAMILYFINDER_TEST_DATABASE_URL"


def configured_database_url() -> str | None:
    return os.environ.get(TEST_DATABASE_ENV) or None


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked `postgres` unless the test database is PostgreSQL."""
    url = configured_database_url()
    if url is not None and is_postgres(url):
        return
    skip = pytest.mark.skip(reason=f"needs PostgreSQL: set {TEST_DATABASE_ENV}")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of the session's test database (not yet migrated)."""
    url = configured_database_url()
    if url is not None:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'familyfinder-test.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database, its schema made by `alembic upgrade head`."""
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session whose every change, committed or not, is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


def _admin_engine(url: str) -> Engine:
    """An autocommit engine on the server's `postgres` database (CREATE/DROP DATABASE)."""
    admin_url = make_url(url).set(database="postgres")
    return make_engine(
        admin_url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )


def create_throwaway_database(url: str, prefix: str) -> str:
    """Create an empty PostgreSQL database beside `url`'s; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(url)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the PostgreSQL database of `url`, closing any connection still on it."""
    name = make_url(url).database
    admin = _admin_engine(url)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _fresh_url(database_url: str, directory: Path, prefix: str) -> Iterator[str]:
    if not is_postgres(database_url):
        yield f"sqlite:///{directory / f'{prefix}.db'}"
        return
    url = create_throwaway_database(database_url, prefix)
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database of the configured kind, deleted after the test."""
    yield from _fresh_url(database_url, tmp_path, "ff_test")


@pytest.fixture
def migration_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """Like `fresh_database_url`, named `ff_mig_<random>` on PostgreSQL."""
    yield from _fresh_url(database_url, tmp_path, "ff_mig")
