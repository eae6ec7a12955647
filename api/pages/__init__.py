"""Server-rendered pages for family finders, recruitment, the panel and administrators.

`install_pages(app, secret_key)` adds everything the pages need to the service: the
signed session cookie, the static GOV.UK Frontend assets under /static, the page
routers, and the handlers that turn a missing session into a redirect to /login and a
forbidden page into a plain 403 page. The pages call the same services as the API.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from api.pages import admin, auth, children, gaps, panel, rounds
from api.pages.web import (
    SESSION_MAX_AGE_S,
    STATIC_DIR,
    CsrfRejected,
    PageForbidden,
    SignInRequired,
    error_page,
    login_redirect_url,
    not_found_page,
)

SESSION_COOKIE = "familyfinder_session"


async def _sign_in(request: Request, error: Exception) -> Response:
    assert isinstance(error, SignInRequired)
    return RedirectResponse(login_redirect_url(error.next_url), status_code=303)


async def _forbidden(request: Request, error: Exception) -> Response:
    return error_page(request, None, 403, "You cannot see this page", str(error))


async def _csrf(request: Request, error: Exception) -> Response:
    return error_page(
        request,
        None,
        403,
        "The form could not be sent",
        "The form was out of date or did not come from this service. "
        "Go back, reload the page and try again.",
    )


def install_pages(app: FastAPI, secret_key: str, *, https_only: bool = False) -> None:
    """Mount the pages, their static assets and their session cookie on `app`."""
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
        https_only=https_only,
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (auth, children, rounds, panel, gaps, admin):
        app.include_router(module.router)
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(PageForbidden, _forbidden)
    app.add_exception_handler(CsrfRejected, _csrf)
    # a page address with an id no record can have: read by the validation handler
    app.state.page_not_found = not_found_page
