"""Why people departed from the system's ranking (issue 16, item 4).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

- proposal: `recommendation_ranking_reason` and `decision_ranking_reason`, the reason in
  words a panel recommendation or an agency decision gives when it goes against the
  system's ranking (a household that was not the top-ranked taken forward, or the
  top-ranked one turned down). Required by the service in those cases; empty otherwise
  and for every proposal decided before this migration.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("proposal") as batch:
        batch.add_column(sa.Column("recommendation_ranking_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("decision_ranking_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("proposal") as batch:
        batch.drop_column("decision_ranking_reason")
        batch.drop_column("recommendation_ranking_reason")
