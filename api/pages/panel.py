"""The panel's pages: the agenda, the panel paper for one proposal, the recommendation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import DbSession
from api.pages.drawings import criterion_colours, score_bar
from api.pages.web import (
    CsrfChecked,
    PageId,
    PanelPage,
    PanelRecorderPage,
    error_page,
    render,
)
from api.requests import RecommendationRequest, field_messages
from api.services.audit import AccessDenied, Actor
from api.services.proposals import (
    OPEN_PROPOSAL_STATUSES,
    list_proposals,
    proposal_record,
    record_recommendation,
)
from matching.errors import ConflictError, NotFoundError
from matching.rules import RULE_NAMES

router = APIRouter(include_in_schema=False)

STATUS_TAGS = {
    "proposed": ("Awaiting panel", "govuk-tag--blue"),
    "recommended": ("Recommended", "govuk-tag--green"),
    "not_recommended": ("Not recommended", "govuk-tag--red"),
    "approved": ("Approved", "govuk-tag--green"),
    "declined": ("Declined", "govuk-tag--grey"),
    "withdrawn": ("Withdrawn", "govuk-tag--grey"),
}


@router.get("/panel", response_class=HTMLResponse)
def agenda(request: Request, session: DbSession, actor: PanelPage) -> HTMLResponse:
    rows, total = list_proposals(session, actor, limit=200)
    awaiting = [r for r in rows if r.status in OPEN_PROPOSAL_STATUSES]
    decided = [r for r in rows if r.status not in OPEN_PROPOSAL_STATUSES]
    return render(
        request,
        "panel.html",
        actor,
        title="Panel agenda",
        awaiting=awaiting,
        decided=decided,
        total=total,
        status_tags=STATUS_TAGS,
    )


def _paper(
    request: Request,
    session: Session,
    actor: Actor,
    proposal_id: int,
    *,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    try:
        # The API's read of a proposal: the same access check and the same audit (a
        # read of each child of the unit). The records are shown as frozen in it.
        proposal = proposal_record(session, actor, proposal_id)
    except NotFoundError:
        return error_page(
            request, actor, 404, "Proposal not found", f"There is no proposal {proposal_id}."
        )
    except AccessDenied as error:
        return error_page(request, actor, 403, "You cannot see this proposal", str(error))
    rationale: dict[str, Any] = proposal.rationale
    contributions = rationale.get("contributions", [])
    colours = criterion_colours(c["criterion"] for c in contributions)
    records: dict[str, Any] = rationale["records"]
    chosen_score = rationale.get("score")
    alternatives = []
    for alt in rationale.get("alternatives", []):
        if alt.get("kinship") and not rationale.get("kinship"):
            why = "a connected (kinship) household, ranked first by policy"
        elif chosen_score is not None and alt.get("score") is not None:
            gap = chosen_score - alt["score"]
            why = (
                f"scored {gap:.1f} points lower"
                if gap > 0
                else f"scored {-gap:.1f} points higher; ranked {alt.get('rank')}"
            )
        else:
            why = "ranked lower"
        alternatives.append({**alt, "why": why})
    return render(
        request,
        "paper.html",
        actor,
        status_code=status_code,
        title=f"Panel paper: proposal {proposal.id}",
        proposal=proposal,
        rationale=rationale,
        children=records["children"],
        household=records["household"],
        contributions=contributions,
        colours=colours,
        bar=score_bar(contributions, colours),
        links=records["sibling_links"],
        rules=RULE_NAMES,
        alternatives=alternatives,
        status_tags=STATUS_TAGS,
        created=request.query_params.get("created") == "1",
        recorded=request.query_params.get("recorded") == "1",
        can_record=actor.role in ("panel", "admin") and proposal.status == "proposed",
        errors=errors or [],
        form=form or {},
    )


@router.get("/proposals/{proposal_id}", response_class=HTMLResponse)
def paper(
    request: Request, session: DbSession, actor: PanelPage, proposal_id: PageId
) -> HTMLResponse:
    return _paper(request, session, actor, proposal_id)


@router.post(
    "/proposals/{proposal_id}/recommendation",
    response_model=None,
    dependencies=[CsrfChecked],
)
def recommend(
    request: Request,
    session: DbSession,
    actor: PanelRecorderPage,
    proposal_id: PageId,
    recommendation: Annotated[str, Form()] = "",
    reasons: Annotated[str, Form()] = "",
) -> Response:
    errors = []
    try:
        asked = RecommendationRequest.model_validate(
            {"recommendation": recommendation, "reasons": reasons}
        )
    except ValidationError as error:
        messages = field_messages(error)
        if "recommendation" in messages:
            errors.append({"text": "Choose the panel's recommendation", "href": "#recommendation"})
        if "reasons" in messages:
            text = (
                f"The panel's reasons: {messages['reasons']}"
                if reasons.strip()
                else "Enter the panel's reasons"
            )
            errors.append({"text": text, "href": "#reasons"})
    else:
        try:
            record_recommendation(session, actor, proposal_id, asked)
        except NotFoundError:
            return error_page(
                request, actor, 404, "Proposal not found", f"There is no proposal {proposal_id}."
            )
        except AccessDenied as error:
            return error_page(request, actor, 403, "You cannot see this proposal", str(error))
        except ConflictError as error:
            errors.append({"text": f"The recommendation was not recorded: {error}", "href": "#"})
        else:
            return RedirectResponse(f"/proposals/{proposal_id}?recorded=1", status_code=303)
    return _paper(
        request,
        session,
        actor,
        proposal_id,
        errors=errors,
        status_code=409 if any("not recorded" in e["text"] for e in errors) else 422,
        form={"recommendation": recommendation, "reasons": reasons},
    )
