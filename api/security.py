"""Password hashing (argon2id) and short-lived bearer tokens (JWT, HS256).

A token carries the username and role and expires; every request still loads the user,
so a deactivated account or a changed role takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
ALGORITHM = "HS256"
DEFAULT_TOKEN_LIFETIME = timedelta(minutes=30)
MIN_SECRET_LENGTH = 32
MIN_PASSWORD_LENGTH = 8

# Verified against when the user does not exist, so a login takes as long either way
# and does not reveal which usernames exist.
_DUMMY_HASH = _HASHER.hash("familyfinder-no-such-user")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class TokenClaims:
    username: str
    role: str
    expires_at: datetime


class InvalidToken(Exception):
    """The token is malformed, forged or expired."""


def issue_token(
    secret_key: str,
    username: str,
    role: str,
    *,
    lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    now: datetime | None = None,
) -> tuple[str, datetime]:
    issued = now or datetime.now(UTC)
    expires = issued + lifetime
    token = jwt.encode(
        {"sub": username, "role": role, "iat": issued, "exp": expires},
        secret_key,
        algorithm=ALGORITHM,
    )
    return token, expires


def read_token(secret_key: str, token: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token, secret_key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    return TokenClaims(
        username=str(claims["sub"]),
        role=str(claims.get("role", "")),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )


def secret_key_problem(secret_key: str | None) -> str | None:
    """Why `secret_key` cannot sign tokens, or None when it can."""
    if not secret_key:
        return "FAMILYFINDER_SECRET_KEY is not set"
    if len(secret_key) < MIN_SECRET_LENGTH:
        return f"FAMILYFINDER_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters"
    return None
