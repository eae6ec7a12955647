"""Queries of the multi-user service: users, login attempts, audit, proposals, round jobs,
and the paged browsing of children and households.

Nothing here commits: the service running the use case commits once at its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.errors import ConflictError, NotFoundError
from models.accounts import (
    OPEN_PROPOSAL_STATUSES,
    AuditEventRow,
    LoginAttemptRow,
    ProposalHoldRow,
    ProposalRow,
    RoundJobRow,
    UserRow,
)
from models.orm import ChildRow, HouseholdRow, SiblingLinkRow, utcnow

# ---------------------------------------------------------------------------
# Users and sign-in attempts
# ---------------------------------------------------------------------------


def add_user(session: Session, *, username: str, password_hash: str, role: str) -> UserRow:
    """A new active user; ConflictError when the name is taken."""
    row = UserRow(username=username, password_hash=password_hash, role=role, active=True)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise ConflictError(f"user {username!r} already exists") from None
    return row


def find_user(session: Session, username: str) -> UserRow | None:
    return session.scalars(select(UserRow).where(UserRow.username == username)).first()


def list_users(session: Session) -> list[UserRow]:
    return list(session.scalars(select(UserRow).order_by(UserRow.username)))


def set_password_hash(session: Session, user: UserRow, password_hash: str) -> None:
    user.password_hash = password_hash
    session.flush()


def record_login_attempt(
    session: Session, *, username: str, client_address: str, succeeded: bool
) -> None:
    session.add(
        LoginAttemptRow(
            username=username[:64], client_address=client_address[:64], succeeded=succeeded
        )
    )
    session.flush()


def failed_logins_since(session: Session, *, username: str, since: datetime) -> int:
    """Failures for `username` since `since` and since its last success."""
    last_success = session.scalar(
        select(func.max(LoginAttemptRow.attempted_at)).where(
            LoginAttemptRow.username == username, LoginAttemptRow.succeeded.is_(True)
        )
    )
    start = max(since, last_success) if last_success is not None else since
    return int(
        session.scalar(
            select(func.count()).where(
                LoginAttemptRow.username == username,
                LoginAttemptRow.succeeded.is_(False),
                LoginAttemptRow.attempted_at > start,
            )
        )
        or 0
    )


def failed_logins_from(session: Session, *, client_address: str, since: datetime) -> int:
    """Failures from one client address since `since`, whatever the usernames."""
    return int(
        session.scalar(
            select(func.count()).where(
                LoginAttemptRow.client_address == client_address[:64],
                LoginAttemptRow.succeeded.is_(False),
                LoginAttemptRow.attempted_at > since,
            )
        )
        or 0
    )


# ---------------------------------------------------------------------------
# Audit trail (append-only: no function here changes or removes an event)
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Browsing children and households
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildFilter:
    plan: str | None = None
    status: str | None = None
    born_after: date | None = None  # exclusive: the oldest age of the band
    born_on_or_before: date | None = None  # inclusive: the youngest age of the band
    waiting_since: date | None = None  # plan made on or before this date


def page_children(
    session: Session, where: ChildFilter, *, limit: int, offset: int
) -> tuple[list[ChildRow], int]:
    conditions: list[Any] = []
    if where.plan is not None:
        conditions.append(ChildRow.plan == where.plan)
    if where.status is not None:
        conditions.append(ChildRow.status == where.status)
    if where.born_after is not None:
        conditions.append(ChildRow.date_of_birth > where.born_after)
    if where.born_on_or_before is not None:
        conditions.append(ChildRow.date_of_birth <= where.born_on_or_before)
    if where.waiting_since is not None:
        conditions.append(ChildRow.plan_date <= where.waiting_since)
    total = session.scalar(select(func.count()).select_from(ChildRow).where(*conditions))
    rows = session.scalars(
        select(ChildRow).where(*conditions).order_by(ChildRow.child_id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


def get_child_row(session: Session, child_id: str) -> ChildRow:
    row = session.get(ChildRow, child_id)
    if row is None:
        raise NotFoundError(f"no child with id {child_id!r}")
    return row


def page_households(
    session: Session,
    *,
    kind: str | None,
    status: str | None,
    min_vacancies: int | None,
    limit: int,
    offset: int,
) -> tuple[list[HouseholdRow], int]:
    conditions: list[Any] = []
    if kind is not None:
        conditions.append(HouseholdRow.kind == kind)
    if status is not None:
        conditions.append(HouseholdRow.status == status)
    if min_vacancies is not None:
        conditions.append(HouseholdRow.vacancies >= min_vacancies)
    total = session.scalar(select(func.count()).select_from(HouseholdRow).where(*conditions))
    rows = session.scalars(
        select(HouseholdRow)
        .where(*conditions)
        .order_by(HouseholdRow.household_id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


def sibling_link_rows_touching(session: Session, child_ids: Sequence[str]) -> list[SiblingLinkRow]:
    """Every sibling link with at least one end among `child_ids`, in a stable order."""
    ids = list(child_ids)
    statement = (
        select(SiblingLinkRow)
        .where(SiblingLinkRow.child_a.in_(ids) | SiblingLinkRow.child_b.in_(ids))
        .order_by(SiblingLinkRow.child_a, SiblingLinkRow.child_b)
    )
    return list(session.scalars(statement))


def get_household_row(session: Session, household_id: str) -> HouseholdRow:
    row = session.get(HouseholdRow, household_id)
    if row is None:
        raise NotFoundError(f"no household with id {household_id!r}")
    return row


# ---------------------------------------------------------------------------
# Proposals, vacancy reservations and child holds
# ---------------------------------------------------------------------------


def reserve_vacancies(session: Session, household_id: str, places: int) -> bool:
    """Take `places` vacancies from an available household in one conditional UPDATE.

    The WHERE clause re-checks the count under the row lock, so two transactions can
    never both take the last vacancy; False when there are not enough left.
    """
    result = session.execute(
        update(HouseholdRow)
        .where(
            HouseholdRow.household_id == household_id,
            HouseholdRow.vacancies >= places,
            HouseholdRow.status == "available",
        )
        .values(vacancies=HouseholdRow.vacancies - places)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_vacancies(session: Session, household_id: str, places: int) -> None:
    session.execute(
        update(HouseholdRow)
        .where(HouseholdRow.household_id == household_id)
        .values(vacancies=HouseholdRow.vacancies + places)
        .execution_options(synchronize_session=False)
    )


def hold_children(session: Session, proposal_id: int, child_ids: Sequence[str]) -> None:
    """Hold each child for `proposal_id`; ConflictError when one is already held."""
    try:
        with session.begin_nested():
            session.add_all(
                ProposalHoldRow(child_id=child_id, proposal_id=proposal_id)
                for child_id in child_ids
            )
            session.flush()
    except IntegrityError:
        held = held_children(session, child_ids)
        raise ConflictError(
            "already in an open proposal: " + (", ".join(sorted(held)) or "one of the unit")
        ) from None


def held_children(session: Session, child_ids: Sequence[str]) -> list[str]:
    return list(
        session.scalars(
            select(ProposalHoldRow.child_id).where(ProposalHoldRow.child_id.in_(child_ids))
        )
    )


def release_children(session: Session, proposal_id: int) -> None:
    session.execute(delete(ProposalHoldRow).where(ProposalHoldRow.proposal_id == proposal_id))


def add_proposal(session: Session, **values: Any) -> ProposalRow:
    row = ProposalRow(**values)
    session.add(row)
    session.flush()
    return row


def get_proposal_row(
    session: Session, proposal_id: int, *, for_update: bool = False
) -> ProposalRow:
    query = select(ProposalRow).where(ProposalRow.id == proposal_id)
    if for_update:
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise NotFoundError(f"no proposal with id {proposal_id}")
    return row


def list_proposal_rows(
    session: Session, *, statuses: Sequence[str] | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[ProposalRow], int]:
    conditions: list[Any] = []
    if statuses is not None:
        conditions.append(ProposalRow.status.in_(statuses))
    total = session.scalar(select(func.count()).select_from(ProposalRow).where(*conditions))
    rows = session.scalars(
        select(ProposalRow).where(*conditions).order_by(ProposalRow.id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


def on_panel_agenda(
    session: Session, *, child_id: str | None = None, household_id: str | None = None
) -> bool:
    """Whether an undecided proposal names this child (held) or household."""
    query: Any
    if child_id is not None:
        query = (
            select(ProposalHoldRow.child_id)
            .join(ProposalRow, ProposalRow.id == ProposalHoldRow.proposal_id)
            .where(
                ProposalHoldRow.child_id == child_id,
                ProposalRow.status.in_(OPEN_PROPOSAL_STATUSES),
            )
        )
    else:
        query = select(ProposalRow.id).where(
            ProposalRow.household_id == household_id,
            ProposalRow.status.in_(OPEN_PROPOSAL_STATUSES),
        )
    return session.scalars(query.limit(1)).first() is not None


# ---------------------------------------------------------------------------
# Background round jobs
# ---------------------------------------------------------------------------


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
