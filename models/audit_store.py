"""Queries of the audit trail. Append-only: no function here changes or removes an event.

Nothing here commits: the service running the use case commits once at its end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models.accounts import (
    AuditEventRow,
)
from models.orm import utcnow

# A read of many children is one event whose subject ends with this key and their ids,
# comma-separated (ids hold no comma: they are restricted at import).
CHILDREN_KEY = "children="


def _like_literal(text: str) -> str:
    """`text` matched literally by LIKE ... ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _glob_literal(text: str) -> str:
    """`text` matched literally by SQLite's GLOB (case-sensitive, unlike its LIKE)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _names_child(child_id: str, dialect: str) -> Any:
    """Events about `child_id`, or whose list of children names it: the id after
    `children=` or after a comma, followed by a comma or the end."""
    subject = AuditEventRow.subject
    if dialect == "sqlite":
        key, child, anything = CHILDREN_KEY, _glob_literal(child_id), "*"

        def matches(pattern: str) -> Any:
            return subject.op("GLOB")(pattern)
    else:
        key, child, anything = _like_literal(CHILDREN_KEY), _like_literal(child_id), "%"

        def matches(pattern: str) -> Any:
            return subject.like(pattern, escape="\\")

    a = anything
    return or_(
        AuditEventRow.child_id == child_id,
        matches(f"{a}{key}{child}"),  # the only one
        matches(f"{a}{key}{child},{a}"),  # the first of several
        matches(f"{a}{key}{a},{child}"),  # the last
        matches(f"{a}{key}{a},{child},{a}"),  # one in between
    )


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
        conditions.append(_names_child(child_id, session.get_bind().dialect.name))
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
