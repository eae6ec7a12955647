"""The family finder's pages: children waiting, a child's page with its shortlist, propose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import DbSession
from api.pages.drawings import criterion_colours, score_bar, sibling_drawing, sibling_group
from api.pages.web import CsrfChecked, FinderPage, app_policy, error_page, render, today
from api.requests import ChildQuery, ProposalRequest, ShortlistQuery, field_messages
from api.services.audit import AccessDenied, Actor
from api.services.children import child_view, waiting_list
from api.services.proposals import create_proposal
from matching.errors import ConflictError, FamilyFinderError, NotFoundError
from matching.siblings import find_contradictions
from matching.vocab import PLANS

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
SHORTLIST_TOP = 10  # households shown on the child's page
# Adoption scorecard thresholds (DfE): placement order to match 121 days (A2); entering
# care to placement 426 days (A1/A10); docs/domain.md, "Practice rules a panel expects".
# Read from the policy's priority section.
AGE_BANDS = {"0-4": (0, 4), "5-9": (5, 9), "10-15": (10, 15), "16+": (16, 17)}
SIBLING_FILTERS = {"": "Any", "group": "In a sibling group", "alone": "Not in a sibling group"}


@dataclass(frozen=True)
class WaitingRow:
    child_id: str
    first_name: str
    age: int
    unborn: bool
    plan: str
    legal_status: str | None
    siblings: int  # children linked to this one
    unit_size: int
    days_waiting: int | None
    over: str | None  # "first" | "second" threshold passed


def _days_waiting(plan_date: date | None, entered: date | None, on: date) -> int | None:
    start = plan_date or entered
    return (on - start).days if start is not None and start <= on else None


@router.get("/children", response_class=HTMLResponse)
def children_waiting(
    request: Request,
    session: DbSession,
    actor: FinderPage,
    plan: str = "",
    age: str = "",
    siblings: str = "",
    waiting: str = "",
    page: int = 1,
) -> HTMLResponse:
    policy = app_policy(request)
    on = today()
    thresholds = (policy.priority.first_threshold_days, policy.priority.second_threshold_days)
    age_min, age_max = AGE_BANDS.get(age, (None, None))
    waiting_days = {"first": thresholds[0], "second": thresholds[1]}.get(waiting)
    # "over N days": a plan made N + 1 or more days ago (the filter is on the plan date)
    waiting_since = on - timedelta(days=waiting_days + 1) if waiting_days else None
    page = max(page, 1)
    try:
        query = ChildQuery(
            plan=plan or None,
            status="waiting",
            age_min=age_min,
            age_max=age_max,
            waiting_since=waiting_since,
            in_sibling_group={"group": True, "alone": False}.get(siblings),
            as_of=on,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        found = waiting_list(session, actor, query, policy=policy)
    except (FamilyFinderError, ValidationError) as error:
        reasons = field_messages(error) if isinstance(error, ValidationError) else {}
        detail = "; ".join(f"{k}: {v}" for k, v in reasons.items()) or str(error)
        return error_page(request, actor, 400, "The filters are not valid", detail)
    rows, total = found.items, found.total
    shown = []
    for entry in rows:
        r = entry.record
        days = _days_waiting(r.plan_date, r.entered_care_on, on)
        over = None
        if days is not None and days > thresholds[1]:
            over = "second"
        elif days is not None and days > thresholds[0]:
            over = "first"
        shown.append(
            WaitingRow(
                child_id=r.child_id,
                first_name=r.first_name,
                age=max(0, _age(r.date_of_birth, on)),
                unborn=r.date_of_birth > on,
                plan=r.plan,
                legal_status=r.legal_status,
                siblings=entry.siblings,
                unit_size=entry.unit_size,
                days_waiting=days,
                over=over,
            )
        )
    pages = max(1, -(-total // PAGE_SIZE))
    filters = {"plan": plan, "age": age, "siblings": siblings, "waiting": waiting}
    return render(
        request,
        "children.html",
        actor,
        title="Children waiting",
        rows=shown,
        total=total,
        page=page,
        pages=pages,
        filters=filters,
        query_base="&".join(f"{k}={v}" for k, v in filters.items() if v),
        plans=PLANS,
        age_bands=list(AGE_BANDS),
        sibling_filters=SIBLING_FILTERS,
        thresholds=thresholds,
        on=on,
    )


def _age(born: date, on: date) -> int:
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return max(years, 0)


def _child_page(
    request: Request,
    session: Session,
    actor: Actor,
    child_id: str,
    *,
    why_not: str = "",
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    policy = app_policy(request)
    on = today()
    errors = list(errors or [])
    asked = why_not.strip() or None
    try:
        query = ShortlistQuery(top=SHORTLIST_TOP, as_of=on, why_not=asked)
        view = child_view(session, actor, child_id, query, policy=policy)
    except ValidationError as error:
        errors.append(
            {
                "text": f"Household id {'; '.join(field_messages(error).values())}",
                "href": "#why_not",
            }
        )
        return _child_page(request, session, actor, child_id, errors=errors, status_code=422)
    except NotFoundError:
        if asked is None:
            return error_page(
                request, actor, 404, "Child not found", f"There is no child {child_id}."
            )
        # Asked again without the why-not household: if the child exists, the unknown id
        # was the household's.
        errors.append({"text": f"There is no household {asked} in the pool", "href": "#why_not"})
        return _child_page(request, session, actor, child_id, errors=errors, status_code=422)
    except AccessDenied as error:
        return error_page(request, actor, 403, "You cannot see this child", str(error))
    child = view.child
    group, group_links = sibling_group(child_id, view.links)
    contradictions = find_contradictions(group, group_links)
    names = {c: view.children[c].first_name for c in group if c in view.children}
    drawing = sibling_drawing(
        child_id,
        group,
        {c: f"{names.get(c) or c}" for c in group},
        group_links,
        contradictions,
    )
    shortlist = view.shortlist.document if view.shortlist is not None else None
    bars: dict[str, Any] = {}
    colours: dict[str, str] = {}
    if shortlist is not None:
        colours = criterion_colours(
            c.criterion for cand in shortlist.candidates for c in cand.contributions
        )
        bars = {
            cand.household_id: score_bar([c.model_dump() for c in cand.contributions], colours)
            for cand in shortlist.candidates
        }
    return render(
        request,
        "child.html",
        actor,
        status_code=status_code,
        title=f"{child.first_name or child.child_id} ({child.child_id})",
        child=child,
        age=_age(child.date_of_birth, on),
        unborn=child.date_of_birth > on,
        days_waiting=_days_waiting(child.plan_date, child.entered_care_on, on),
        thresholds=(policy.priority.first_threshold_days, policy.priority.second_threshold_days),
        unit=view.unit,
        names=names,
        drawing=drawing,
        group_links=group_links,
        contradictions=contradictions,
        warnings=view.warnings,
        shortlist=shortlist,
        run_id=view.shortlist.run_id if view.shortlist is not None else None,
        not_family_found=view.not_family_found,
        bars=bars,
        colours=colours,
        why_not=why_not,
        why_not_answer=shortlist.why_not if shortlist is not None else None,
        errors=errors,
        on=on,
    )


@router.get("/children/{child_id}", response_class=HTMLResponse)
def child_page(
    request: Request, session: DbSession, actor: FinderPage, child_id: str, why_not: str = ""
) -> HTMLResponse:
    return _child_page(request, session, actor, child_id, why_not=why_not)


@router.post("/children/{child_id}/proposals", response_model=None, dependencies=[CsrfChecked])
def propose(
    request: Request,
    session: DbSession,
    actor: FinderPage,
    child_id: str,
    run_id: Annotated[int, Form()],
    household_id: Annotated[str, Form()],
) -> Response:
    try:
        proposal = create_proposal(
            session,
            actor,
            ProposalRequest(source="shortlist", run_id=run_id, household_id=household_id),
            policy=app_policy(request),
        )
    except ConflictError as error:
        message = (
            f"Your proposal was not made: another family finder got there first ({error}). "
            "The shortlist below is up to date: choose again."
        )
        return _child_page(
            request,
            session,
            actor,
            child_id,
            errors=[{"text": message, "href": "#shortlist"}],
            status_code=409,
        )
    except (NotFoundError, ValidationError) as error:
        # a run id no run can have (10**30 in the form) is no run, not a 500
        reason = str(error) if isinstance(error, NotFoundError) else f"no shortlist run {run_id}"
        return _child_page(
            request,
            session,
            actor,
            child_id,
            errors=[{"text": f"Your proposal was not made: {reason}", "href": "#shortlist"}],
            status_code=404,
        )
    return RedirectResponse(f"/proposals/{proposal.id}?created=1", status_code=303)
