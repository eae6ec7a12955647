"""The transparency record, for every signed-in user."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import DbSession
from api.pages.web import PageUser, app_policy, render, today
from api.services.transparency import current_record
from api.settings import Settings

router = APIRouter(include_in_schema=False)


@router.get("/transparency", response_class=HTMLResponse)
def transparency_page(request: Request, session: DbSession, actor: PageUser) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    record = current_record(session, actor, settings, app_policy(request), as_of=today())
    return render(request, "transparency.html", actor, title="Transparency record", record=record)
