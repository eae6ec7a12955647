"""The REST service: `create_app(settings)` builds the FastAPI app.

Routes live in `api/routes/`, each thin over one service in `api/services/`; errors
are mapped in `api/http_errors.py`. The app owns one engine and session factory, the
scoring policy (read once at start), the bounded password checker, and the round
worker (`api.services.round_jobs.RoundWorker`): one thread running matching rounds in
the background, so requests are never blocked by the solver, and a heartbeat that keeps
this process's rounds alive in the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http_errors import ERROR_RESPONSES, install_error_handlers
from api.pages import install_pages
from api.pages.web import page_csp
from api.proxies import TrustedProxies, parse_trusted_proxies
from api.routes import auth, operations, proposals, records, runs
from api.security import DEFAULT_TOKEN_LIFETIME, PasswordHashing, secret_key_problem
from api.services.round_jobs import RoundLimits, RoundWorker
from api.settings import Settings
from matching.errors import PolicyError
from matching.policy import Policy, default_policy, load_policy
from models.db import make_engine, make_session_factory

# Bodies other than the CSV upload are small JSON documents or forms.
MAX_JSON_BODY_BYTES = 1 << 20
UPLOAD_PATHS = ("/api/imports", "/admin/imports")

SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(), camera=(), microphone=()"),
)
# Nothing the service answers with may be kept by a browser or a proxy cache: pages,
# API answers and downloads carry children's records. Only /static is cacheable.
NO_STORE = ((b"cache-control", b"no-store"),)
# The API returns data only: nothing in it may load or run anything.
API_HEADERS = (
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    *NO_STORE,
)
# Any other response (pages, the API docs, downloads) gets the pages' policy without a
# nonce; a page rendered with a nonce keeps its own.
PAGE_HEADERS = ((b"content-security-policy", page_csp().encode()), *NO_STORE)
STATIC_HEADERS = ((b"content-security-policy", page_csp().encode()),)
# Sent when the service is reached over HTTPS only (settings.behind_tls).
HSTS = ((b"strict-transport-security", b"max-age=31536000"),)


class SecurityMiddleware:
    """Security headers on every response, and a size limit on every request body.

    A body over its limit (by Content-Length, or counted as it streams in) gets a 413
    with the usual error body; the app never sees the rest of it.
    """

    def __init__(self, app: ASGIApp, *, max_upload_bytes: int, behind_tls: bool = False) -> None:
        self.app = app
        # three CSV files plus the multipart framing
        self.upload_limit = 3 * max_upload_bytes + (1 << 16)
        self.common = SECURITY_HEADERS + (HSTS if behind_tls else ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = self.upload_limit if path in UPLOAD_PATHS else MAX_JSON_BODY_BYTES
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        page = not path.startswith("/api/")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, limit, page=page)
            return
        extra: tuple[tuple[bytes, bytes], ...]
        if path.startswith("/api/"):
            extra = self.common + API_HEADERS
        elif path.startswith("/static/"):
            extra = self.common + STATIC_HEADERS
        else:
            extra = self.common + PAGE_HEADERS
        received = 0
        too_large = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def secured_send(message: Message) -> None:
            nonlocal started
            if too_large:
                if not started:
                    started = True
                    await _too_large(send, limit, page=page)
                return
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                # a page that set its own policy (with its script nonce) keeps it: two
                # policies would both apply and the nonce-less one block the script
                own = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in own]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, limited_receive, secured_send)
        if too_large and not started:
            await _too_large(send, limit, page=page)


# A page's form sent too much: a plain HTML page (the body was never read, so the app
# and its templates are not involved).
TOO_LARGE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>The file is too large – familyfinder</title>
<link rel="stylesheet" href="/static/govuk/govuk-frontend.min.css"></head>
<body class="govuk-template__body"><main class="govuk-main-wrapper govuk-width-container">
<h1 class="govuk-heading-l">The file is too large</h1>
<p class="govuk-body">What you sent is over the limit of {limit} bytes. Choose a smaller
file, or import the files one at a time.</p>
<p class="govuk-body"><a class="govuk-link" href="/">Go to your start page</a></p>
</main></body></html>
"""


async def _too_large(send: Send, limit: int, *, page: bool = False) -> None:
    if page:
        body = TOO_LARGE_PAGE.format(limit=f"{limit:,}").encode()
        content_type = b"text/html; charset=utf-8"
        policy = PAGE_HEADERS
    else:
        body = (
            b'{"error":"PayloadTooLarge","detail":"the request body is over the limit of '
            + f"{limit:,}".encode()
            + b' bytes"}'
        )
        content_type = b"application/json"
        policy = API_HEADERS
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
                *policy,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# The interactive API docs, from the package's own copy of Swagger UI (no CDN: the
# docs work offline and under the pages' Content-Security-Policy).
DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>familyfinder API</title>
<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body>
</html>
"""


def _install_docs(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_HTML)


def read_policy(settings: Settings) -> Policy:
    """The configured policy file, or the shipped policy; PolicyError when unreadable."""
    if settings.policy_file is None:
        return default_policy()
    try:
        text = settings.policy_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError(f"{settings.policy_file}: {error}") from None
    return load_policy(text)


def create_app(
    settings: Settings,
    *,
    token_lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    engine: Engine | None = None,
) -> FastAPI:
    """The REST app on `settings.database_url` (migrated already: see `serve`).

    Refuses (ValueError) a missing or short `settings.secret_key`: tokens signed with a
    guessable key would let anyone in.
    """
    secret_key = settings.secret_key
    problem = secret_key_problem(secret_key)
    if problem is not None or secret_key is None:
        raise ValueError(problem)
    policy = read_policy(settings)
    engine_kwargs: dict[str, Any] = {"pool_timeout": settings.database_pool_timeout_s}
    if settings.database_url.startswith("sqlite"):
        # Sessions move between the server's threads. A SQLite connection costs the
        # server nothing: enough for every request thread, so none waits for the pool.
        engine_kwargs.update(
            connect_args={"check_same_thread": False},
            busy_timeout_s=settings.database_busy_timeout_s,
            pool_size=10,
            max_overflow=40,
        )
    else:
        engine_kwargs.update(pool_size=20, max_overflow=20, pool_pre_ping=True)
    engine = engine if engine is not None else make_engine(settings.database_url, **engine_kwargs)
    session_factory = make_session_factory(engine)
    worker = RoundWorker(
        session_factory,
        limits=RoundLimits(per_user=settings.rounds_per_user, total=settings.rounds_total),
        heartbeat_s=settings.round_heartbeat_s,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # rounds left by a process that died are marked interrupted; a live one's stay
        worker.start()
        yield
        worker.stop()
        engine.dispose()

    app = FastAPI(
        title="familyfinder",
        version="0.1.0",
        description="Family finding and matching for children's services. Sign in with "
        "POST /api/token; every other endpoint but /api/health needs the bearer token.",
        responses=ERROR_RESPONSES,
        lifespan=lifespan,
        docs_url=None,  # served by _install_docs from the package
        redoc_url=None,  # ReDoc would need a CDN
    )
    app.state.settings = settings
    app.state.secret_key = secret_key
    app.state.token_lifetime = token_lifetime
    app.state.policy = policy
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.round_worker = worker
    app.state.round_executor = worker.executor
    app.state.trusted_proxies = TrustedProxies(parse_trusted_proxies(settings.trusted_proxies))
    app.state.password_hashing = PasswordHashing(
        settings.login_hash_workers, settings.login_hash_queue
    )
    install_error_handlers(app)
    _install_docs(app)
    for module in (auth, records, proposals, operations, runs):
        app.include_router(module.router)
    # the server-rendered pages (api/pages), with Secure cookies behind TLS
    install_pages(app, secret_key, https_only=settings.behind_tls)
    app.add_middleware(
        SecurityMiddleware,
        max_upload_bytes=settings.max_upload_bytes,
        behind_tls=settings.behind_tls,
    )
    return app
