"""Sign-in back-off and server-side sessions; on PostgreSQL, the audit trail handed to a
role the application does not use.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

`login_throttle` counts failed sign-ins per username and per client address (counted
before the password is checked, under a row lock); `user_session` holds the sessions a
bearer token or a page cookie names, so sign-out and deactivation end them.

On PostgreSQL two roles are created if missing (roles belong to the whole server, so
they are shared by every familyfinder database on it and never dropped here):

    familyfinder_audit  NOLOGIN; owns `audit_event` and its append-only trigger function.
                        Nobody signs in as it.
    familyfinder_app    NOLOGIN group for the service's login role: SELECT, INSERT,
                        UPDATE, DELETE on the other tables, SELECT and INSERT only on
                        `audit_event`, and SELECT on `alembic_version`.

The role running this migration must be a superuser or able to act as
familyfinder_audit (it is granted that role here when it may grant it), because only an
owner can hand a table to another role. The service's own login role must be neither:
see SECURITY.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT_OWNER_ROLE = "familyfinder_audit"
APP_ROLE = "familyfinder_app"


def _create_role(name: str) -> None:
    # Two migrations on the same server may race to create it: either way it exists.
    op.execute(
        f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN
        CREATE ROLE {name} NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$"""
    )


_ACT_AS_AUDIT_OWNER = f"""
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, '{AUDIT_OWNER_ROLE}', 'MEMBER') THEN
        EXECUTE format('GRANT {AUDIT_OWNER_ROLE} TO %I', current_user);
    END IF;
END
$$"""

_GRANT_APP_TABLES = f"""
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN
        SELECT tablename FROM pg_tables
        WHERE schemaname = current_schema()
          AND tablename NOT IN ('audit_event', 'alembic_version')
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO {APP_ROLE}', name);
    END LOOP;
END
$$"""


def _upgrade_postgres() -> None:
    _create_role(AUDIT_OWNER_ROLE)
    _create_role(APP_ROLE)
    op.execute(_ACT_AS_AUDIT_OWNER)
    # A table's new owner needs CREATE on its schema (a superuser may skip this; the
    # schema's owner, the database owner in production, can grant it).
    _in_schema(f"GRANT USAGE, CREATE ON SCHEMA %I TO {AUDIT_OWNER_ROLE}")
    # The owner of a table may disable its triggers, replace their function and delete
    # rows: the audit table and its guard leave the application's hands.
    op.execute(f"ALTER TABLE audit_event OWNER TO {AUDIT_OWNER_ROLE}")  # and its id sequence
    op.execute(f"ALTER FUNCTION audit_event_append_only() OWNER TO {AUDIT_OWNER_ROLE}")
    op.execute("REVOKE ALL ON audit_event FROM PUBLIC")
    op.execute(f"GRANT SELECT, INSERT ON audit_event TO {APP_ROLE}")
    op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")
    op.execute(_GRANT_APP_TABLES)
    # Sequences now, and tables and sequences later migrations create (as this role).
    _in_schema(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}")
    _in_schema(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA %I "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}"
    )
    _in_schema(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}"
    )


def _in_schema(statement: str) -> None:
    """Run `statement` with %I standing for the schema the tables are in."""
    op.execute(f"DO $$ BEGIN EXECUTE format('{statement}', current_schema()); END $$")


def _downgrade_postgres() -> None:
    _in_schema(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA %I "
        f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {APP_ROLE}"
    )
    _in_schema(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE USAGE, SELECT ON SEQUENCES FROM {APP_ROLE}"
    )
    _in_schema(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM {APP_ROLE}")
    _in_schema(f"REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM {APP_ROLE}")
    op.execute("ALTER TABLE audit_event OWNER TO CURRENT_USER")
    op.execute("ALTER FUNCTION audit_event_append_only() OWNER TO CURRENT_USER")
    _in_schema(f"REVOKE CREATE ON SCHEMA %I FROM {AUDIT_OWNER_ROLE}")


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttle"),
    )
    op.create_table(
        "user_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name="fk_user_session_user_id_app_user"
        ),
        sa.PrimaryKeyConstraint("id_hash", name="pk_user_session"),
    )
    op.create_index("ix_user_session_user_id", "user_session", ["user_id"])
    op.create_index("ix_user_session_expires_at", "user_session", ["expires_at"])
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgres()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _downgrade_postgres()
    op.drop_index("ix_user_session_expires_at", table_name="user_session")
    op.drop_index("ix_user_session_user_id", table_name="user_session")
    op.drop_table("user_session")
    op.drop_table("login_throttle")
