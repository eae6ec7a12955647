"""The rounds page: start a matching round, watch it run (or cancel it), read its results.

A round is known by one id everywhere (its job's: the page's address, the API's
`round_id`, the CLI's "Round N")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import DbSession
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
from api.services.proposals import create_proposal
from api.services.round_jobs import TooManyRounds, cancel_round, read_round, recent_round_jobs
from matching.errors import ConflictError, NotFoundError

router = APIRouter(include_in_schema=False)

UNITS_SHOWN = 100
RECENT_ROUNDS = 20


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
    placed = result.placed_units()[:UNITS_SHOWN] if result is not None else ()
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
        units_shown=UNITS_SHOWN,
        errors=errors or [],
    )


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
            message = (
                f"Your proposal for {child_id} was not made: another family finder got there "
                f"first ({error})."
            )
        return _round_page(
            request,
            session,
            actor,
            job_id,
            errors=[{"text": message, "href": "#round-results"}],
            status_code=409 if isinstance(error, ConflictError) else 404,
        )
    return RedirectResponse(f"/proposals/{proposal.id}?created=1", status_code=303)
