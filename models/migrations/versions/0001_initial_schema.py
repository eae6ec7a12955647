"""Initial schema: children, households, sibling links, import/shortlist/round runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _run_columns() -> list[sa.Column[object]]:
    """Columns shared by every stored run: who asked, when, for which data."""
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "child",
        sa.Column("child_id", sa.String(), nullable=False),
        sa.Column("first_name", sa.String(), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=16), nullable=False),
        sa.Column("ethnicity", sa.String(length=8), nullable=False),
        sa.Column("religion", sa.String(length=32), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("legal_status", sa.String(length=8), nullable=True),
        sa.Column("plan", sa.String(length=32), nullable=False),
        sa.Column("entered_care_on", sa.Date(), nullable=True),
        sa.Column("plan_date", sa.Date(), nullable=True),
        sa.Column("home_lat", sa.Float(), nullable=True),
        sa.Column("home_lon", sa.Float(), nullable=True),
        sa.Column("school_lat", sa.Float(), nullable=True),
        sa.Column("school_lon", sa.Float(), nullable=True),
        sa.Column("family_time_max_km", sa.Float(), nullable=True),
        sa.Column("min_distance_km", sa.Float(), nullable=True),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("requirements", sa.JSON(), nullable=False),
        sa.Column("wishes", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("child_id", name="pk_child"),
    )
    op.create_index("ix_child_plan", "child", ["plan"])
    op.create_index("ix_child_status", "child", ["status"])

    op.create_table(
        "household",
        sa.Column("household_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("term", sa.String(length=8), nullable=True),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("weekly_cost", sa.Float(), nullable=True),
        sa.Column("approved_min_age", sa.Integer(), nullable=False),
        sa.Column("approved_max_age", sa.Integer(), nullable=False),
        sa.Column("approved_places", sa.Integer(), nullable=False),
        sa.Column("max_sibling_group", sa.Integer(), nullable=False),
        sa.Column("vacancies", sa.Integer(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("will_consider", sa.JSON(), nullable=False),
        sa.Column("will_not_consider", sa.JSON(), nullable=False),
        sa.Column("children_in_home_ages", sa.JSON(), nullable=False),
        sa.Column("ethnicities", sa.JSON(), nullable=False),
        sa.Column("religion", sa.String(length=32), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("smoker", sa.Boolean(), nullable=False),
        sa.Column("pets", sa.Boolean(), nullable=False),
        sa.Column("wheelchair_access", sa.Boolean(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("connected_child_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("household_id", name="pk_household"),
    )
    op.create_index("ix_household_kind", "household", ["kind"])
    op.create_index("ix_household_status", "household", ["status"])

    op.create_table(
        "sibling_link",
        sa.Column("child_a", sa.String(), nullable=False),
        sa.Column("child_b", sa.String(), nullable=False),
        sa.Column("relationship", sa.String(length=8), nullable=False),
        sa.Column("assessment", sa.String(length=16), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=True),
        sa.Column("note", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_a"],
            ["child.child_id"],
            name="fk_sibling_link_child_a_child",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["child_b"],
            ["child.child_id"],
            name="fk_sibling_link_child_b_child",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("child_a", "child_b", name="pk_sibling_link"),
    )
    op.create_index("ix_sibling_link_child_b", "sibling_link", ["child_b"])

    op.create_table(
        "import_run",
        *_run_columns(),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("children_inserted", sa.Integer(), nullable=False),
        sa.Column("children_updated", sa.Integer(), nullable=False),
        sa.Column("households_inserted", sa.Integer(), nullable=False),
        sa.Column("households_updated", sa.Integer(), nullable=False),
        sa.Column("links_inserted", sa.Integer(), nullable=False),
        sa.Column("links_updated", sa.Integer(), nullable=False),
        sa.Column("inputs_fingerprint", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_import_run"),
    )

    op.create_table(
        "shortlist_run",
        *_run_columns(),
        sa.Column("child_id", sa.String(), nullable=False),
        sa.Column("unit", sa.JSON(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("policy_version", sa.String(), nullable=False),
        sa.Column("inputs_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_shortlist_run"),
    )
    op.create_index("ix_shortlist_run_child_id", "shortlist_run", ["child_id"])

    op.create_table(
        "round_run",
        *_run_columns(),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("policy_version", sa.String(), nullable=False),
        sa.Column("inputs_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("solver", sa.String(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_round_run"),
    )


def downgrade() -> None:
    # Reverse order of creation: sibling_link refers to child.
    op.drop_table("round_run")
    op.drop_index("ix_shortlist_run_child_id", table_name="shortlist_run")
    op.drop_table("shortlist_run")
    op.drop_table("import_run")
    op.drop_index("ix_sibling_link_child_b", table_name="sibling_link")
    op.drop_table("sibling_link")
    op.drop_index("ix_household_status", table_name="household")
    op.drop_index("ix_household_kind", table_name="household")
    op.drop_table("household")
    op.drop_index("ix_child_status", table_name="child")
    op.drop_index("ix_child_plan", table_name="child")
    op.drop_table("child")
