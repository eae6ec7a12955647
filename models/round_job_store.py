"""Queries of round jobs: a round from request to result, its owner and heartbeat.

Nothing here commits: the service running the use case commits once at its end.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, text, update
from sqlalchemy.orm import Session

from matching.errors import NotFoundError
from models.accounts import RoundJobRow

ACTIVE_STATUSES = ("queued", "running")
FINISHED_STATUSES = ("done", "failed", "cancelled")
# The ids a user can pass: the column's INTEGER (a larger one names no row, and SQLite
# cannot even compare it).
MAX_ID = 2**31 - 1
# pg_advisory_xact_lock key taken while active rounds are counted and one is added
# ("ffrounds" in ASCII, as a 64-bit number): requests for rounds queue behind it, so two
# at once cannot both pass a limit.
_ROUND_LIMIT_LOCK = 0x6666726F756E6473


def add_round_job(
    session: Session,
    *,
    requested_by: str,
    params: dict[str, Any],
    owner: str | None = None,
    status: str = "queued",
    now: datetime | None = None,
) -> RoundJobRow:
    """A new round job; with an `owner`, its heartbeat starts now."""
    row = RoundJobRow(
        requested_by=requested_by,
        params=params,
        status=status,
        owner=owner,
        heartbeat_at=now if owner is not None else None,
    )
    if now is not None:
        row.created_at = now
    session.add(row)
    session.flush()
    return row


def get_round_job(session: Session, job_id: int, *, for_update: bool = False) -> RoundJobRow:
    """The job, or NotFoundError (also for an id no row can have)."""
    row = None
    if 0 < job_id <= MAX_ID:
        row = session.get(RoundJobRow, job_id, with_for_update=for_update)
    if row is None:
        raise NotFoundError(f"no round with id {job_id}")
    return row


def update_round_job(session: Session, job_id: int, **values: Any) -> None:
    session.execute(update(RoundJobRow).where(RoundJobRow.id == job_id).values(**values))


def update_round_job_if(
    session: Session, job_id: int, statuses: Collection[str], **values: Any
) -> bool:
    """Update the job only while its status is one of `statuses` (one conditional
    UPDATE, so a cancel and the worker's last word cannot both win); whether it was."""
    result = session.execute(
        update(RoundJobRow)
        .where(RoundJobRow.id == job_id, RoundJobRow.status.in_(tuple(statuses)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def lock_round_jobs(session: Session) -> None:
    """Serialise the callers that count active rounds and add one, until the end of the
    transaction: an advisory lock on PostgreSQL; SQLite's write lock (an empty write
    takes it at once) elsewhere."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ROUND_LIMIT_LOCK})
    else:
        session.execute(update(RoundJobRow).where(RoundJobRow.id < 0).values(stage=None))


@dataclass(frozen=True)
class ActiveRound:
    id: int
    requested_by: str
    status: str


def active_round_jobs(session: Session) -> list[ActiveRound]:
    """Every queued or running round, oldest first."""
    rows = session.execute(
        select(RoundJobRow.id, RoundJobRow.requested_by, RoundJobRow.status)
        .where(RoundJobRow.status.in_(ACTIVE_STATUSES))
        .order_by(RoundJobRow.id)
    )
    return [ActiveRound(*row) for row in rows]


def round_job_statuses(session: Session, job_ids: Collection[int]) -> dict[int, str]:
    """The status of each of `job_ids` that exists."""
    if not job_ids:
        return {}
    rows = session.execute(
        select(RoundJobRow.id, RoundJobRow.status).where(RoundJobRow.id.in_(list(job_ids)))
    )
    return {int(job_id): str(status) for job_id, status in rows}


def touch_round_jobs(
    session: Session, job_ids: Collection[int], *, owner: str, at: datetime
) -> None:
    """The heartbeat: `owner` is alive and still holds these active jobs."""
    if not job_ids:
        return
    session.execute(
        update(RoundJobRow)
        .where(
            RoundJobRow.id.in_(list(job_ids)),
            RoundJobRow.owner == owner,
            RoundJobRow.status.in_(ACTIVE_STATUSES),
        )
        .values(heartbeat_at=at)
        .execution_options(synchronize_session=False)
    )


def stale_round_jobs(session: Session, *, silent_since: datetime) -> list[int]:
    """Active jobs whose owner has said nothing since `silent_since` (or never did: a
    job stored before jobs had owners)."""
    rows = session.scalars(
        select(RoundJobRow.id).where(
            RoundJobRow.status.in_(ACTIVE_STATUSES),
            or_(RoundJobRow.heartbeat_at.is_(None), RoundJobRow.heartbeat_at < silent_since),
        )
    )
    return [int(job_id) for job_id in rows]


def fail_round_jobs(
    session: Session, job_ids: Collection[int], *, silent_since: datetime, error: str, at: datetime
) -> int:
    """Mark `job_ids` failed with `error` if they are still active and still silent since
    `silent_since` (a heartbeat in between keeps a job alive); how many were."""
    if not job_ids:
        return 0
    result = session.execute(
        update(RoundJobRow)
        .where(
            RoundJobRow.id.in_(list(job_ids)),
            RoundJobRow.status.in_(ACTIVE_STATUSES),
            or_(RoundJobRow.heartbeat_at.is_(None), RoundJobRow.heartbeat_at < silent_since),
        )
        .values(status="failed", error=error, finished_at=at)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def list_round_jobs(session: Session, *, limit: int = 20) -> list[RoundJobRow]:
    """The most recent rounds, newest first."""
    return list(session.scalars(select(RoundJobRow).order_by(RoundJobRow.id.desc()).limit(limit)))
