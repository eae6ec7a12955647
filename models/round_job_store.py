"""Queries of background round jobs.

Nothing here commits: the service running the use case commits once at its end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from matching.errors import NotFoundError
from models.accounts import (
    RoundJobRow,
)


def add_round_job(session: Session, *, requested_by: str, params: dict[str, Any]) -> RoundJobRow:
    row = RoundJobRow(requested_by=requested_by, params=params, status="queued")
    session.add(row)
    session.flush()
    return row


def get_round_job(session: Session, job_id: int) -> RoundJobRow:
    row = session.get(RoundJobRow, job_id)
    if row is None:
        raise NotFoundError(f"no round with id {job_id}")
    return row


def update_round_job(session: Session, job_id: int, **values: Any) -> None:
    session.execute(update(RoundJobRow).where(RoundJobRow.id == job_id).values(**values))


def fail_unfinished_round_jobs(session: Session, *, error: str, finished_at: datetime) -> int:
    """Mark every queued or running job failed with `error`; how many there were."""
    result = session.execute(
        update(RoundJobRow)
        .where(RoundJobRow.status.in_(("queued", "running")))
        .values(status="failed", error=error, finished_at=finished_at)
    )
    return int(getattr(result, "rowcount", 0) or 0)
