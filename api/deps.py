"""What a route can ask to be given: a database session, the settings, the signed-in user.

DbSession      a session for this request, closed (and rolled back) after it
CurrentUser    the signed-in Actor: 401 without a valid, unexpired token whose session is live
FinderUser     family_finder or admin                     (403 for other roles)
PanelUser      panel, family_finder or admin
PanelRecorder  panel or admin (records a recommendation)
ProposalReader panel, family_finder, decision_maker or admin (reads panel papers)
DecisionMaker  decision_maker or admin (records the agency decision)
GapsUser       recruitment or admin
AdminUser      admin only
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from api.http_errors import BEARER
from api.proxies import TrustedProxies
from api.security import InvalidToken, read_token
from api.services.audit import Actor, record_denial
from api.services.users import session_user
from api.settings import Settings
from models.db import session_scope

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/token", auto_error=False)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    with session_scope(request.app.state.session_factory) as session:
        yield session


DbSession = Annotated[Session, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_settings)]


def client_address(request: Request) -> str:
    """Where the request comes from: the connection's peer, unless that peer is a proxy
    the settings trust (FAMILYFINDER_TRUSTED_PROXIES), whose `X-Forwarded-For` then
    names the client (the right-most address that is not itself a trusted proxy).
    Anyone else's `X-Forwarded-For` is ignored: a client could write anything in it."""
    peer = request.client.host if request.client is not None else "unknown"
    trusted: TrustedProxies = getattr(request.app.state, "trusted_proxies", TrustedProxies())
    return trusted.client(peer, request.headers.getlist("x-forwarded-for"))


def get_current_user(
    request: Request,
    session: DbSession,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Actor:
    if not token:
        raise HTTPException(401, "sign in first: POST /api/token", headers=BEARER)
    try:
        claims = read_token(request.app.state.secret_key, token)
    except InvalidToken:
        raise HTTPException(401, "invalid or expired token", headers=BEARER) from None
    # Looked up on every request (one indexed query): a signed-out session, a
    # deactivated account or a changed role takes effect at once.
    user = session_user(session, claims.session_id)
    if user is None or user.username != claims.username:
        raise HTTPException(401, "the session has ended or the account is disabled", headers=BEARER)
    return Actor(username=user.username, role=user.role, client_address=client_address(request))


def current_session_id(
    token: Annotated[str | None, Depends(oauth2_scheme)], request: Request
) -> str:
    """The session id in the request's bearer token (401 without a readable one)."""
    if not token:
        raise HTTPException(401, "sign in first: POST /api/token", headers=BEARER)
    try:
        return read_token(request.app.state.secret_key, token).session_id
    except InvalidToken:
        raise HTTPException(401, "invalid or expired token", headers=BEARER) from None


CurrentUser = Annotated[Actor, Depends(get_current_user)]


def deny(request: Request, session: Session, actor: Actor, reason: str) -> None:
    """Record that `actor` was refused this request (its method, path and the child it
    names, if any), in a transaction of its own: a refused read of a child's data is
    audited like a served one."""
    child_id = request.path_params.get("child_id")
    record_denial(
        session,
        actor,
        f"{request.method} {request.url.path}: {reason}",
        child_id=child_id if isinstance(child_id, str) else None,
    )


def require_roles(*roles: str) -> Callable[..., Actor]:
    """A dependency admitting only `roles` (403 for any other signed-in role, recorded
    in the audit trail)."""

    def guard(actor: CurrentUser, request: Request, session: DbSession) -> Actor:
        if actor.role not in roles:
            reason = f"the {actor.role} role may not do this"
            deny(request, session, actor, reason)
            raise HTTPException(403, reason)
        return actor

    return guard


FinderUser = Annotated[Actor, Depends(require_roles("family_finder", "admin"))]
PanelUser = Annotated[Actor, Depends(require_roles("panel", "family_finder", "admin"))]
PanelRecorder = Annotated[Actor, Depends(require_roles("panel", "admin"))]
ProposalReader = Annotated[
    Actor, Depends(require_roles("panel", "family_finder", "decision_maker", "admin"))
]
DecisionMaker = Annotated[Actor, Depends(require_roles("decision_maker", "admin"))]
GapsUser = Annotated[Actor, Depends(require_roles("recruitment", "admin"))]
FairnessReader = Annotated[Actor, Depends(require_roles("oversight", "admin"))]
AdminUser = Annotated[Actor, Depends(require_roles("admin"))]
