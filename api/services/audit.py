"""Who is asking, what they may see, and the append-only record of what they read.

Every read of a child's record, shortlist or proposal and every export appends one
`audit_event` in the same transaction as the read, so a read that is served is a read
that is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from api.requests import AuditQuery
from api.services.unit_of_work import unit_of_work
from models.accounts import AuditEventRow
from models.audit_store import append_audit_event, list_audit_events


@dataclass(frozen=True)
class Actor:
    """The signed-in user making a request, and where from."""

    username: str
    role: str
    client_address: str | None = None


class AccessDenied(Exception):
    """The actor's role does not allow this record (mapped to 403)."""


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    child_id: str | None = None,
    subject: str | None = None,
) -> None:
    """Append one audit event for `actor` (flushed, committed by the calling service)."""
    append_audit_event(
        session,
        username=actor.username,
        role=actor.role,
        action=action,
        child_id=child_id,
        subject=subject,
        client_address=actor.client_address,
    )


def audit_trail(
    session: Session,
    *,
    username: str | None = None,
    child_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[AuditEventRow], int]:
    """Audit events newest first, with the total matching the filters."""
    return list_audit_events(
        session,
        username=username,
        child_id=child_id,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )


def audit_page(session: Session, query: AuditQuery) -> tuple[list[AuditEventRow], int]:
    """The page of audit events `query` asks for (its dates whole UTC days), newest
    first, with the total matching its filters."""
    since, until = query.window()
    with unit_of_work(session):  # read only: ends the read transaction
        return audit_trail(
            session,
            username=query.username,
            child_id=query.child_id,
            since=since,
            until=until,
            limit=query.limit,
            offset=query.offset,
        )
