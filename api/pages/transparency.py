"""The transparency record, for every signed-in user."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.pages.web import PageUser, app_policy, render
from api.services.transparency import transparency_record
from api.settings import Settings

router = APIRouter(include_in_schema=False)


@router.get("/transparency", response_class=HTMLResponse)
def transparency_page(request: Request, actor: PageUser) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    # The fairness figures join the record when the fairness report is wired in (issue
    # 16 item 1); until then the section says they are not yet computed.
    record = transparency_record(settings, app_policy(request))
    return render(request, "transparency.html", actor, title="Transparency record", record=record)
