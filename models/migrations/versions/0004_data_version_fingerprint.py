"""The data version carries the stored authority's fingerprint when a writer knows it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

An import computes the fingerprint of everything stored anyway; keeping it with the
version spares every process that loads the pool (each CLI call) from computing it
again. Any other write clears it (it bumps the version), and readers then compute it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("data_version") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("data_version") as batch:
        batch.drop_column("fingerprint")
