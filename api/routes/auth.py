"""Health, sign-in (OAuth2 password form) and user administration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import AdminUser, DbSession, client_address
from api.schemas import Health, Token, UserIn, UserOut
from api.security import issue_token
from api.services.users import all_users, authenticate, create_user

router = APIRouter(prefix="/api", tags=["accounts"])


@router.get("/health", response_model=Health)
def health() -> Health:
    """Liveness: answers without the database or a token."""
    return Health(status="ok", version="0.1.0")


@router.post("/token", response_model=Token)
def token(
    request: Request,
    session: DbSession,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """Exchange a username and password for a short-lived bearer token."""
    user = authenticate(
        session, form.username, form.password, client_address=client_address(request)
    )
    value, expires = issue_token(
        request.app.state.secret_key,
        user.username,
        user.role,
        lifetime=request.app.state.token_lifetime,
    )
    return Token(access_token=value, token_type="bearer", expires_at=expires, role=user.role)


@router.get("/users", response_model=list[UserOut])
def users(_actor: AdminUser, session: DbSession) -> list[UserOut]:
    """Every account (admin)."""
    return [UserOut.model_validate(u) for u in all_users(session)]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def add_user(body: UserIn, actor: AdminUser, session: DbSession) -> UserOut:
    """Create an account (admin); audited."""
    user = create_user(session, body.username, body.password, body.role, actor=actor)
    return UserOut.model_validate(user)
