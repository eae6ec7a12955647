"""Sign in and out of the pages (a session cookie, not the API's bearer tokens)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import DbSession, client_address
from api.pages.web import (
    SESSION_CSRF,
    SESSION_ID,
    SESSION_MAX_AGE_S,
    SESSION_USERNAME,
    CsrfChecked,
    PageUser,
    render,
    safe_next,
    start_page,
)
from api.security import HashingBusy
from api.services.users import AuthenticationFailed, LoginThrottled, sign_in, sign_out

router = APIRouter(include_in_schema=False)


@router.get("/", response_model=None)
def home(actor: PageUser) -> Response:
    return RedirectResponse(start_page(actor.role), status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", next=safe_next(next) or "", errors=[])


@router.post("/login", response_model=None, dependencies=[CsrfChecked])
def login(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    errors: list[dict[str, str]] = []
    if not username.strip():
        errors.append({"text": "Enter your username", "href": "#username"})
    if not password:
        errors.append({"text": "Enter your password", "href": "#password"})
    status_code = 401 if username and password else 422
    if not errors:
        try:
            signed_in = sign_in(
                session,
                username.strip(),
                password,
                client_address=client_address(request),
                hashing=request.app.state.password_hashing,
                kind="page",
                lifetime=timedelta(seconds=SESSION_MAX_AGE_S),
            )
        except LoginThrottled as error:
            status_code = 429
            errors.append({"text": str(error).capitalize(), "href": "#username"})
        except HashingBusy as error:
            status_code = 503
            errors.append({"text": str(error).capitalize(), "href": "#username"})
        except AuthenticationFailed:
            errors.append({"text": "The username or password is not right", "href": "#username"})
        else:
            # A fresh session (and CSRF token) at sign-in: nothing carries over.
            request.session.clear()
            request.session[SESSION_USERNAME] = signed_in.username
            request.session[SESSION_ID] = signed_in.session_id
            request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
            return RedirectResponse(safe_next(next) or start_page(signed_in.role), status_code=303)
    return render(
        request,
        "login.html",
        status_code=status_code,
        next=safe_next(next) or "",
        errors=errors,
        username=username,
    )


@router.post("/logout", response_model=None, dependencies=[CsrfChecked])
def logout(request: Request, session: DbSession) -> Response:
    session_id = request.session.get(SESSION_ID)
    if isinstance(session_id, str):
        sign_out(session, session_id)  # a copy of the cookie stops working too
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
