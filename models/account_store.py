"""Queries of accounts: users and their sign-in attempts.

Nothing here commits: the service running the use case commits once at its end.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.errors import ConflictError
from models.accounts import (
    LoginAttemptRow,
    UserRow,
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
