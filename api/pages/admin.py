"""The administrator's page: import CSV files, manage users, browse the audit log."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
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
from api.services.users import create_user
from api.upload_stream import IMPORT_FILES, receive_csv_files
from matching.errors import FamilyFinderError, Problem
from matching.errors import ValidationError as ImportRefused
from matching.vocab import CHILDREN_FILE

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
            return await run_in_threadpool(_refused_import, request, session, actor, problems)
        missing = [
            n for n in (CHILDREN_FILE,) if n not in received.files
        ]  # children-only is allowed
        if missing:
            errors = [
                {"text": f"Choose the {n} file", "href": "#" + n.split(".")[0]} for n in missing
            ]
            return await run_in_threadpool(
                lambda: _admin_page(request, session, actor, status_code=422, errors=errors)
            )
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
            return await run_in_threadpool(_refused_import, request, session, actor, error.problems)
    return await run_in_threadpool(lambda: _admin_page(request, session, actor, imported=summary))


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
