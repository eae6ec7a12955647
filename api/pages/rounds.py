"""The rounds page: start a matching round, watch it run, read its results."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import DbSession
from api.pages.web import CsrfChecked, FinderPage, app_policy, error_page, render, today
from api.services.audit import Actor
from api.services.proposals import create_proposal
from api.services.round_jobs import round_status, submit_round
from matching.errors import ConflictError, NotFoundError
from matching.rounds import RoundParams
from models.store import list_round_runs

router = APIRouter(include_in_schema=False)

MAX_TIME_LIMIT_S = 300
UNITS_SHOWN = 100


@router.get("/rounds", response_class=HTMLResponse)
def rounds_page(request: Request, session: DbSession, actor: FinderPage) -> HTMLResponse:
    runs = list_round_runs(session, limit=20)
    session.rollback()
    return render(
        request,
        "rounds.html",
        actor,
        title="Matching rounds",
        runs=runs,
        form={"mode": "allocate", "per_unit": "3", "max_appearances": "3", "time_limit_s": "10"},
        errors=[],
    )


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
    errors = []
    if mode not in ("shortlist", "allocate"):
        errors.append(
            {"text": "Choose how to match: shortlists or one allocation", "href": "#mode"}
        )
    numbers: dict[str, int] = {}
    for field, label, top in (
        ("per_unit", "Households per child (K)", 50),
        ("max_appearances", "Lists per household (M)", 50),
        ("time_limit_s", "Time limit", MAX_TIME_LIMIT_S),
    ):
        value = form[field].strip()
        if not value.isdigit() or not 1 <= int(value) <= top:
            errors.append(
                {"text": f"{label} must be a whole number from 1 to {top}", "href": f"#{field}"}
            )
        else:
            numbers[field] = int(value)
    if errors:
        runs = list_round_runs(session, limit=20)
        session.rollback()
        return render(
            request,
            "rounds.html",
            actor,
            status_code=422,
            title="Matching rounds",
            runs=runs,
            form=form,
            errors=errors,
        )
    params = RoundParams(
        mode="shortlist" if mode == "shortlist" else "allocate",
        per_unit=numbers["per_unit"],
        max_appearances=numbers["max_appearances"],
        time_limit_s=float(numbers["time_limit_s"]),
    )
    job = submit_round(
        session,
        request.app.state.session_factory,
        request.app.state.round_executor,
        actor,
        params,
        as_of=today(),
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
    result = run.result if run is not None else None
    placed = []
    if result is not None:
        placed = [u for u in result["units"] if u["candidates"]][:UNITS_SHOWN]
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
            source="round",
            run_id=run_id,
            household_id=household_id,
            child_id=child_id,
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
