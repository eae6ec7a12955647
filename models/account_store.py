"""Queries of accounts: users, their sessions, sign-in attempts and the back-off.

Nothing here commits: the service running the use case commits once at its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.errors import ConflictError
from models.accounts import (
    LoginAttemptRow,
    LoginThrottleRow,
    UserRow,
    UserSessionRow,
)


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


def lock_throttle_rows(session: Session, keys: Sequence[str]) -> dict[str, LoginThrottleRow]:
    """The back-off rows of `keys`, made if missing, locked until the transaction ends.

    The insert comes first: on SQLite it takes the write lock, on PostgreSQL it makes
    the rows exist so that SELECT ... FOR UPDATE has something to lock. Keys are taken
    in order, so two sign-ins never wait on each other's rows in a circle.
    """
    ordered = sorted(set(keys))
    dialect = session.get_bind().dialect.name
    rows = [{"key": key, "failures": 0} for key in ordered]
    if dialect == "postgresql":
        session.execute(postgresql.insert(LoginThrottleRow).values(rows).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(LoginThrottleRow).values(rows).on_conflict_do_nothing())
    else:  # pragma: no cover - the two databases the service supports are above
        raise NotImplementedError(dialect)
    found = session.scalars(
        select(LoginThrottleRow)
        .where(LoginThrottleRow.key.in_(ordered))
        .order_by(LoginThrottleRow.key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.key: row for row in found}


def forget_failures(session: Session, key: str) -> None:
    """A success for `key`: its failures are forgotten."""
    session.execute(update(LoginThrottleRow).where(LoginThrottleRow.key == key).values(failures=0))


def uncount_attempt(session: Session, key: str) -> None:
    """Take back one attempt counted for `key` before it turned out a success."""
    session.execute(
        update(LoginThrottleRow)
        .where(LoginThrottleRow.key == key)
        .values(
            failures=case((LoginThrottleRow.failures > 0, LoginThrottleRow.failures - 1), else_=0)
        )
    )


def add_user_session(
    session: Session,
    *,
    id_hash: str,
    user_id: int,
    kind: str,
    created_at: datetime,
    expires_at: datetime,
    client_address: str | None,
) -> UserSessionRow:
    row = UserSessionRow(
        id_hash=id_hash,
        user_id=user_id,
        kind=kind,
        created_at=created_at,
        expires_at=expires_at,
        client_address=(client_address or "")[:64] or None,
    )
    session.add(row)
    session.flush()
    return row


def live_session_user(session: Session, id_hash: str, now: datetime) -> UserRow | None:
    """The active user of the unrevoked, unexpired session `id_hash`, or None."""
    return session.scalars(
        select(UserRow)
        .join(UserSessionRow, UserSessionRow.user_id == UserRow.id)
        .where(
            UserSessionRow.id_hash == id_hash,
            UserSessionRow.revoked_at.is_(None),
            UserSessionRow.expires_at > now,
            UserRow.active.is_(True),
        )
    ).first()


def revoke_session(session: Session, id_hash: str, now: datetime) -> int:
    """End one session; the number ended (0 when it was not live)."""
    result = session.execute(
        update(UserSessionRow)
        .where(UserSessionRow.id_hash == id_hash, UserSessionRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def revoke_user_sessions(session: Session, user_id: int, now: datetime) -> int:
    """End every live session of one user; the number ended."""
    result = session.execute(
        update(UserSessionRow)
        .where(
            UserSessionRow.user_id == user_id,
            UserSessionRow.revoked_at.is_(None),
            UserSessionRow.expires_at > now,
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_expired_sessions(session: Session, before: datetime) -> None:
    """Forget sessions that ended (expired or revoked) before `before`."""
    session.execute(
        UserSessionRow.__table__.delete().where(  # type: ignore[attr-defined]
            (UserSessionRow.expires_at < before) | (UserSessionRow.revoked_at < before)
        )
    )


def set_user_active(session: Session, user: UserRow, active: bool) -> None:
    user.active = active
    session.flush()


def set_user_role(session: Session, user: UserRow, role: str) -> None:
    user.role = role
    session.flush()
