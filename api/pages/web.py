"""What every page shares: templates, the signed-in user from the session cookie, CSRF.

    SignInRequired   no (valid) session: redirected to /login?next=...
    PageForbidden    signed in, but the role may not see this page: a 403 page
    CsrfRejected     a form posted without this session's CSRF token: a 403 page

The session is Starlette's signed cookie (itsdangerous, keyed by the service's secret
key): it holds the username, the id of a server-side session and the CSRF token. The
server-side session and its user are looked up on every request, so signing out,
deactivating the account or changing its role takes effect at once, and a copied
cookie stops working when its session ends.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

from api.deps import DbSession, client_address, deny
from api.services.audit import Actor
from api.services.users import session_user
from matching import labels, phrases
from matching.policy import Policy, default_policy, load_policy

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

SESSION_MAX_AGE_S = 8 * 60 * 60  # a working day (the cookie and its server-side session)
SESSION_USERNAME = "username"
SESSION_ID = "sid"
SESSION_CSRF = "csrf"
CSRF_FIELD = "csrf_token"

ROLE_NAMES = labels.ROLE

# Where each role starts, and the pages it may open (the navigation shows these).
NAVIGATION: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/children", "Children waiting", ("family_finder", "admin")),
    ("/rounds", "Matching rounds", ("family_finder", "admin")),
    ("/panel", "Panel", ("panel", "family_finder", "admin")),
    ("/decisions", "Decisions", ("decision_maker", "admin")),
    ("/gaps", "Gap report", ("recruitment", "admin")),
    ("/fairness", "Fairness", ("oversight", "admin")),
    ("/admin", "Admin", ("admin",)),
)


class SignInRequired(Exception):
    """No valid session: send the visitor to /login, then back to `next_url`."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageForbidden(Exception):
    """The signed-in role may not open this page."""


class CsrfRejected(Exception):
    """A form arrived without this session's CSRF token."""


def _environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES_DIR),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Words, not codes (matching.labels), and sentences as people write them
    # (matching.phrases): the same helpers the CLI, the exports and the paper use.
    env.filters["role_name"] = lambda role: labels.label("role", role)
    env.filters["label"] = lambda code, vocabulary: labels.label(vocabulary, code)
    env.filters["labels"] = lambda codes, vocabulary: labels.labels(vocabulary, codes or ())
    env.filters["lower_label"] = labels.lower
    env.filters["need_with_level"] = lambda item: labels.need_with_level(item[0], item[1])
    env.filters["long_date"] = phrases.long_date
    env.filters["date_and_time"] = phrases.date_and_time
    env.filters["count"] = phrases.count
    env.filters["plural"] = phrases.plural
    env.filters["join_words"] = phrases.join_words
    env.filters["ages_at_home"] = phrases.ages_at_home
    # Jinja's own `capitalize` lower-cases the rest ("3 March" -> "3 march"): not that.
    env.filters["capitalize"] = lambda text: str(text)[:1].upper() + str(text)[1:]
    env.filters["iso_day"] = lambda text: date.fromisoformat(str(text)[:10]) if text else None
    env.filters["iso_moment"] = lambda text: datetime.fromisoformat(str(text)) if text else None
    env.globals["household_kind"] = labels.household_kind
    return env


templates = Jinja2Templates(env=_environment())


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def csrf_matches(request: Request, sent: object) -> bool:
    """Whether `sent` is this session's CSRF token."""
    expected = request.session.get(SESSION_CSRF)
    return (
        isinstance(sent, str)
        and isinstance(expected, str)
        and bool(expected)
        and hmac.compare_digest(sent.encode(), expected.encode())
    )


async def check_csrf(request: Request) -> None:
    """Reject a POSTed form whose `csrf_token` is not this session's token."""
    form = await request.form()
    if not csrf_matches(request, form.get(CSRF_FIELD)):
        raise CsrfRejected()


CsrfChecked = Depends(check_csrf)


def _here(request: Request) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def page_user(request: Request, session: DbSession) -> Actor:
    """The signed-in user, or SignInRequired."""
    username = request.session.get(SESSION_USERNAME)
    session_id = request.session.get(SESSION_ID)
    if not isinstance(username, str) or not isinstance(session_id, str):
        raise SignInRequired(_here(request) if request.method == "GET" else "/")
    user = session_user(session, session_id)  # ends the lookup's transaction
    if user is None or user.username != username:
        request.session.clear()
        raise SignInRequired(_here(request) if request.method == "GET" else "/")
    return Actor(username=user.username, role=user.role, client_address=client_address(request))


PageUser = Annotated[Actor, Depends(page_user)]


def page_roles(*roles: str) -> Callable[..., Actor]:
    """A dependency admitting only `roles`; any other signed-in role gets the 403 page
    (and the refusal is recorded in the audit trail)."""

    def guard(actor: PageUser, request: Request, session: DbSession) -> Actor:
        if actor.role not in roles:
            allowed = ", ".join(ROLE_NAMES[r].lower() for r in roles)
            deny(request, session, actor, f"the {actor.role} role may not open this page")
            raise PageForbidden(
                f"You are signed in as {actor.username} with the "
                f"{ROLE_NAMES.get(actor.role, actor.role).lower()} role. "
                f"This page is only for: {allowed}."
            )
        return actor

    return guard


# An id in a page's address: a number the database can hold. Anything else (a letter,
# 10**30) names no page: the 404 page (see `not_found_page`), never a 500.
MAX_PAGE_ID = 2**31 - 1
PageId = Annotated[int, PathParam(ge=1, le=MAX_PAGE_ID)]

FinderPage = Annotated[Actor, Depends(page_roles("family_finder", "admin"))]
PanelPage = Annotated[Actor, Depends(page_roles("panel", "family_finder", "admin"))]
PanelRecorderPage = Annotated[Actor, Depends(page_roles("panel", "admin"))]
# A panel paper: the panel, family finders, the agency decision maker, administrators.
PaperPage = Annotated[
    Actor, Depends(page_roles("panel", "family_finder", "decision_maker", "admin"))
]
DecisionPage = Annotated[Actor, Depends(page_roles("decision_maker", "admin"))]
GapsPage = Annotated[Actor, Depends(page_roles("recruitment", "admin"))]
FairnessPage = Annotated[Actor, Depends(page_roles("oversight", "admin"))]
AdminPage = Annotated[Actor, Depends(page_roles("admin"))]


def start_page(role: str) -> str:
    """The first page of a role's journey."""
    return next(href for href, _text, roles in NAVIGATION if role in roles)


def render(
    request: Request,
    template: str,
    actor: Actor | None = None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render `template` with the navigation for `actor` and this session's CSRF token."""
    navigation = []
    if actor is not None:
        navigation = [
            {
                "href": href,
                "text": text,
                "active": request.url.path.startswith(href),
            }
            for href, text, roles in NAVIGATION
            if actor.role in roles
        ]
    nonce = secrets.token_urlsafe(16)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "actor": actor,
            "navigation": navigation,
            "csrf_token": csrf_token(request),
            "csrf_field": CSRF_FIELD,
            # GOV.UK's template marks its one inline script with it
            "cspNonce": nonce,
            **context,
        },
        status_code=status_code,
    )
    response.headers["content-security-policy"] = page_csp(nonce)
    return response


# Pages and their downloads: everything from this origin, no plugin, no other site may
# frame them or receive their forms. Inline styles are allowed for the charts
# (matplotlib's SVG styles its elements inline); inline scripts only with the page's
# nonce (GOV.UK's template has one). Responses that do not come from `render` get the
# policy without a nonce from the security middleware (`api.app`).
_PAGE_CSP = (
    "default-src 'self'; script-src 'self'{nonce}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def page_csp(nonce: str | None = None) -> str:
    """The pages' Content-Security-Policy, letting inline scripts with `nonce` run."""
    return _PAGE_CSP.format(nonce=f" 'nonce-{nonce}'" if nonce else "")


def error_page(
    request: Request, actor: Actor | None, status_code: int, title: str, message: str
) -> HTMLResponse:
    return render(
        request, "error.html", actor, status_code=status_code, title=title, message=message
    )


def not_found_page(request: Request) -> HTMLResponse:
    """The 404 page for an address whose id cannot name anything."""
    return error_page(
        request, None, 404, "Page not found", "There is no such page: check the address."
    )


def login_redirect_url(next_url: str) -> str:
    return "/login?next=" + quote(next_url, safe="/")


def safe_next(next_url: str | None) -> str | None:
    """Only a local path: never redirect a signed-in user to another site."""
    if next_url and next_url.startswith("/") and not next_url.startswith("//"):
        return next_url
    return None


def app_policy(request: Request) -> Policy:
    """The service's scoring policy: the app's, else FAMILYFINDER_POLICY_FILE, else shipped."""
    policy = getattr(request.app.state, "policy", None)
    if isinstance(policy, Policy):
        return policy
    settings = getattr(request.app.state, "settings", None)
    path = getattr(settings, "policy_file", None)
    policy = load_policy(Path(path).read_text()) if path else default_policy()
    request.app.state.policy = policy
    return policy


def today() -> date:
    return date.today()
