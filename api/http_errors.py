"""Every HTTP error is a JSON body `{"error": ..., "detail": ...}`, documented in OpenAPI.

    raised                                 status  error
    matching.errors.* (via api.errors)     404/409/410/422/400/500 as mapped there
    AuthenticationFailed, bad/expired token 401    Unauthorized
    AccessDenied, wrong role               403     Forbidden
    LoginThrottled                         429     TooManyRequests (Retry-After)
    TooManyRounds (rounds over the limits) 429     TooManyRequests (Retry-After when full)
    request too large                      413     PayloadTooLarge
    bad parameters or body                 422     RequestValidationError (+ problems)
    text the database cannot store (NUL)   422     RequestValidationError
    HashingBusy (sign-in flood)            503     ServiceUnavailable (Retry-After)
    database unreachable or locked         503     ServiceUnavailable (Retry-After)
    no free database connection (pool)     503     ServiceUnavailable (Retry-After)
    anything else                          500     InternalError (logged, never shown)

No response carries a traceback, SQL or a driver's message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import error_body, http_status
from api.security import HashingBusy
from api.services.audit import AccessDenied
from api.services.round_jobs import TooManyRounds
from api.services.users import AuthenticationFailed, LoginThrottled
from matching.errors import FamilyFinderError

log = logging.getLogger("familyfinder.api")


class ProblemOut(BaseModel):
    file: str
    line: int
    column: str
    reason: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: str
    detail: str
    problems: list[ProblemOut] | None = None


_DESCRIPTIONS = {
    400: "The request cannot be carried out as asked",
    401: "Not signed in, or the token is invalid or expired",
    403: "The signed-in role may not do this",
    404: "No such record",
    409: "Conflicts with the current state (vacancy taken, child already proposed, ...)",
    410: "A stored run whose inputs are no longer kept (deleted under the retention setting)",
    413: "The request body is too large",
    422: "The parameters, body or uploaded files are invalid",
    429: "Too many failed sign-ins, or too many matching rounds queued or running",
    500: "Internal error (details are logged, never returned)",
    503: "Busy or the database is unavailable: try again after Retry-After seconds",
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in _DESCRIPTIONS.items()
}

_HTTP_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
}

BEARER = {"WWW-Authenticate": "Bearer"}
# A busy database or a full pool clears in moments: a client may ask again this soon.
RETRY_AFTER_BUSY_S = 2


def error_response(
    status: int, error: str, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail, **extra}, status, headers=headers)


def _validation_problems(error: RequestValidationError) -> list[dict[str, Any]]:
    problems = []
    for item in error.errors():
        location = [str(p) for p in item.get("loc", ())]
        problems.append(
            {
                "file": location[0] if location else "request",
                "line": 0,
                "column": ".".join(location[1:]),
                "reason": str(item.get("msg", "invalid")),
            }
        )
    return problems


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception the app can raise to an ErrorBody response."""

    @app.exception_handler(FamilyFinderError)
    async def _domain(_request: Request, exc: FamilyFinderError) -> JSONResponse:
        status = http_status(exc)
        if status >= 500:
            log.error("policy error: %s", exc)
            return error_response(status, type(exc).__name__, "the server's policy is invalid")
        return JSONResponse(error_body(exc), status)

    @app.exception_handler(AuthenticationFailed)
    async def _unauthenticated(_request: Request, exc: AuthenticationFailed) -> JSONResponse:
        return error_response(401, "Unauthorized", str(exc), headers=BEARER)

    @app.exception_handler(AccessDenied)
    async def _denied(_request: Request, exc: AccessDenied) -> JSONResponse:
        return error_response(403, "Forbidden", str(exc))

    @app.exception_handler(LoginThrottled)
    async def _throttled(_request: Request, exc: LoginThrottled) -> JSONResponse:
        return error_response(
            429, "TooManyRequests", str(exc), headers={"Retry-After": str(exc.retry_after_s)}
        )

    @app.exception_handler(TooManyRounds)
    async def _rounds_full(_request: Request, exc: TooManyRounds) -> JSONResponse:
        headers = None
        if exc.retry_after_s is not None:
            headers = {"Retry-After": str(exc.retry_after_s)}
        return error_response(429, "TooManyRequests", str(exc), headers=headers)

    @app.exception_handler(HashingBusy)
    async def _hashing_busy(_request: Request, exc: HashingBusy) -> JSONResponse:
        return error_response(
            503, "ServiceUnavailable", str(exc), headers={"Retry-After": str(RETRY_AFTER_BUSY_S)}
        )

    @app.exception_handler(PoolTimeout)
    async def _no_connection(_request: Request, exc: PoolTimeout) -> JSONResponse:
        log.warning("no free database connection: %s", exc)
        return error_response(
            503,
            "ServiceUnavailable",
            "the service is busy; try again shortly",
            headers={"Retry-After": str(RETRY_AFTER_BUSY_S)},
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        page_not_found = getattr(request.app.state, "page_not_found", None)
        if (
            page_not_found is not None
            and not request.url.path.startswith("/api/")
            and all(tuple(item.get("loc", ()))[:1] == ("path",) for item in exc.errors())
        ):
            # a page's address whose id is no number a record can have: no such page
            result: Response = page_not_found(request)
            return result
        problems = _validation_problems(exc)
        detail = "; ".join(f"{p['column'] or p['file']}: {p['reason']}" for p in problems)
        return error_response(422, "RequestValidationError", detail, problems=problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = _HTTP_NAMES.get(exc.status_code, "HTTPError")
        return error_response(exc.status_code, name, str(exc.detail), headers=exc.headers)

    @app.exception_handler(DataError)
    async def _unstorable(_request: Request, exc: DataError) -> JSONResponse:
        # e.g. a NUL character PostgreSQL text cannot hold: the input's fault, not ours
        log.info("value refused by the database: %s", exc.orig or exc)
        return error_response(422, "RequestValidationError", "a value cannot be stored as given")

    @app.exception_handler(UnicodeEncodeError)
    async def _unencodable(_request: Request, exc: UnicodeEncodeError) -> JSONResponse:
        return error_response(422, "RequestValidationError", "text is not valid Unicode")

    @app.exception_handler(OperationalError)
    async def _database(_request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database error: %s", exc.orig or exc)
        return error_response(
            503,
            "ServiceUnavailable",
            "the database is unavailable or busy; try again shortly",
            headers={"Retry-After": str(RETRY_AFTER_BUSY_S)},
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "InternalError", "internal error; it has been logged")
