"""The migrations: upgrade, downgrade to nothing, upgrade again, on a fresh database."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from models.db import make_engine
from models.migrate import alembic_config, current_revision, downgrade, head_revision, upgrade
from models.orm import Base

# The tables of the initial revision; later revisions add more.
TABLES = {"child", "household", "sibling_link", "import_run", "shortlist_run", "round_run"}


def _tables_and_revision(url: str) -> tuple[set[str], str | None]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            names = set(inspect(connection).get_table_names()) - {"alembic_version"}
            return names, current_revision(connection)
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(migration_database_url: str) -> None:
    url = migration_database_url
    upgrade(url)
    tables, revision = _tables_and_revision(url)
    assert tables >= TABLES
    assert revision == head_revision()

    downgrade(url, "base")
    assert _tables_and_revision(url) == (set(), None)

    upgrade(url)
    assert _tables_and_revision(url) == (tables, head_revision())


def test_migrations_match_the_models(migration_database_url: str) -> None:
    """`alembic check`: autogenerate finds nothing the migrations have not made."""
    upgrade(migration_database_url)
    command.check(alembic_config(migration_database_url))
    assert set(Base.metadata.tables) >= TABLES


def test_migrations_run_from_any_working_directory(
    migration_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    upgrade(migration_database_url)
    assert _tables_and_revision(migration_database_url)[1] == head_revision()


@pytest.mark.postgres
def test_postgres_run_times_are_timezone_aware_columns(migration_database_url: str) -> None:
    upgrade(migration_database_url)
    engine = make_engine(migration_database_url)
    try:
        with engine.connect() as connection:
            columns = {c["name"]: c for c in inspect(connection).get_columns("round_run")}
    finally:
        engine.dispose()
    assert getattr(columns["created_at"]["type"], "timezone", False) is True
