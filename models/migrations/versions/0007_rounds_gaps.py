"""Round jobs owned by a process, cancellable, one id per round; published gap reports.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

- round_job: `owner` (the process running it) and `heartbeat_at` (that process is
  alive), so a second server process never sweeps the first one's rounds; `cancelled_by`
  and the status `cancelled`; an index on `status` (active rounds are counted against
  the limits on every request for one);
- every stored round run gets a round job, and one job names at most one run (unique):
  the job's id is the round's one id, shown and accepted everywhere. Runs stored before
  (by the CLI, which made no job) get a finished job here, and a proposal from a round
  names the round's id (`proposal.source_id`; its frozen rationale is left as it was);
- gap_publication: the gap reports published for the recruitment team, at most one per
  date (a month end, an import's date, a date an administrator chose), never recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A job for each run stored without one (rounds the CLI ran before it made jobs).
_JOBS_FOR_RUNS = """
INSERT INTO round_job (created_at, requested_by, params, status, stage, fraction,
                       round_run_id, finished_at)
SELECT r.created_at, r.requested_by, r.params, 'done', 'done', 1.0, r.id, r.created_at
FROM round_run r
WHERE NOT EXISTS (SELECT 1 FROM round_job j WHERE j.round_run_id = r.id)
ORDER BY r.id
"""
# A proposal from a round names the round by its (job's) id, no longer its run's.
_PROPOSALS_BY_ROUND_ID = """
UPDATE proposal SET source_id = (
    SELECT j.id FROM round_job j WHERE j.round_run_id = proposal.source_id
)
WHERE source_kind = 'round'
  AND EXISTS (SELECT 1 FROM round_job j WHERE j.round_run_id = proposal.source_id)
"""
_PROPOSALS_BY_RUN_ID = """
UPDATE proposal SET source_id = (
    SELECT j.round_run_id FROM round_job j WHERE j.id = proposal.source_id
)
WHERE source_kind = 'round'
  AND EXISTS (
    SELECT 1 FROM round_job j WHERE j.id = proposal.source_id AND j.round_run_id IS NOT NULL
  )
"""


def upgrade() -> None:
    with op.batch_alter_table("round_job") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=96), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cancelled_by", sa.String(length=64), nullable=True))
    op.create_index("ix_round_job_status", "round_job", ["status"])
    op.create_index("ix_round_job_requested_by", "round_job", ["requested_by"])
    op.execute(sa.text(_JOBS_FOR_RUNS))
    op.create_index("ix_round_job_round_run_id", "round_job", ["round_run_id"], unique=True)
    op.execute(sa.text(_PROPOSALS_BY_ROUND_ID))

    op.create_table(
        "gap_publication",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("import_run_id", sa.Integer(), nullable=True),
        sa.Column("policy_version", sa.String(), nullable=False),
        sa.Column("inputs_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_gap_publication"),
    )
    op.create_index("ix_gap_publication_as_of", "gap_publication", ["as_of"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_gap_publication_as_of", table_name="gap_publication")
    op.drop_table("gap_publication")
    op.execute(sa.text(_PROPOSALS_BY_RUN_ID))
    op.drop_index("ix_round_job_round_run_id", table_name="round_job")
    op.drop_index("ix_round_job_requested_by", table_name="round_job")
    op.drop_index("ix_round_job_status", table_name="round_job")
    # The old schema knows no cancelled round: it reads as failed, with its reason.
    op.execute(
        sa.text(
            "UPDATE round_job SET status = 'failed', error = 'cancelled' WHERE status = 'cancelled'"
        )
    )
    with op.batch_alter_table("round_job") as batch:
        batch.drop_column("cancelled_by")
        batch.drop_column("heartbeat_at")
        batch.drop_column("owner")
