"""The agency decision maker's pages: the proposals awaiting a decision, and the decision
recorded on the panel paper (approved, or declined, with reasons)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.deps import DbSession
from api.pages.panel import STATUS_TAGS, record_step
from api.pages.web import CsrfChecked, DecisionPage, PageId, render
from api.requests import DecisionRequest, field_messages
from api.services.proposals import list_proposals, record_decision

router = APIRouter(include_in_schema=False)

AWAITING_DECISION = ("recommended", "not_recommended")
# The decisions the decision maker records on this page (withdrawal is the author's).
DECISIONS = ("approved", "declined")


@router.get("/decisions", response_class=HTMLResponse)
def decisions(request: Request, session: DbSession, actor: DecisionPage) -> HTMLResponse:
    rows, _total = list_proposals(session, actor, limit=200)
    return render(
        request,
        "decisions.html",
        actor,
        title="Agency decisions",
        awaiting=[r for r in rows if r.status in AWAITING_DECISION],
        at_panel=[r for r in rows if r.status == "proposed"],
        decided=[r for r in rows if r.decided_at is not None][:50],
        status_tags=STATUS_TAGS,
    )


@router.post("/proposals/{proposal_id}/decision", response_model=None, dependencies=[CsrfChecked])
def decide(
    request: Request,
    session: DbSession,
    actor: DecisionPage,
    proposal_id: PageId,
    decision: Annotated[str, Form()] = "",
    reasons: Annotated[str, Form()] = "",
    ranking_reason: Annotated[str, Form()] = "",
) -> Response:
    errors: list[dict[str, str]] = []
    asked: DecisionRequest | None = None
    if decision not in DECISIONS:
        errors.append({"text": "Choose the agency decision", "href": "#decision"})
    try:
        asked = DecisionRequest.model_validate(
            {"decision": decision, "reasons": reasons, "ranking_reason": ranking_reason}
        )
    except ValidationError as error:
        if "reasons" in field_messages(error):
            text = (
                f"The reasons {field_messages(error)['reasons']}"
                if reasons.strip()
                else "Enter the reasons for the decision"
            )
            errors.append({"text": text, "href": "#decision-reasons"})
    return record_step(
        request,
        session,
        actor,
        proposal_id,
        None
        if errors or asked is None
        else lambda: record_decision(session, actor, proposal_id, asked),
        errors=errors,
        step="decision",
        forbidden="You cannot decide this proposal",
        ranking_href="#decision-ranking-reason",
        recorded=f"/proposals/{proposal_id}?recorded=decision",
        form={
            "decision": decision,
            "decision_reasons": reasons,
            "decision_ranking_reason": ranking_reason,
        },
    )
