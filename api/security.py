"""Password hashing (argon2id), the password policy, and short-lived bearer tokens.

A token is a JWT (HS256) naming the user, the role and a server-side session (`sid`);
every request checks that the session is live and the user active, so signing out or
deactivating an account ends the token at once (`api.services.users`).

Password checks run through `PasswordHashing`: at most `workers` at once (argon2 takes
64 MiB and most of a core for each), at most `queue` more waiting, any beyond refused at
once with `HashingBusy`, so a flood of sign-ins can neither exhaust memory nor take
every request thread.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
ALGORITHM = "HS256"
DEFAULT_TOKEN_LIFETIME = timedelta(minutes=30)
MIN_SECRET_LENGTH = 32
# NCSC and NIST SP 800-63B: length and a deny-list of known passwords, no composition
# rules. Twelve characters, and zxcvbn's estimate (its 30,000 most common passwords,
# keyboard patterns, dictionary words, the username) at least 3 of 4.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
MIN_PASSWORD_SCORE = 3
# zxcvbn's time grows quickly with length; a long passphrase is judged on its start.
_SCORED_PREFIX = 64


@cache
def _dummy_hash() -> str:
    # Verified against when the user does not exist, so a sign-in takes as long either
    # way and does not reveal which usernames exist. Made on first use: not at import.
    return _HASHER.hash("familyfinder-no-such-user")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return (
            _HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, username: str = "") -> str | None:
    """Why `password` is too weak to accept, in words, or None when it will do."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password is at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password is at most {MAX_PASSWORD_LENGTH} characters"
    from zxcvbn import zxcvbn  # its word lists take a moment to load: only when needed

    verdict = zxcvbn(password[:_SCORED_PREFIX], user_inputs=[username, "familyfinder"])
    if verdict["score"] >= MIN_PASSWORD_SCORE:
        return None
    feedback = verdict["feedback"]
    reason = feedback.get("warning") or "it is too easy to guess"
    advice = " ".join(feedback.get("suggestions") or [])
    return f"the password is too easy to guess: {reason.rstrip('.')}. {advice}".strip()


class HashingBusy(Exception):
    """Every password worker is busy and the queue is full (mapped to 503)."""


class PasswordHashing:
    """Bounded password checking: `workers` at once, `queue` more waiting, no more."""

    def __init__(self, workers: int, queue: int) -> None:
        self.workers = workers
        self.queue = queue
        self._admitted = threading.BoundedSemaphore(workers + queue)
        self._running = threading.BoundedSemaphore(workers)

    @contextmanager
    def admission(self) -> Iterator[None]:
        """A place among the checks running or waiting; HashingBusy when there is none."""
        if not self._admitted.acquire(blocking=False):
            raise HashingBusy("the service is busy signing other people in; try again shortly")
        try:
            yield
        finally:
            self._admitted.release()

    def verify(self, password_hash: str | None, password: str) -> bool:
        """`verify_password` on a worker (waits for one; call inside `admission`)."""
        with self._running:
            return verify_password(password_hash, password)


@dataclass(frozen=True)
class TokenClaims:
    username: str
    role: str
    session_id: str
    expires_at: datetime


class InvalidToken(Exception):
    """The token is malformed, forged, expired or names no session."""


def issue_token(
    secret_key: str,
    username: str,
    role: str,
    *,
    session_id: str | None = None,
    lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    now: datetime | None = None,
) -> tuple[str, datetime]:
    """A signed token for the session `session_id` (one without is never accepted)."""
    issued = now or datetime.now(UTC)
    expires = issued + lifetime
    claims: dict[str, object] = {"sub": username, "role": role, "iat": issued, "exp": expires}
    if session_id is not None:
        claims["sid"] = session_id
    token = jwt.encode(claims, secret_key, algorithm=ALGORITHM)
    return token, expires


def read_token(secret_key: str, token: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token, secret_key, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "sid"]}
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    return TokenClaims(
        username=str(claims["sub"]),
        role=str(claims.get("role", "")),
        session_id=str(claims["sid"]),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )


def session_id_hash(session_id: str) -> str:
    """What the database stores for a session id: a leaked table signs nobody in."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def secret_key_problem(secret_key: str | None) -> str | None:
    """Why `secret_key` cannot sign tokens, or None when it can."""
    if not secret_key:
        return "FAMILYFINDER_SECRET_KEY is not set"
    if len(secret_key) < MIN_SECRET_LENGTH:
        return f"FAMILYFINDER_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters"
    return None
