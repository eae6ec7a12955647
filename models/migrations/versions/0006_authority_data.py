"""Real authority data: placements, facts, not-recorded carer facts, retirement, warnings.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

- child: `placed_with` (the household a placed or matched child lives in),
  `placement_order_on`, `facts` (SSDA903 facts shown but not scored) and `retired_at`;
- household: `smoker`, `pets`, `wheelchair_access` may be NULL (the register does not
  record it), and `retired_at`;
- a retired record (absent from a `--mode snapshot` import) stays for the audit and
  frozen panel papers, out of matching;
- `child_warning`: practice contradictions stored per child (sibling contradiction,
  plan conflict, plan not recorded), replaced by every import;
- `import_run`: mode, format, what a snapshot retired, and the import's report;
- `sibling_link.relationship` widened for `not_recorded`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sibling_link") as batch:
        batch.alter_column(
            "relationship", existing_type=sa.String(length=8), type_=sa.String(length=16)
        )
    with op.batch_alter_table("child") as batch:
        batch.add_column(sa.Column("placed_with", sa.String(), nullable=True))
        batch.add_column(sa.Column("placement_order_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("facts", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("household") as batch:
        for name in ("smoker", "pets", "wheelchair_access"):
            batch.alter_column(name, existing_type=sa.Boolean(), nullable=True)
        batch.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "child_warning",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("child_id", sa.String(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("import_run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["child.child_id"],
            name=op.f("fk_child_warning_child_id_child"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_warning")),
    )
    op.create_index(op.f("ix_child_warning_child_id"), "child_warning", ["child_id"])
    with op.batch_alter_table("import_run") as batch:
        batch.add_column(
            sa.Column("mode", sa.String(length=16), nullable=False, server_default="upsert")
        )
        batch.add_column(
            sa.Column("format", sa.String(length=16), nullable=False, server_default="csv")
        )
        for name in ("children_retired", "households_retired", "links_removed"):
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("report", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_run") as batch:
        for name in ("report", "links_removed", "households_retired", "children_retired"):
            batch.drop_column(name)
        batch.drop_column("format")
        batch.drop_column("mode")
    op.drop_index(op.f("ix_child_warning_child_id"), table_name="child_warning")
    op.drop_table("child_warning")
    # Not-recorded facts have no place in the old schema: recorded as false, as before.
    for name in ("smoker", "pets", "wheelchair_access"):
        op.execute(sa.text(f"UPDATE household SET {name} = false WHERE {name} IS NULL"))
    with op.batch_alter_table("household") as batch:
        batch.drop_column("retired_at")
        for name in ("smoker", "pets", "wheelchair_access"):
            batch.alter_column(name, existing_type=sa.Boolean(), nullable=False)
    with op.batch_alter_table("child") as batch:
        for name in ("retired_at", "facts", "placement_order_on", "placed_with"):
            batch.drop_column(name)
    op.execute(sa.text("DELETE FROM sibling_link WHERE relationship = 'not_recorded'"))
    with op.batch_alter_table("sibling_link") as batch:
        batch.alter_column(
            "relationship", existing_type=sa.String(length=16), type_=sa.String(length=8)
        )
