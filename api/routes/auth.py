"""Health, sign-in and sign-out (OAuth2 password form, bearer tokens), user administration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import AdminUser, CurrentUser, DbSession, client_address, current_session_id
from api.schemas import Health, SignedOut, Token, UserActive, UserIn, UserOut
from api.security import issue_token
from api.services.users import (
    account,
    all_users,
    create_user,
    set_active,
    set_role,
    sign_in,
    sign_out,
)
from matching.errors import FamilyFinderError

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
    """Exchange a username and password for a short-lived bearer token (a server-side
    session: POST /api/logout ends it)."""
    signed_in = sign_in(
        session,
        form.username,
        form.password,
        client_address=client_address(request),
        hashing=request.app.state.password_hashing,
        kind="api",
        lifetime=request.app.state.token_lifetime,
    )
    value, expires = issue_token(
        request.app.state.secret_key,
        signed_in.username,
        signed_in.role,
        session_id=signed_in.session_id,
        lifetime=request.app.state.token_lifetime,
    )
    return Token(access_token=value, token_type="bearer", expires_at=expires, role=signed_in.role)


@router.post("/logout", response_model=SignedOut)
def logout(
    _actor: CurrentUser, session: DbSession, session_id: Annotated[str, Depends(current_session_id)]
) -> SignedOut:
    """End this token's session: the token (and any copy of it) stops working at once."""
    return SignedOut(signed_out=sign_out(session, session_id))


@router.get("/users", response_model=list[UserOut])
def users(_actor: AdminUser, session: DbSession) -> list[UserOut]:
    """Every account (admin)."""
    return [UserOut.model_validate(u) for u in all_users(session)]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def add_user(body: UserIn, actor: AdminUser, session: DbSession) -> UserOut:
    """Create an account (admin; audited). The password is at least 12 characters and not
    a common or easily guessed one (400 says why)."""
    user = create_user(session, body.username, body.password, body.role, actor=actor)
    return UserOut.model_validate(user)


@router.patch("/users/{username}", response_model=UserOut)
def change_user(
    username: Annotated[str, Path(min_length=1, max_length=64)],
    body: UserActive,
    actor: AdminUser,
    session: DbSession,
) -> UserOut:
    """Deactivate an account, ending every session it has at once, or reactivate it;
    change its role (admin; not your own account)."""
    if body.active is None and body.role is None:
        raise FamilyFinderError("give active, role or both")
    if body.role is not None:
        set_role(session, username, body.role, actor=actor)
    if body.active is not None:
        set_active(session, username, body.active, actor=actor)
    return UserOut.model_validate(account(session, username))
