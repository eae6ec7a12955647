"""Replay: every stored shortlist and round keeps what it was computed from.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

- run_input: the authority a run saw, once per data version, keyed by its fingerprint
  and zlib-compressed (`data` NULL and `pruned_at` set once deleted under the retention
  setting);
- policy_text: each policy file text a run used, once per text;
- shortlist_run and round_run: `inputs_key`, `policy_sha256` and `request` (the child,
  date, parameters and seed). Runs stored before keep them NULL: they cannot be
  replayed, and a replay says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RUN_TABLES = ("shortlist_run", "round_run")


def upgrade() -> None:
    op.create_table(
        "run_input",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("raw_bytes", sa.BigInteger(), nullable=False),
        sa.Column("stored_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_run_input"),
    )
    op.create_table(
        "policy_text",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_policy_text"),
    )
    for table in _RUN_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("inputs_key", sa.String(length=64), nullable=True))
            batch.add_column(sa.Column("policy_sha256", sa.String(length=64), nullable=True))
            batch.add_column(sa.Column("request", sa.JSON(), nullable=True))
        op.create_index(f"ix_{table}_inputs_key", table, ["inputs_key"])


def downgrade() -> None:
    for table in _RUN_TABLES:
        op.drop_index(f"ix_{table}_inputs_key", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("request")
            batch.drop_column("policy_sha256")
            batch.drop_column("inputs_key")
    op.drop_table("policy_text")
    op.drop_table("run_input")
