"""The rounds page: start a matching round, watch it run, read its results."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import DbSession
from api.pages.web import CsrfChecked, FinderPage, app_policy, error_page, render, today
from api.requests import ProposalRequest, RoundRequest, field_messages
from api.services.audit import Actor
from api.services.proposals import create_proposal
from api.services.round_jobs import round_status, submit_round
from api.services.rounds import recent_rounds
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
        runs=recent_rounds(session, limit=RECENT_ROUNDS),
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
    job = submit_round(
        session,
        request.app.state.session_factory,
        request.app.state.round_executor,
        actor,
        round_request,
        policy=app_policy(request),
    )
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
        job, run = round_status(session, job_id)
    except NotFoundError:
        return error_page(request, actor, 404, "Round not found", f"There is no round {job_id}.")
    result = run.document if run is not None else None
    placed = result.placed_units()[:UNITS_SHOWN] if result is not None else ()
    return render(
        request,
        "round.html",
        actor,
        status_code=status_code,
        title=f"Matching round {job.id}",
        job=job,
        run_id=run.id if run is not None else None,
        result=result,
        placed=placed,
        units_shown=UNITS_SHOWN,
        errors=errors or [],
    )


@router.get("/rounds/{job_id}", response_class=HTMLResponse)
def round_page(
    request: Request, session: DbSession, actor: FinderPage, job_id: int
) -> HTMLResponse:
    return _round_page(request, session, actor, job_id)


@router.post("/rounds/{job_id}/proposals", response_model=None, dependencies=[CsrfChecked])
def propose_from_round(
    request: Request,
    session: DbSession,
    actor: FinderPage,
    job_id: int,
    run_id: Annotated[int, Form()],
    child_id: Annotated[str, Form()],
    household_id: Annotated[str, Form()],
) -> Response:
    try:
        proposal = create_proposal(
            session,
            actor,
            ProposalRequest(
                source="round", run_id=run_id, household_id=household_id, child_id=child_id
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
