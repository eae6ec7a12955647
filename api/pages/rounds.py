"""The rounds page: start a matching round, watch it run, read its results."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import DbSession
from api.pages.children import check_answers_page, conflict_message
from api.pages.web import (
    CsrfChecked,
    FinderPage,
    PageId,
    app_policy,
    error_page,
    render,
    today,
)
from api.requests import ProposalRequest, RoundRequest, field_messages
from api.services.audit import AccessDenied, Actor
from api.services.children import carer_profiles, first_names
from api.services.proposals import create_proposal, current_proposals
from api.services.round_jobs import TooManyRounds, cancel_round, read_round, recent_round_jobs
from matching.errors import ConflictError, NotFoundError
from matching.results import RoundUnit, UnplacedUnit
from matching.round_sentences import unplaced_sentence

router = APIRouter(include_in_schema=False)
T = TypeVar("T")

PAGE_SIZE = 50  # units a page of a round's results shows
RECENT_ROUNDS = 20
SORTS = {
    "priority": "Waiting longest first",
    "score": "Best score first",
    "children": "Child id",
}


# The form's fields: the RoundRequest field each fills, and its label on the page.
FIELDS = (
    ("mode", "How to match"),
    ("per_unit", "Households per child (K)"),
    ("max_appearances", "Lists per household (M)"),
    ("time_limit_s", "Time limit"),
)


def _rounds_page(
    request: Request,
    session: Session,
    actor: Actor,
    form: dict[str, str],
    errors: list[dict[str, str]],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "rounds.html",
        actor,
        status_code=status_code,
        title="Matching rounds",
        runs=recent_round_jobs(session, limit=RECENT_ROUNDS),
        form=form,
        errors=errors,
    )


@router.get("/rounds", response_class=HTMLResponse)
def rounds_page(request: Request, session: DbSession, actor: FinderPage) -> HTMLResponse:
    form = {"mode": "allocate", "per_unit": "3", "max_appearances": "3", "time_limit_s": "10"}
    return _rounds_page(request, session, actor, form, [])


@router.post("/rounds", response_model=None, dependencies=[CsrfChecked])
def start_round(
    request: Request,
    session: DbSession,
    actor: FinderPage,
    mode: Annotated[str, Form()] = "",
    per_unit: Annotated[str, Form()] = "",
    max_appearances: Annotated[str, Form()] = "",
    time_limit_s: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "mode": mode,
        "per_unit": per_unit,
        "max_appearances": max_appearances,
        "time_limit_s": time_limit_s,
    }
    try:
        # The API's request model: the same limits, and the same message for each field.
        round_request = RoundRequest.model_validate(
            {field: value.strip() for field, value in form.items()} | {"as_of": today()}
        )
    except ValidationError as error:
        messages = field_messages(error)
        errors = [
            {"text": f"{label} {messages[field]}", "href": f"#{field}"}
            for field, label in FIELDS
            if field in messages
        ]
        return _rounds_page(request, session, actor, form, errors, status_code=422)
    try:
        job = request.app.state.round_worker.submit(
            session, actor, round_request, policy=app_policy(request)
        )
    except TooManyRounds as refused:
        errors = [{"text": f"The round was not started: {refused}.", "href": "#mode"}]
        return _rounds_page(request, session, actor, form, errors, status_code=429)
    return RedirectResponse(f"/rounds/{job.id}", status_code=303)


def _round_page(
    request: Request,
    session: Session,
    actor: Actor,
    job_id: int,
    *,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        job, result = read_round(session, actor, job_id)
    except NotFoundError:
        return error_page(request, actor, 404, "Round not found", f"There is no round {job_id}.")
    params = request.query_params
    sort = params.get("sort", "priority")
    sort = sort if sort in SORTS else "priority"
    page, pages = 1, 1
    placed: list[RoundUnit] = []
    unplaced: list[UnplacedUnit] = []
    upage, upages = 1, 1
    if result is not None:
        ordered = list(result.placed_units())
        if sort == "score":
            ordered.sort(key=lambda u: -max((c.score for c in u.candidates), default=0.0))
        elif sort == "children":
            ordered.sort(key=lambda u: u.children)
        else:  # the round's own order of need: the longest-waiting first
            ordered.sort(key=lambda u: (-u.priority, u.children))
        page, pages, placed = _page_of(ordered, params.get("page"))
        upage, upages, unplaced = _page_of(list(result.unplaced), params.get("upage"))
    # Each child's proposal now (made from this round or since): its stage, and no
    # Propose button for a child an open proposal holds or a match has taken.
    shown = [c for u in placed for c in u.children] + [c for u in unplaced for c in u.children]
    proposals = current_proposals(session, shown) if shown else {}
    names = first_names(session, shown, policy=app_policy(request)) if shown else {}
    carers = (
        carer_profiles(
            session, [u.children for u in unplaced], policy=app_policy(request), as_of=result.as_of
        )
        if result is not None and unplaced
        else {}
    )
    running_s = None
    if job.status in ("queued", "running"):
        running_s = max(0, int((datetime.now(UTC) - job.created_at).total_seconds()))
    return render(
        request,
        "round.html",
        actor,
        status_code=status_code,
        title=f"Matching round {job.id}",
        job=job,
        result=result,
        can_cancel=job.status in ("queued", "running")
        and (actor.role == "admin" or actor.username == job.requested_by),
        placed=placed,
        page=page,
        pages=pages,
        unplaced=[(u, unplaced_sentence(u, names, carers.get(u.children))) for u in unplaced],
        upage=upage,
        upages=upages,
        sort=sort,
        sorts=SORTS,
        names=names,
        running_s=running_s,
        proposals=proposals,
        open_statuses=("proposed", "recommended", "not_recommended", "approved"),
        errors=errors or [],
    )


def _page_of(items: list[T], asked: str | None) -> tuple[int, int, list[T]]:
    """The page `asked` for (1 if it is not a page number) of `items`, PAGE_SIZE each."""
    pages = max(1, -(-len(items) // PAGE_SIZE))
    try:
        page = min(max(int(asked or "1"), 1), pages)
    except ValueError:
        page = 1
    return page, pages, items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]


@router.get("/rounds/{job_id}", response_class=HTMLResponse)
def round_page(
    request: Request, session: DbSession, actor: FinderPage, job_id: PageId
) -> HTMLResponse:
    return _round_page(request, session, actor, job_id)


@router.post("/rounds/{job_id}/cancel", response_model=None, dependencies=[CsrfChecked])
def cancel(request: Request, session: DbSession, actor: FinderPage, job_id: PageId) -> Response:
    try:
        cancel_round(session, request.app.state.round_worker, actor, job_id)
    except NotFoundError:
        return error_page(request, actor, 404, "Round not found", f"There is no round {job_id}.")
    except AccessDenied as error:
        return error_page(request, actor, 403, "You cannot cancel this round", str(error))
    except ConflictError as error:
        return _round_page(
            request,
            session,
            actor,
            job_id,
            errors=[{"text": f"The round was not cancelled: {error}.", "href": "#round-status"}],
            status_code=409,
        )
    return RedirectResponse(f"/rounds/{job_id}", status_code=303)


@router.get("/rounds/{job_id}/proposals/new", response_class=HTMLResponse)
def check_proposal_from_round(
    request: Request,
    session: DbSession,
    actor: FinderPage,
    job_id: PageId,
    child_id: Annotated[str, Query(min_length=1, max_length=64)],
    household_id: Annotated[str, Query(min_length=1, max_length=64)],
) -> HTMLResponse:
    proposal_request = ProposalRequest(
        source="round", round_id=job_id, household_id=household_id, child_id=child_id
    )
    return check_answers_page(
        request,
        session,
        actor,
        proposal_request,
        back=f"/rounds/{job_id}#round-results",
        action=f"/rounds/{job_id}/proposals",
    )


@router.post("/rounds/{job_id}/proposals", response_model=None, dependencies=[CsrfChecked])
def propose_from_round(
    request: Request,
    session: DbSession,
    actor: FinderPage,
    job_id: PageId,
    child_id: Annotated[str, Form()],
    household_id: Annotated[str, Form()],
) -> Response:
    try:
        proposal = create_proposal(
            session,
            actor,
            ProposalRequest(
                source="round", round_id=job_id, household_id=household_id, child_id=child_id
            ),
            policy=app_policy(request),
        )
    except (ConflictError, NotFoundError) as error:
        message = f"Your proposal for {child_id} was not made: {error}."
        if isinstance(error, ConflictError):
            message = conflict_message(session, actor, [child_id], error)
        return _round_page(
            request,
            session,
            actor,
            job_id,
            errors=[{"text": message, "href": "#round-results"}],
            status_code=409 if isinstance(error, ConflictError) else 404,
        )
    return RedirectResponse(f"/proposals/{proposal.id}?created=1", status_code=303)
