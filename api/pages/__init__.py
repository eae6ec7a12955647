"""Server-rendered pages for family finders, recruitment, the panel and administrators.

`install_pages(app, secret_key)` adds everything the pages need to the service: the
signed session cookie, the static GOV.UK Frontend assets under /static, the page
routers, and the handlers that turn a missing session into a redirect to /login and a
forbidden page into a plain 403 page. Every other error outside /api/ (an unknown
address, a method not allowed, a bad path, a busy database, a bug) is an HTML page with
its status; the API keeps its JSON bodies. The pages call the same services as the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from api.pages import (
    admin,
    auth,
    children,
    decisions,
    fairness,
    gaps,
    households,
    panel,
    rounds,
    runs,
    transparency,
)
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

# What an error page says for each status (the API's JSON keeps its own detail).
STATUS_PAGES: dict[int, tuple[str, str]] = {
    400: ("The request could not be carried out", "Go back and check what you entered."),
    401: ("Sign in to continue", "Your session has ended. Sign in again."),
    403: ("You cannot see this page", "Your role does not allow this page."),
    404: (
        "Page not found",
        "There is no page at this address. Check the address, or go to your start page.",
    ),
    405: ("That cannot be done here", "This address does not accept that kind of request."),
    413: ("The file is too large", "Choose a smaller file, or import the files one at a time."),
    422: ("The address is not valid", "Part of the address is not in the form expected."),
    429: ("Too many attempts", "Wait a moment and try again."),
    500: (
        "Sorry, there is a problem with the service",
        "The problem has been logged. Try again later.",
    ),
    503: ("The service is busy", "Try again in a few seconds."),
}
_KEPT_HEADERS = ("retry-after", "allow")
Handler = Callable[[Request, Exception], Awaitable[Response]]


def is_api_request(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in ("/openapi.json", "/docs")


def status_page(request: Request, status_code: int, headers: dict[str, str]) -> Response:
    """The HTML page for an error status outside the API."""
    title, message = STATUS_PAGES.get(
        status_code,
        STATUS_PAGES[500] if status_code >= 500 else STATUS_PAGES[400],
    )
    response = error_page(request, None, status_code, title, message)
    for name, value in headers.items():
        response.headers[name] = value
    return response


def _pages_get_html(handler: Any) -> Handler:
    """The API's handler for an exception, answering page requests with an HTML page of
    the same status (and its Retry-After) instead of its JSON body."""

    async def handle(request: Request, error: Exception) -> Response:
        response: Response = await handler(request, error)
        if is_api_request(request) or not isinstance(response, JSONResponse):
            return response
        kept = {k: v for k, v in response.headers.items() if k.lower() in _KEPT_HEADERS}
        return status_page(request, response.status_code, kept)

    return handle


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
    for module in (
        auth,
        children,
        households,
        rounds,
        panel,
        decisions,
        gaps,
        fairness,
        admin,
        runs,
        transparency,
    ):
        app.include_router(module.router)
    # Installed after the API's handlers (api.http_errors): wrap each of them.
    for error_class, handler in list(app.exception_handlers.items()):
        app.add_exception_handler(error_class, _pages_get_html(handler))
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(PageForbidden, _forbidden)
    app.add_exception_handler(CsrfRejected, _csrf)
    # a page address with an id no record can have: read by the validation handler
    app.state.page_not_found = not_found_page
