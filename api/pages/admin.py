"""The administrator's page: import CSV files, manage users, browse the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import DbSession
from api.pages.web import AdminPage, CsrfChecked, render, today
from api.services.audit import Actor, audit_trail, record
from api.services.uploads import import_uploads
from api.services.users import all_users, create_user
from matching.errors import FamilyFinderError, ValidationError
from matching.vocab import CHILDREN_FILE, HOUSEHOLDS_FILE, LINKS_FILE
from models.accounts import ROLES

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
    since = datetime.combine(day, time.min, tzinfo=UTC) if day else None
    until = datetime.combine(day, time.max, tzinfo=UTC) if day else None
    events, total = audit_trail(
        session,
        username=who or None,
        child_id=child or None,
        since=since,
        until=until,
        limit=AUDIT_PAGE,
    )
    users = all_users(session)
    session.rollback()
    context.setdefault("errors", [])
    return render(
        request,
        "admin.html",
        actor,
        status_code=status_code,
        title="Admin",
        users=users,
        roles=ROLES,
        events=events,
        events_total=total,
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
    missing = [n for n in (CHILDREN_FILE,) if n not in files]  # children-only is allowed
    if missing:
        errors = [{"text": f"Choose the {n} file", "href": "#" + n.split(".")[0]} for n in missing]
        return _admin_page(request, session, actor, status_code=422, errors=errors)
    try:
        summary = import_uploads(
            session,
            files,
            as_of=today(),
            max_upload_bytes=request.app.state.settings.max_upload_bytes,
            requested_by=actor.username,
        )
    except ValidationError as error:
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
    record(session, actor, "import", subject=f"import_run:{summary.import_run_id}")
    session.commit()
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
        user = create_user(session, new_username, new_password, new_role)
    except FamilyFinderError as error:
        return _admin_page(
            request,
            session,
            actor,
            status_code=422,
            errors=[{"text": f"The user was not added: {error}", "href": "#new_username"}],
            user_form={"username": new_username, "role": new_role},
        )
    record(session, actor, "add_user", subject=f"user:{user.username} role={user.role}")
    session.commit()
    return _admin_page(request, session, actor, user_added=user.username)
