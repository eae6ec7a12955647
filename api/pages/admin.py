"""The administrator's page: import CSV files, manage users, browse the audit log."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
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
from api.services.audit import Actor, audit_trail, record
from api.services.imports import ImportSummary, import_directory
from api.services.users import all_users, create_user
from api.upload_stream import IMPORT_FILES, receive_csv_files
from matching.errors import FamilyFinderError, Problem, ValidationError
from matching.vocab import CHILDREN_FILE, HOUSEHOLDS_FILE
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
        except ValidationError as error:
            received = None
            problems = error.problems
        if received is not None and not csrf_matches(request, received.fields.get(CSRF_FIELD)):
            raise CsrfRejected()
        if received is None:
            return await run_in_threadpool(_refused_import, request, session, actor, problems)
        missing = [n for n in (CHILDREN_FILE, HOUSEHOLDS_FILE) if n not in received.files]
        if missing:
            errors = [
                {"text": f"Choose the {n} file", "href": "#" + n.split(".")[0]} for n in missing
            ]
            return await run_in_threadpool(
                lambda: _admin_page(request, session, actor, status_code=422, errors=errors)
            )
        try:
            summary = await run_in_threadpool(
                import_directory,
                session,
                Path(directory),
                as_of=today(),
                max_upload_bytes=settings.max_upload_bytes,
                requested_by=actor.username,
            )
        except ValidationError as error:
            return await run_in_threadpool(_refused_import, request, session, actor, error.problems)
    return await run_in_threadpool(_imported, request, session, actor, summary)


def _refused_import(
    request: Request, session: Session, actor: Actor, problems: list[Problem]
) -> HTMLResponse:
    errors = [
        {
            "text": f"The files were not imported: {len(problems)} problem"
            + ("s" if len(problems) != 1 else ""),
            "href": "#import-problems",
        }
    ]
    return _admin_page(request, session, actor, status_code=422, errors=errors, problems=problems)


def _imported(
    request: Request, session: Session, actor: Actor, summary: ImportSummary
) -> HTMLResponse:
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
