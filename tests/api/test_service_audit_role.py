"""The audit trail is out of the application's hands (issue #13), on PostgreSQL.

Today the service's role owns `audit_event`, so `ALTER TABLE audit_event DISABLE
TRIGGER USER` followed by `DELETE` removed every row. The migration now hands the table
and its trigger function to `familyfinder_audit`, a role nobody signs in as, and grants
the service's group `familyfinder_app` only SELECT and INSERT on it. Here the service
runs as a login role in that group (as in production, see SECURITY.md): it works, and
it cannot switch the guard off, replace it, or remove a row.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from models.db import make_engine
from models.migrate import upgrade
from tests.api.conftest import ApiEnv, build_env
from tests.conftest import create_throwaway_database, drop_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def app_role_env(database_url: str, tmp_path: Path) -> Iterator[ApiEnv]:
    """A database migrated by the owner (the test's superuser), served by the app role."""
    owner_url = create_throwaway_database(database_url, "ff_role")
    role = f"ff_app_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    owner = make_engine(owner_url, isolation_level="AUTOCOMMIT")
    env = None
    try:
        upgrade(owner_url)  # as the owner: makes familyfinder_audit and familyfinder_app
        with owner.connect() as connection:
            connection.execute(
                text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}' IN ROLE familyfinder_app")
            )
        app_url = (
            make_url(owner_url)
            .set(username=role, password=password)
            .render_as_string(hide_password=False)
        )
        env = build_env(app_url)  # imports the tiny authority and users as the app role
        with env.client:
            yield env
    finally:
        if env is not None:
            env.app.state.engine.dispose()
        owner.dispose()
        drop_database(owner_url)
        admin = make_engine(
            make_url(database_url).set(database="postgres").render_as_string(hide_password=False),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as connection:
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


TAMPERING = [
    ("ALTER TABLE audit_event DISABLE TRIGGER USER", "must be owner"),
    ("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only", "must be owner"),
    ("DROP TRIGGER audit_event_append_only ON audit_event", "must be owner"),
    (
        "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS "
        "$$ BEGIN RETURN OLD; END; $$ LANGUAGE plpgsql",
        "must be owner|permission denied",
    ),
    ("ALTER TABLE audit_event OWNER TO CURRENT_USER", "must be owner"),
    ("DELETE FROM audit_event", "permission denied"),
    ("UPDATE audit_event SET username = 'someone else'", "permission denied"),
    ("TRUNCATE audit_event", "permission denied"),
    ("DROP TABLE audit_event", "must be owner"),
    ("SET ROLE familyfinder_audit", "permission denied"),
]


def test_the_service_role_works_and_cannot_tamper_with_the_audit_trail(
    app_role_env: ApiEnv,
) -> None:
    env = app_role_env
    finder = env.headers["family_finder"]
    assert env.client.get("/api/children/C005", headers=finder).status_code == 200
    assert env.client.get("/api/children/C001/shortlist", headers=finder).status_code == 200
    engine = env.app.state.engine
    with engine.connect() as connection:
        assert connection.execute(text("SELECT current_user")).scalar() != "postgres"
        before = connection.execute(text("SELECT count(*) FROM audit_event")).scalar()
        assert before and before >= 4  # one read, three shortlist reads
        for statement, refusal in TAMPERING:
            with pytest.raises(DBAPIError, match=refusal):
                connection.execute(text(statement))
            connection.rollback()
        after = connection.execute(text("SELECT count(*) FROM audit_event")).scalar()
    assert after == before
    # the trail is still written, through the API, after every attempt
    assert env.client.get("/api/children/C005", headers=finder).status_code == 200
    events = env.client.get("/api/audit", params={"child_id": "C005"}, headers=env.headers["admin"])
    assert len(events.json()["items"]) == 2


def test_the_migration_leaves_the_audit_table_to_its_own_role(app_role_env: ApiEnv) -> None:
    with app_role_env.app.state.engine.connect() as connection:
        owner = connection.execute(
            text("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_event'")
        ).scalar()
        function_owner = connection.execute(
            text(
                "SELECT pg_get_userbyid(proowner) FROM pg_proc "
                "WHERE proname = 'audit_event_append_only'"
            )
        ).scalar()
        privileges = connection.execute(
            text(
                "SELECT privilege_type FROM information_schema.role_table_grants "
                "WHERE table_name = 'audit_event' AND grantee = 'familyfinder_app' "
                "ORDER BY privilege_type"
            )
        ).scalars()
        assert (owner, function_owner) == ("familyfinder_audit", "familyfinder_audit")
        assert list(privileges) == ["INSERT", "SELECT"]


def test_the_production_set_up_migrates_as_a_schema_owner_that_is_no_superuser(
    database_url: str,
) -> None:
    """SECURITY.md's set-up: a DBA makes an owner role (a member of familyfinder_audit,
    not a superuser) and its database; `familyfinder db upgrade` as that owner hands
    the audit table over."""
    admin = make_engine(
        make_url(database_url).set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    owner, database = f"ff_owner_{secrets.token_hex(4)}", f"ff_prod_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    owner_url = (
        make_url(database_url)
        .set(username=owner, password=password, database=database)
        .render_as_string(hide_password=False)
    )
    try:
        with admin.connect() as connection:
            for role in ("familyfinder_audit", "familyfinder_app"):
                connection.execute(
                    text(
                        f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; "
                        "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
                    )
                )
            connection.execute(
                text(f"CREATE ROLE {owner} LOGIN PASSWORD '{password}' IN ROLE familyfinder_audit")
            )
            connection.execute(text(f'CREATE DATABASE "{database}" OWNER {owner}'))
        upgrade(owner_url)
        engine = make_engine(owner_url)
        try:
            with engine.connect() as connection:
                assert (
                    connection.execute(
                        text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                    ).scalar()
                    is False
                )
                assert (
                    connection.execute(
                        text("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_event'")
                    ).scalar()
                    == "familyfinder_audit"
                )
        finally:
            engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            connection.execute(text(f"DROP ROLE IF EXISTS {owner}"))
        admin.dispose()
