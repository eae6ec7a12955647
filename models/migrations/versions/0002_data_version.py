"""Data version: one row counting changes to the stored authority.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Every transaction that changes children, households or sibling links increments it, so
a process holding an in-memory snapshot of the pool knows, with one indexed read,
whether the snapshot is still current.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_data_version_single_row")),
        sa.PrimaryKeyConstraint("id", name="pk_data_version"),
    )
    # The one row exists from the start: writers only ever UPDATE it (a row lock on
    # PostgreSQL serialises concurrent bumps).
    op.bulk_insert(table, [{"id": 1, "version": 0, "changed_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("data_version")
