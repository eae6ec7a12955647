"""The administrator's page: import CSV files, manage users, browse the audit log."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import DbSession
from api.pages.web import AdminPage, CsrfChecked, render, today
from api.requests import AuditQuery, field_messages
from api.services.admin import admin_view
from api.services.audit import Actor
from api.services.uploads import import_uploads
from api.services.users import create_user
from matching.errors import FamilyFinderError
from matching.errors import ValidationError as ImportRefused
from matching.vocab import CHILDREN_FILE, HOUSEHOLDS_FILE, LINKS_FILE

router = APIRouter(include_in_schema=False)

AUDIT_PAGE = 50


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def _admin_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    params = request.query_params
    who = params.get("user", "").strip()
    child = params.get("child", "").strip()
    day = _parse_day(params.get("day", ""))
    context.setdefault("errors", [])
    try:
        query = AuditQuery(
            username=who or None, child_id=child or None, since=day, until=day, limit=AUDIT_PAGE
        )
    except ValidationError as error:
        for field, message in field_messages(error).items():
            href = {"username": "#user", "child_id": "#child"}.get(field, "#user")
            context["errors"].append({"text": f"The audit filter {message}", "href": href})
        query = AuditQuery(limit=AUDIT_PAGE)
        status_code = 422
    view = admin_view(session, query)
    return render(
        request,
        "admin.html",
        actor,
        status_code=status_code,
        title="Admin",
        users=view.users,
        roles=view.roles,
        events=view.events,
        events_total=view.events_total,
        audit_filter={"user": who, "child": child, "day": params.get("day", "")},
        **context,
    )


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, session: DbSession, actor: AdminPage) -> HTMLResponse:
    return _admin_page(request, session, actor)


@router.post("/admin/imports", response_class=HTMLResponse, dependencies=[CsrfChecked])
def import_files(
    request: Request,
    session: DbSession,
    actor: AdminPage,
    children: UploadFile | None = None,
    households: UploadFile | None = None,
    sibling_links: UploadFile | None = None,
) -> HTMLResponse:
    files = {
        name: upload.file
        for name, upload in (
            (CHILDREN_FILE, children),
            (HOUSEHOLDS_FILE, households),
            (LINKS_FILE, sibling_links),
        )
        if upload is not None and upload.filename
    }
    missing = [n for n in (CHILDREN_FILE, HOUSEHOLDS_FILE) if n not in files]
    if missing:
        errors = [{"text": f"Choose the {n} file", "href": "#" + n.split(".")[0]} for n in missing]
        return _admin_page(request, session, actor, status_code=422, errors=errors)
    try:
        summary = import_uploads(
            session,
            actor,
            files,
            as_of=today(),
            max_upload_bytes=request.app.state.settings.max_upload_bytes,
        )
    except ImportRefused as error:
        problems = error.problems
        errors = [
            {
                "text": f"The files were not imported: {len(problems)} problem"
                + ("s" if len(problems) != 1 else ""),
                "href": "#import-problems",
            }
        ]
        return _admin_page(
            request, session, actor, status_code=422, errors=errors, problems=problems
        )
    return _admin_page(request, session, actor, imported=summary)


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
        return _admin_page(
            request,
            session,
            actor,
            status_code=422,
            errors=[{"text": f"The user was not added: {error}", "href": "#new_username"}],
            user_form={"username": new_username, "role": new_role},
        )
    return _admin_page(request, session, actor, user_added=user.username)
