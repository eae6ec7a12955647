"""The panel's pages: the agenda, the panel paper for one proposal, the recommendation,
and withdrawing a proposal (its author or an administrator)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import DbSession
from api.pages.drawings import criterion_colours, score_bar
from api.pages.web import (
    CsrfChecked,
    FinderPage,
    PageId,
    PanelPage,
    PanelRecorderPage,
    PaperPage,
    error_page,
    render,
)
from api.requests import RecommendationRequest, WithdrawalRequest, field_messages
from api.services.audit import AccessDenied, Actor
from api.services.proposals import (
    OPEN_PROPOSAL_STATUSES,
    list_proposals,
    may_withdraw,
    proposal_record,
    ranking_question,
    record_recommendation,
    withdraw_proposal,
)
from matching import labels
from matching.errors import ConflictError, NotFoundError, ReasonRequired
from matching.phrases import join_words
from matching.rules import RULE_NAMES

# The error shown when a step goes against the ranking and says nothing of why.
RANKING_REASON_MISSING = "Enter why this goes against the system's ranking"

router = APIRouter(include_in_schema=False)

STATUS_TAGS = {
    "proposed": ("Awaiting panel", "govuk-tag--blue"),
    "recommended": ("Recommended, awaiting decision", "govuk-tag--green"),
    "not_recommended": ("Not recommended, awaiting decision", "govuk-tag--red"),
    "approved": ("Approved", "govuk-tag--green"),
    "declined": ("Declined", "govuk-tag--grey"),
    "withdrawn": ("Withdrawn", "govuk-tag--grey"),
}
# A difference of less than this many points between two households on a criterion is
# not worth a panel's reading time.
NOTABLE_POINTS = 0.5


def why_ranked_lower(
    chosen: Mapping[str, float],
    alternative: Mapping[str, float] | None,
    *,
    chosen_score: float | None,
    alternative_score: float | None,
    alternative_kinship: bool,
    chosen_kinship: bool,
) -> str:
    """Why an alternative household ranked below the proposed one, in words: the
    criteria on which it scored less (and more), with their points."""
    if alternative_kinship and not chosen_kinship:
        return (
            "A connected household (family and friends): ranked first by policy; the "
            "family finder proposed another household"
        )
    if alternative is None:
        if chosen_score is None or alternative_score is None:
            return "Ranked lower"
        gap = chosen_score - alternative_score
        return f"Scored {abs(gap):.1f} {'fewer' if gap > 0 else 'more'} points out of 100"

    def differences(sign: int) -> list[str]:
        found = []
        for criterion in dict.fromkeys([*chosen, *alternative]):
            ours, theirs = chosen.get(criterion, 0.0), alternative.get(criterion, 0.0)
            if sign * (theirs - ours) >= NOTABLE_POINTS:
                found.append(
                    (
                        abs(theirs - ours),
                        f"{labels.lower(labels.label('criterion', criterion))} "
                        f"({theirs:.1f} against {ours:.1f} points)",
                    )
                )
        return [text for _gap, text in sorted(found, key=lambda item: -item[0])]

    lower, higher = differences(-1), differences(+1)
    parts = []
    if lower:
        parts.append("Scored less for " + join_words(lower))
    if higher:
        parts.append(("but more for " if lower else "Scored more for ") + join_words(higher))
    if not parts:
        return "Scored the same on every criterion; placed lower by the tie-break"
    text = "; ".join(parts)
    if (
        chosen_score is not None
        and alternative_score is not None
        and alternative_score > chosen_score
    ):
        text += (
            f". It scored more overall ({alternative_score:.1f} against "
            f"{chosen_score:.1f} out of 100): the family finder proposed another household"
        )
    return text


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


def tier_note(chosen: Sequence[str], alternative: Sequence[str]) -> str | None:
    """The first policy tier (in the chosen household's order) that one of the two meets
    and the other does not, in words: tiers rank before any score."""
    for tier in dict.fromkeys([*chosen, *alternative]):
        if tier in chosen and tier not in alternative:
            return (
                f"Ranked below by the policy's tiers, before any score: it does not meet "
                f'"{labels.lower(labels.label("tier", tier))}"'
            )
        if tier in alternative and tier not in chosen:
            return (
                f"It meets a tier the proposed household does not "
                f'("{labels.lower(labels.label("tier", tier))}"): the family finder proposed '
                "another household"
            )
    return None


def _alternatives(rationale: Mapping[str, Any]) -> list[dict[str, Any]]:
    chosen = {c["criterion"]: float(c["points"]) for c in rationale.get("contributions", [])}
    points = rationale.get("alternative_points") or {}
    chosen_tiers = [t["tier"] for t in rationale.get("tiers", []) if t.get("met")]
    alternatives = []
    for alt in rationale.get("alternatives", []):
        why = why_ranked_lower(
            chosen,
            points.get(alt["household_id"]) if chosen else None,
            chosen_score=rationale.get("score"),
            alternative_score=alt.get("score"),
            alternative_kinship=bool(alt.get("kinship")),
            chosen_kinship=bool(rationale.get("kinship")),
        )
        # papers frozen before tiers existed hold none: the score alone explains them
        note = tier_note(chosen_tiers, alt["tiers"]) if "tiers" in alt else None
        if note is not None and not (alt.get("kinship") and not rationale.get("kinship")):
            why = f"{note}. {why}"
        alternatives.append({**alt, "why": why})
    return alternatives


def paper_page(
    request: Request,
    session: Session,
    actor: Actor,
    proposal_id: int,
    *,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    ranking_error: str | None = None,
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
        alternatives=_alternatives(rationale),
        status_tags=STATUS_TAGS,
        created=request.query_params.get("created") == "1",
        recorded=request.query_params.get("recorded"),
        can_record=actor.role in ("panel", "admin") and proposal.status == "proposed",
        can_decide=actor.role in ("decision_maker", "admin")
        and proposal.status in ("recommended", "not_recommended"),
        can_withdraw=may_withdraw(actor, proposal),
        errors=errors or [],
        form=form or {},
        ranking_question=ranking_question(proposal),
        ranking_error=ranking_error,
    )


@router.get("/proposals/{proposal_id}", response_class=HTMLResponse)
def paper(
    request: Request, session: DbSession, actor: PaperPage, proposal_id: PageId
) -> HTMLResponse:
    return paper_page(request, session, actor, proposal_id)


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
    ranking_reason: Annotated[str, Form()] = "",
) -> Response:
    errors: list[dict[str, str]] = []
    asked: RecommendationRequest | None = None
    try:
        asked = RecommendationRequest.model_validate(
            {
                "recommendation": recommendation,
                "reasons": reasons,
                "ranking_reason": ranking_reason,
            }
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
    return record_step(
        request,
        session,
        actor,
        proposal_id,
        None
        if asked is None
        else lambda: record_recommendation(session, actor, proposal_id, asked),
        errors=errors,
        step="recommendation",
        forbidden="You cannot see this proposal",
        ranking_href="#ranking-reason",
        recorded=f"/proposals/{proposal_id}?recorded=1",
        form={
            "recommendation": recommendation,
            "reasons": reasons,
            "ranking_reason": ranking_reason,
        },
    )


def record_step(
    request: Request,
    session: Session,
    actor: Actor,
    proposal_id: int,
    record: Callable[[], object] | None,
    *,
    errors: list[dict[str, str]],
    step: str,
    forbidden: str,
    ranking_href: str,
    recorded: str,
    form: dict[str, str],
) -> Response:
    """Record a panel recommendation or an agency decision (`record`, None when the form
    already has errors) and go to the paper, or show the paper again with what to put
    right: the form as sent, each error linked to its field."""
    ranking_error = None
    if record is not None:
        try:
            record()
        except NotFoundError:
            return error_page(
                request, actor, 404, "Proposal not found", f"There is no proposal {proposal_id}."
            )
        except AccessDenied as error:
            return error_page(request, actor, 403, forbidden, str(error))
        except ConflictError as error:
            errors.append({"text": f"The {step} was not recorded: {error}", "href": "#"})
        except ReasonRequired:
            ranking_error = RANKING_REASON_MISSING
            errors.append({"text": ranking_error, "href": ranking_href})
        else:
            return RedirectResponse(recorded, status_code=303)
    return paper_page(
        request,
        session,
        actor,
        proposal_id,
        errors=errors,
        status_code=409 if any("not recorded" in e["text"] for e in errors) else 422,
        form=form,
        ranking_error=ranking_error,
    )


def _withdraw_form(
    request: Request,
    session: Session,
    actor: Actor,
    proposal_id: int,
    *,
    reasons: str = "",
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        proposal = proposal_record(session, actor, proposal_id)
    except NotFoundError:
        return error_page(
            request, actor, 404, "Proposal not found", f"There is no proposal {proposal_id}."
        )
    if not may_withdraw(actor, proposal):
        stage = labels.lower(labels.label("proposal_stage", proposal.status))
        why = (
            f"Proposal {proposal.id} is {stage}."
            if proposal.status not in OPEN_PROPOSAL_STATUSES
            else f"Only {proposal.created_by}, who made it, or an administrator may withdraw it."
        )
        return error_page(request, actor, 403, "You cannot withdraw this proposal", why)
    return render(
        request,
        "withdraw.html",
        actor,
        status_code=status_code,
        title=f"Withdraw proposal {proposal.id}",
        proposal=proposal,
        household=proposal.rationale["records"]["household"],
        children=proposal.rationale["records"]["children"],
        reasons=reasons,
        errors=errors or [],
    )


@router.get("/proposals/{proposal_id}/withdraw", response_class=HTMLResponse)
def withdraw_form(
    request: Request, session: DbSession, actor: FinderPage, proposal_id: PageId
) -> HTMLResponse:
    return _withdraw_form(request, session, actor, proposal_id)


@router.post("/proposals/{proposal_id}/withdrawal", response_model=None, dependencies=[CsrfChecked])
def withdraw(
    request: Request,
    session: DbSession,
    actor: FinderPage,
    proposal_id: PageId,
    reasons: Annotated[str, Form()] = "",
) -> Response:
    try:
        asked = WithdrawalRequest.model_validate({"reasons": reasons})
    except ValidationError as error:
        message = field_messages(error).get("reasons", "is not valid")
        text = f"The reason {message}" if reasons.strip() else "Enter why you are withdrawing it"
        return _withdraw_form(
            request,
            session,
            actor,
            proposal_id,
            reasons=reasons,
            errors=[{"text": text, "href": "#reasons"}],
            status_code=422,
        )
    try:
        withdraw_proposal(session, actor, proposal_id, asked)
    except NotFoundError:
        return error_page(
            request, actor, 404, "Proposal not found", f"There is no proposal {proposal_id}."
        )
    except AccessDenied as error:
        return error_page(request, actor, 403, "You cannot withdraw this proposal", str(error))
    except ConflictError as error:
        return error_page(
            request, actor, 409, "The proposal was not withdrawn", str(error).capitalize() + "."
        )
    return RedirectResponse(f"/proposals/{proposal_id}?recorded=withdrawal", status_code=303)
