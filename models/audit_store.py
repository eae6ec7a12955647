"""Queries of the audit trail. Append-only: no function here changes or removes an event.

Nothing here commits: the service running the use case commits once at its end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.accounts import (
    AuditEventRow,
)
from models.orm import utcnow


def append_audit_event(
    session: Session,
    *,
    username: str,
    role: str,
    action: str,
    child_id: str | None = None,
    subject: str | None = None,
    client_address: str | None = None,
) -> AuditEventRow:
    row = AuditEventRow(
        occurred_at=utcnow(),
        username=username,
        role=role,
        action=action,
        child_id=child_id,
        subject=subject,
        client_address=client_address,
    )
    session.add(row)  # sent with the transaction's next flush, batched with its fellows
    return row


def list_audit_events(
    session: Session,
    *,
    username: str | None = None,
    child_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[AuditEventRow], int]:
    """Events newest first, filtered; with the total count of the filtered events."""
    conditions: list[Any] = []
    if username is not None:
        conditions.append(AuditEventRow.username == username)
    if child_id is not None:
        conditions.append(AuditEventRow.child_id == child_id)
    if since is not None:
        conditions.append(AuditEventRow.occurred_at >= since)
    if until is not None:
        conditions.append(AuditEventRow.occurred_at < until)
    total = session.scalar(select(func.count()).select_from(AuditEventRow).where(*conditions))
    rows = session.scalars(
        select(AuditEventRow)
        .where(*conditions)
        .order_by(AuditEventRow.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)
