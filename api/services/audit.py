"""Who is asking, what they may see, and the append-only record of what they read.

Every read of child-level data, whichever door it came in by, appends an `audit_event`
in the same transaction as the read, so a read that is served is a read that is
recorded:

    one child (record, shortlist, proposal)   a row per child, `child_id` set
    a list (children, proposals, a round)     ONE row whose subject ends with
                                              `children=C001,C002,...` (`record_children`)
    a read refused (403)                      a `denied` row, committed on its own, so
                                              the refusal's rollback cannot remove it

`audit_trail(child_id=X)` finds both kinds: rows about X and lists naming X. Child ids
are restricted at import to letters, digits, `.`, `_` and `-`, so a comma-separated
list is unambiguous.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from api.requests import AuditQuery
from api.services.unit_of_work import unit_of_work
from models.accounts import AuditEventRow
from models.audit_store import CHILDREN_KEY, append_audit_event, list_audit_events


@dataclass(frozen=True)
class Actor:
    """The signed-in user making a request, and where from."""

    username: str
    role: str
    client_address: str | None = None


class AccessDenied(Exception):
    """The actor's role does not allow this record (mapped to 403). Raise it after
    `record_denial`: the refusal is recorded, then the request refused."""


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


def record_children(
    session: Session, actor: Actor, action: str, children: Iterable[str], what: str
) -> None:
    """One audit event for a read that returned `children`: its subject is `what`
    followed by `children=` and their ids, comma-separated (flushed, committed by the
    calling service)."""
    named = ",".join(children)
    record(session, actor, action, subject=f"{what} {CHILDREN_KEY}{named}".strip())


def record_denial(
    session: Session, actor: Actor, what: str, *, child_id: str | None = None
) -> None:
    """Record, in a transaction of its own (committed now), that `actor` was refused
    `what`: the refused request then rolls back without taking the record with it.
    Call it with nothing else pending on `session`."""
    with unit_of_work(session):
        record(session, actor, "denied", child_id=child_id, subject=what[:1000])


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
    """Audit events newest first, with the total matching the filters (`child_id`:
    events about that child and lists naming it)."""
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
