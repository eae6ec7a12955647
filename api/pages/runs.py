"""The replay of a stored run, for the panel paper's reader: identical, or what differs."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import DbSession
from api.pages.web import PageId, PaperPage, error_page, render
from api.services.audit import AccessDenied
from api.services.replay import replay_run
from matching.errors import NotFoundError, ReplayUnavailable

router = APIRouter(include_in_schema=False)


@router.get("/runs/{kind}/{run_id}/replay", response_class=HTMLResponse)
def replay_page(
    request: Request,
    session: DbSession,
    actor: PaperPage,
    kind: Literal["shortlist", "round"],
    run_id: PageId,
) -> HTMLResponse:
    what = f"shortlist run {run_id}" if kind == "shortlist" else f"round {run_id}"
    try:
        replay = replay_run(session, actor, kind, run_id)
    except NotFoundError as error:
        return error_page(request, actor, 404, "Run not found", str(error).capitalize() + ".")
    except AccessDenied as error:
        return error_page(
            request, actor, 403, "You cannot replay this run", str(error).capitalize() + "."
        )
    except ReplayUnavailable as error:
        return error_page(
            request, actor, 410, f"The {what} cannot be replayed", str(error).capitalize() + "."
        )
    proposal = request.query_params.get("proposal")
    back = (
        {"text": f"Panel paper {proposal}", "href": f"/proposals/{proposal}"}
        if proposal and proposal.isdigit()
        else None
    )
    return render(
        request,
        "replay.html",
        actor,
        title=f"Replay of {what}",
        replay=replay,
        back=back,
    )
