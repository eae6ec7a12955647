"""Accounts: create, deactivate and reactivate users; sign in with back-off; sessions.

Signing in, in order:

1. a place among the password checks (`PasswordHashing.admission`): none free, 503;
2. the attempt is counted, in one short transaction under row locks, against the
   username and against the client address, before any password is checked: parallel
   attempts cannot all slip under the limit (a refused attempt counts nothing, so it
   cannot prolong a lock either);
3. the password is checked on a bounded worker;
4. the outcome: a success forgets the username's failures, takes back the address's
   count for this attempt, and starts a server-side session; every attempt is logged.

Back-off: MAX_FAILED_LOGINS failures for a username pass freely; after that each
attempt must wait FIRST_WAIT after the previous one, doubled for every further failure,
at most MAX_WAIT. An address gets MAX_FAILED_LOGINS_PER_ADDRESS (guessing across many
usernames). Failures are forgotten after a success (username) or a quiet spell.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from api.security import (
    PasswordHashing,
    hash_password,
    password_problem,
    session_id_hash,
)
from api.services.audit import Actor, record
from api.services.unit_of_work import unit_of_work
from matching.errors import ConflictError, FamilyFinderError, NotFoundError
from models.account_store import (
    add_user,
    add_user_session,
    delete_expired_sessions,
    find_user,
    forget_failures,
    list_users,
    live_session_user,
    lock_throttle_rows,
    record_login_attempt,
    revoke_session,
    revoke_user_sessions,
    set_user_active,
    set_user_role,
    uncount_attempt,
)
from models.accounts import ROLES, LoginThrottleRow, UserRow

# Read when a sign-in runs (tests may lower them).
MAX_FAILED_LOGINS = 5
MAX_FAILED_LOGINS_PER_ADDRESS = 50
FIRST_WAIT = timedelta(minutes=1)
MAX_WAIT = timedelta(minutes=30)
# A username's failures are forgotten a day after the last; an address's after an
# hour (an office behind one address makes the odd typo every day).
FORGET_USER_FAILURES = timedelta(hours=24)
FORGET_ADDRESS_FAILURES = timedelta(hours=1)
# Ended sessions are kept this long (for the record), then deleted at a sign-in.
KEEP_ENDED_SESSIONS = timedelta(days=7)


class AuthenticationFailed(Exception):
    """Wrong username or password, or an inactive account (mapped to 401)."""


class LoginThrottled(Exception):
    """Too many recent failures for this username or address (mapped to 429)."""

    def __init__(self, message: str, retry_after: timedelta) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, int(retry_after.total_seconds() + 0.999))


@dataclass(frozen=True)
class SignedIn:
    """A started session: `session_id` goes into the token or cookie, never stored."""

    username: str
    role: str
    session_id: str
    expires_at: datetime


@dataclass(frozen=True)
class _Limit:
    free_failures: int
    forget_after: timedelta

    def wait(self, failures: int) -> timedelta:
        """How long after the last attempt the next may be tried."""
        if failures < self.free_failures:
            return timedelta(0)
        doublings = min(failures - self.free_failures, 30)
        wait: timedelta = FIRST_WAIT * (2**doublings)
        return min(wait, MAX_WAIT)


def _user_key(username: str) -> str:
    return "user:" + username[:64]


def _address_key(client_address: str) -> str:
    return "address:" + client_address[:64]


def _limits() -> tuple[_Limit, _Limit]:
    return (
        _Limit(MAX_FAILED_LOGINS, FORGET_USER_FAILURES),
        _Limit(MAX_FAILED_LOGINS_PER_ADDRESS, FORGET_ADDRESS_FAILURES),
    )


def _admit(row: LoginThrottleRow, limit: _Limit, now: datetime) -> timedelta | None:
    """None when an attempt may go ahead, else how long until one may."""
    last = row.last_attempt_at
    if last is None or now - last >= limit.forget_after:
        row.failures = 0
        return None
    wait = limit.wait(row.failures)
    # (`now` was taken before the row lock was granted: a parallel attempt may have
    # stamped a later time meanwhile, so no wait means no wait whatever the clocks say)
    return None if not wait or now >= last + wait else last + wait - now


def _count_attempt(session: Session, username: str, client_address: str, now: datetime) -> None:
    """Count one attempt against the username and the address, or raise LoginThrottled."""
    user_limit, address_limit = _limits()
    user_key, address_key = _user_key(username), _address_key(client_address)
    try:
        rows = lock_throttle_rows(session, [user_key, address_key])
        waits = [
            wait
            for key, limit in ((user_key, user_limit), (address_key, address_limit))
            if (wait := _admit(rows[key], limit, now)) is not None
        ]
        if waits:
            session.rollback()  # a refused attempt changes nothing: it cannot prolong a lock
            retry = max(waits)
            minutes = max(1, int(retry.total_seconds() + 59) // 60)
            raise LoginThrottled(
                f"too many failed sign-ins; try again in {minutes} minute"
                + ("s" if minutes != 1 else ""),
                retry,
            )
        for key in (user_key, address_key):
            row = rows[key]
            row.failures += 1
            last = row.last_attempt_at
            row.last_attempt_at = now if last is None or now > last else last
        session.commit()
    except BaseException:
        session.rollback()
        raise


def sign_in(
    session: Session,
    username: str,
    password: str,
    *,
    client_address: str,
    hashing: PasswordHashing,
    kind: str,
    lifetime: timedelta,
    now: datetime | None = None,
) -> SignedIn:
    """A new session for the user if the password is right (see the module docstring).

    Raises HashingBusy (503), LoginThrottled (429) or AuthenticationFailed (401).
    """
    now = now or datetime.now(UTC)
    with hashing.admission():
        _count_attempt(session, username, client_address, now)
        user = find_user(session, username)
        account = (user.id, user.username, user.role, user.active) if user is not None else None
        stored_hash = user.password_hash if user is not None else None
        session.rollback()  # no transaction is held while the password is checked
        ok = hashing.verify(stored_hash, password) and account is not None and account[3]
    try:
        record_login_attempt(
            session, username=username, client_address=client_address, succeeded=ok
        )
        signed_in = None
        if ok and account is not None:
            user_id, name, role, _active = account
            forget_failures(session, _user_key(username))
            uncount_attempt(session, _address_key(client_address))
            session_id = secrets.token_urlsafe(32)
            add_user_session(
                session,
                id_hash=session_id_hash(session_id),
                user_id=user_id,
                kind=kind,
                created_at=now,
                expires_at=now + lifetime,
                client_address=client_address,
            )
            delete_expired_sessions(session, now - KEEP_ENDED_SESSIONS)
            signed_in = SignedIn(name, role, session_id, now + lifetime)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if signed_in is None:
        raise AuthenticationFailed("wrong username or password")
    return signed_in


def session_user(session: Session, session_id: str, now: datetime | None = None) -> UserRow | None:
    """The active user of a live session, or None (revoked, expired, user deactivated).

    Leaves the lookup's transaction ended: the caller's use case starts its own.
    """
    user = live_session_user(session, session_id_hash(session_id), now or datetime.now(UTC))
    session.rollback()
    return user


def sign_out(session: Session, session_id: str, now: datetime | None = None) -> bool:
    """End one session server-side (a copy of its token or cookie stops working)."""
    try:
        ended = revoke_session(session, session_id_hash(session_id), now or datetime.now(UTC))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return ended > 0


def create_user(
    session: Session, username: str, password: str, role: str, *, actor: Actor | None = None
) -> UserRow:
    """A new user with an argon2 hash of `password`; committed. When an administrator
    (`actor`) adds it, the addition is audited in the same transaction.

    The password must pass `api.security.password_problem` (length, not a common or
    guessable password).
    """
    username = username.strip()
    if role not in ROLES:
        raise FamilyFinderError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    if not username or len(username) > 64:
        raise FamilyFinderError("a username is 1 to 64 characters")
    with unit_of_work(session):
        if find_user(session, username) is not None:
            raise ConflictError(f"user {username!r} already exists")
        problem = password_problem(password, username)
        if problem is not None:
            raise FamilyFinderError(problem)
        user = add_user(
            session, username=username, password_hash=hash_password(password), role=role
        )
        if actor is not None:
            record(session, actor, "add_user", subject=f"user:{user.username} role={user.role}")
    return user


def set_active(
    session: Session, username: str, active: bool, *, actor: Actor | None = None
) -> tuple[UserRow, int]:
    """Deactivate (ending every session of the user) or reactivate an account; committed.

    Returns the user and the number of sessions ended. An administrator (`actor`, whose
    change is audited in the same transaction) cannot deactivate their own account, so
    the service is never left without one by accident.
    """
    with unit_of_work(session):
        user = find_user(session, username)
        if user is None:
            raise NotFoundError(f"no user {username!r}")
        if not active and actor is not None and actor.username == user.username:
            raise ConflictError("you cannot deactivate your own account")
        set_user_active(session, user, active)
        ended = 0 if active else revoke_user_sessions(session, user.id, datetime.now(UTC))
        if actor is not None:
            action = "activate_user" if active else "deactivate_user"
            record(session, actor, action, subject=f"user:{user.username}")
    return user, ended


def set_role(session: Session, username: str, role: str, *, actor: Actor) -> UserRow:
    """Give an account another role; committed and audited. It takes effect on the
    user's next request (the role is looked up on every request). An administrator
    cannot change their own role, so the service is never left without one by accident.
    """
    if role not in ROLES:
        raise FamilyFinderError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    with unit_of_work(session):
        user = find_user(session, username)
        if user is None:
            raise NotFoundError(f"no user {username!r}")
        if actor.username == user.username:
            raise ConflictError("you cannot change your own role")
        before = user.role
        set_user_role(session, user, role)
        record(session, actor, "change_role", subject=f"user:{user.username} {before} -> {role}")
    return user


def account(session: Session, username: str) -> UserRow:
    """One account; NotFoundError when there is none."""
    with unit_of_work(session):  # read only: ends the read transaction
        user = find_user(session, username)
        if user is None:
            raise NotFoundError(f"no user {username!r}")
    return user


def all_users(session: Session) -> list[UserRow]:
    return list_users(session)


def active_user(session: Session, username: str) -> UserRow | None:
    user = find_user(session, username)
    return user if user is not None and user.active else None
