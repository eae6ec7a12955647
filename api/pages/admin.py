"""The administrator's pages, in sections: import CSV files, users (add, deactivate,
change role), and the audit log (filters that validate, a page at a time)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.deps import DbSession
from api.pages.web import (
    CSRF_FIELD,
    AdminPage,
    CsrfChecked,
    CsrfRejected,
    csrf_matches,
    render,
    today,
)
from api.requests import AuditQuery, field_messages
from api.services.admin import admin_view
from api.services.audit import Actor
from api.services.uploads import import_received
from api.services.users import create_user, set_active, set_role
from api.upload_stream import IMPORT_FILES, receive_csv_files
from matching.errors import FamilyFinderError, Problem
from matching.errors import ValidationError as ImportRefused
from matching.vocab import CHILDREN_FILE

router = APIRouter(include_in_schema=False)

AUDIT_PAGE = 50
SECTIONS = (
    ("/admin/import", "Import", "Import an authority's CSV files: checked first, all or nothing."),
    ("/admin/users", "Users", "Add users, change their role, deactivate or reactivate them."),
    ("/admin/audit", "Audit log", "Who read or changed what, when, from where."),
)
# The audit filters on the page and the AuditQuery field each fills.
AUDIT_FIELDS = {"user": "username", "child": "child_id", "since": "since", "until": "until"}
AUDIT_LABELS = {"username": "User", "child_id": "Child id", "since": "From", "until": "To"}


def _section(request: Request, actor: Actor, template: str, **context: Any) -> HTMLResponse:
    context.setdefault("errors", [])
    return render(request, template, actor, sections=SECTIONS, **context)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, actor: AdminPage) -> HTMLResponse:
    return _section(request, actor, "admin.html", title="Admin")


# ----------------------------------------------------------------------------- import


def _import_page(
    request: Request, actor: Actor, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return _section(
        request,
        actor,
        "admin_import.html",
        status_code=status_code,
        title="Import an authority",
        **context,
    )


@router.get("/admin/import", response_class=HTMLResponse)
def import_page(request: Request, actor: AdminPage) -> HTMLResponse:
    return _import_page(request, actor)


@router.post("/admin/imports", response_class=HTMLResponse)
async def import_files(request: Request, session: DbSession, actor: AdminPage) -> HTMLResponse:
    # The form is read only now, after the session is known to be an admin's, and
    # streamed to disk with the size limit applied as it arrives (api.upload_stream).
    settings = request.app.state.settings
    with tempfile.TemporaryDirectory(prefix="ff-upload-") as directory:
        try:
            received = await receive_csv_files(
                request,
                Path(directory),
                files=IMPORT_FILES,
                fields=(CSRF_FIELD,),
                max_file_bytes=settings.max_upload_bytes,
            )
        except ImportRefused as error:
            received = None
            problems = error.problems
        if received is not None and not csrf_matches(request, received.fields.get(CSRF_FIELD)):
            raise CsrfRejected()
        if received is None:
            return _refused_import(request, actor, problems)
        if CHILDREN_FILE not in received.files:  # households and links are optional
            errors = [{"text": f"Choose the {CHILDREN_FILE} file", "href": "#children"}]
            return _import_page(request, actor, status_code=422, errors=errors)
        try:
            summary = await run_in_threadpool(
                import_received,
                session,
                actor,
                Path(directory),
                as_of=today(),
                max_upload_bytes=settings.max_upload_bytes,
            )
        except ImportRefused as error:
            return _refused_import(request, actor, error.problems)
    return _import_page(request, actor, imported=summary)


def _refused_import(request: Request, actor: Actor, problems: list[Problem]) -> HTMLResponse:
    errors = [
        {
            "text": f"The files were not imported: {len(problems)} problem"
            + ("s" if len(problems) != 1 else ""),
            "href": "#import-problems",
        }
    ]
    return _import_page(request, actor, status_code=422, errors=errors, problems=problems)


# ----------------------------------------------------------------------------- users


def _users_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    view = admin_view(session, AuditQuery(limit=1))
    return _section(
        request,
        actor,
        "admin_users.html",
        status_code=status_code,
        title="Users",
        users=view.users,
        roles=view.roles,
        **context,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, session: DbSession, actor: AdminPage) -> HTMLResponse:
    return _users_page(request, session, actor, done=request.query_params.get("done"))


@router.post("/admin/users", response_model=None, dependencies=[CsrfChecked])
def add_user(
    request: Request,
    session: DbSession,
    actor: AdminPage,
    new_username: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    new_role: Annotated[str, Form()] = "",
) -> Response:
    try:
        user = create_user(session, new_username, new_password, new_role, actor=actor)
    except FamilyFinderError as error:
        return _users_page(
            request,
            session,
            actor,
            status_code=422,
            errors=[{"text": f"The user was not added: {error}", "href": "#new_username"}],
            user_form={"username": new_username, "role": new_role},
        )
    return _users_page(request, session, actor, user_added=user.username)


@router.post("/admin/users/{username}/role", response_model=None, dependencies=[CsrfChecked])
def change_role(
    request: Request,
    session: DbSession,
    actor: AdminPage,
    username: str,
    role: Annotated[str, Form()] = "",
) -> Response:
    try:
        set_role(session, username, role, actor=actor)
    except FamilyFinderError as error:
        return _users_page(
            request,
            session,
            actor,
            status_code=404 if "no user" in str(error) else 409,
            errors=[{"text": f"The role was not changed: {error}", "href": f"#role-{username}"}],
        )
    return RedirectResponse(f"/admin/users?done=role-{username}", status_code=303)


@router.post("/admin/users/{username}/active", response_model=None, dependencies=[CsrfChecked])
def change_active(
    request: Request,
    session: DbSession,
    actor: AdminPage,
    username: str,
    active: Annotated[str, Form()] = "",
) -> Response:
    if active not in ("true", "false"):
        return _users_page(
            request,
            session,
            actor,
            status_code=422,
            errors=[{"text": "Choose to deactivate or reactivate the user", "href": "#users"}],
        )
    try:
        set_active(session, username, active == "true", actor=actor)
    except FamilyFinderError as error:
        return _users_page(
            request,
            session,
            actor,
            status_code=404 if "no user" in str(error) else 409,
            errors=[{"text": f"The user was not changed: {error}", "href": "#users"}],
        )
    verb = "activated" if active == "true" else "deactivated"
    return RedirectResponse(f"/admin/users?done={verb}-{username}", status_code=303)


# ----------------------------------------------------------------------------- audit


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: DbSession, actor: AdminPage) -> HTMLResponse:
    params = request.query_params
    shown = {name: params.get(name, "").strip() for name in AUDIT_FIELDS}
    try:
        page = max(int(params.get("page", "1") or "1"), 1)
    except ValueError:
        page = 1
    asked = {AUDIT_FIELDS[name]: value for name, value in shown.items() if value}
    errors: list[dict[str, str]] = []
    try:
        query = AuditQuery.model_validate(
            {**asked, "limit": AUDIT_PAGE, "offset": (page - 1) * AUDIT_PAGE}
        )
        if query.since and query.until and query.since > query.until:
            errors.append(
                {"text": "The From date must be on or before the To date", "href": "#since"}
            )
    except ValidationError as error:
        by_field = {v: k for k, v in AUDIT_FIELDS.items()}
        for field, message in field_messages(error).items():
            if field in ("since", "until"):
                message = "must be a real date, like 2026-03-03"
            elif field == "offset":
                field, message = "since", "asks for a page beyond the last"
            name = by_field.get(field, "user")
            errors.append(
                {"text": f"{AUDIT_LABELS.get(field, 'The filter')} {message}", "href": f"#{name}"}
            )
    if errors:
        # A filter that does not validate is an error, never silently ignored.
        return _section(
            request,
            actor,
            "admin_audit.html",
            status_code=422,
            title="Audit log",
            errors=errors,
            events=[],
            total=0,
            page=1,
            pages=1,
            audit_filter=shown,
            query_base="",
        )
    view = admin_view(session, query)
    pages = max(1, -(-view.events_total // AUDIT_PAGE))
    return _section(
        request,
        actor,
        "admin_audit.html",
        title="Audit log",
        events=view.events,
        total=view.events_total,
        page=page,
        pages=pages,
        audit_filter=shown,
        query_base="&".join(f"{k}={v}" for k, v in shown.items() if v),
    )
