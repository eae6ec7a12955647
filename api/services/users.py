"""Accounts: create users, and sign them in with throttling of repeated failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from api.security import MIN_PASSWORD_LENGTH, hash_password, verify_password
from api.services.audit import Actor, record
from api.services.unit_of_work import unit_of_work
from matching.errors import FamilyFinderError
from models.account_store import (
    add_user,
    failed_logins_from,
    failed_logins_since,
    find_user,
    list_users,
    record_login_attempt,
)
from models.accounts import ROLES as ROLES  # the roles an account may have, for the CLI
from models.accounts import UserRow

# Five wrong passwords in fifteen minutes lock the username for the rest of the window;
# fifty from one address (guessing across many usernames) lock that address.
MAX_FAILED_LOGINS = 5
MAX_FAILED_LOGINS_PER_ADDRESS = 50
THROTTLE_WINDOW = timedelta(minutes=15)


class AuthenticationFailed(Exception):
    """Wrong username or password, or an inactive account (mapped to 401)."""


class LoginThrottled(Exception):
    """Too many recent failures for this username (mapped to 429)."""


def create_user(
    session: Session, username: str, password: str, role: str, *, actor: Actor | None = None
) -> UserRow:
    """A new user with an argon2 hash of `password`; committed. When an administrator
    (`actor`) adds it, the addition is audited in the same transaction."""
    username = username.strip()
    if role not in ROLES:
        raise FamilyFinderError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    if not username or len(username) > 64:
        raise FamilyFinderError("a username is 1 to 64 characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FamilyFinderError(f"a password is at least {MIN_PASSWORD_LENGTH} characters")
    with unit_of_work(session):
        user = add_user(
            session, username=username, password_hash=hash_password(password), role=role
        )
        if actor is not None:
            record(session, actor, "add_user", subject=f"user:{user.username} role={user.role}")
    return user


def all_users(session: Session) -> list[UserRow]:
    return list_users(session)


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    client_address: str,
    now: datetime | None = None,
) -> UserRow:
    """The user if the password is right; every attempt is recorded and committed.

    Raises LoginThrottled once MAX_FAILED_LOGINS failures for the username, or
    MAX_FAILED_LOGINS_PER_ADDRESS from the client address, fall within THROTTLE_WINDOW
    (before the password is even checked), AuthenticationFailed otherwise.
    """
    now = now or datetime.now(UTC)
    with unit_of_work(session):
        since = now - THROTTLE_WINDOW
        throttled = (
            failed_logins_since(session, username=username, since=since) >= MAX_FAILED_LOGINS
            or failed_logins_from(session, client_address=client_address, since=since)
            >= MAX_FAILED_LOGINS_PER_ADDRESS
        )
        # A throttled attempt is recorded too (as failed), without checking the password.
        user = None if throttled else find_user(session, username)
        ok = not throttled and verify_password(user.password_hash if user else None, password)
        ok = ok and user is not None and user.active
        record_login_attempt(
            session, username=username, client_address=client_address, succeeded=ok
        )
    if throttled:
        raise LoginThrottled(
            f"too many failed sign-ins; try again in "
            f"{int(THROTTLE_WINDOW.total_seconds() // 60)} minutes"
        )
    if not ok or user is None:
        raise AuthenticationFailed("wrong username or password")
    return user


def active_user(session: Session, username: str) -> UserRow | None:
    user = find_user(session, username)
    return user if user is not None and user.active else None
