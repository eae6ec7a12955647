"""The family finder's pages: the waiting list, a child's page led by its shortlist, the
"check your answers" page before a proposal, and households compared for one child."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import DbSession
from api.pages.drawings import (
    criterion_colours,
    score_bar,
    sibling_drawing,
    sibling_group,
)
from api.pages.web import CsrfChecked, FinderPage, app_policy, error_page, render, today
from api.requests import ChildQuery, ProposalRequest, ShortlistQuery, field_messages
from api.services.audit import AccessDenied, Actor
from api.services.children import child_view, waiting_dashboard, waiting_list
from api.services.households import compare_households
from api.services.proposals import (
    create_proposal,
    current_proposals,
    holding_proposal,
    preview_proposal,
)
from matching import labels
from matching.clocks import A1_DAYS, A2_DAYS, WaitingClocks, waiting_clocks
from matching.errors import ConflictError, FamilyFinderError, NotFoundError
from matching.siblings import find_contradictions
from matching.vocab import NOT_FAMILY_FOUND_PLANS, PLANS

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
SHORTLIST_TOP = 10  # households shown on the child's page
LEADING = 3  # the candidates shown in full at the top of the child's page
AGE_BANDS = {"0-4": (0, 4), "5-9": (5, 9), "10-15": (10, 15), "16+": (16, 17)}
SIBLING_FILTERS = {"": "Any", "group": "In a sibling group", "alone": "Not in a sibling group"}
SORTS = {
    "days_waiting": "Days waiting (longest first)",
    "age": "Age (youngest first)",
    "plan": "Plan",
    "id": "Child id",
}
# The plan filter: "" is every family-found plan (the waiting list rounds and the gap
# report count), "other" every plan that is not family-found, else one plan.
OTHER_PLANS = "other"
FAMILY_FOUND_PLANS = tuple(p for p in PLANS if p not in NOT_FAMILY_FOUND_PLANS)


@dataclass(frozen=True)
class WaitingRow:
    child_id: str
    first_name: str
    age: int
    unborn: bool
    due: date | None  # an unborn baby's due date
    plan: str
    legal_status: str | None
    siblings: int  # children linked to this one
    unit_size: int
    days_waiting: int | None
    over: str | None  # "first" | "second" threshold passed
    proposal_id: int | None
    proposal_status: str | None


def _clocks(r: Any, on: date) -> WaitingClocks:
    """The child's waiting clocks (`matching.clocks`: one implementation everywhere)."""
    return waiting_clocks(
        plan=r.plan,
        entered_care_on=r.entered_care_on,
        plan_date=r.plan_date,
        placement_order_on=r.placement_order_on,
        as_of=on,
    )


def days_waiting(r: Any, on: date) -> int | None:
    """Days shown as waiting: A1 (since entering care) for an adoption plan, since the
    plan was made for the others; None when no date is recorded or it lies ahead."""
    return _clocks(r, on).shown


def _over(clocks: WaitingClocks) -> str | None:
    """The adoption scorecard threshold passed ("second": A1, 426 days since entering
    care; "first": A2, 121 days since the placement order); None for other plans,
    which the scorecard does not measure."""
    if not clocks.scorecard:
        return None
    if clocks.since_entering_care is not None and clocks.since_entering_care > A1_DAYS:
        return "second"
    if clocks.since_placement_order is not None and clocks.since_placement_order > A2_DAYS:
        return "first"
    return None


def age_on(born: date, on: date) -> int:
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return max(years, 0)


@router.get("/children", response_class=HTMLResponse)
def children_waiting(
    request: Request,
    session: DbSession,
    actor: FinderPage,
    q: str = "",
    sort: str = "days_waiting",
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
    # "over N days": the wait shown (A1 for adoption plans, since the plan for others)
    # started N + 1 or more days ago (models.record_store.waiting_since_column)
    waiting_since = on - timedelta(days=waiting_days + 1) if waiting_days else None
    page = max(page, 1)
    errors: list[dict[str, str]] = []
    try:
        query = ChildQuery(
            plan=plan if plan and plan != OTHER_PLANS else None,
            family_found=False if plan == OTHER_PLANS else (True if not plan else None),
            status="waiting",
            age_min=age_min,
            age_max=age_max,
            waiting_since=waiting_since,
            in_sibling_group={"group": True, "alone": False}.get(siblings),
            search=q.strip() or None,
            sort=sort if sort in SORTS else "days_waiting",  # type: ignore[arg-type]
            as_of=on,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        found = waiting_list(session, actor, query, policy=policy)
    except ValidationError as error:
        for field, message in field_messages(error).items():
            name = {"search": "q"}.get(field, field)
            errors.append({"text": f"Search {message}", "href": f"#{name}"})
        return render(
            request,
            "error.html",
            actor,
            status_code=422,
            title="The search is not valid",
            message="; ".join(e["text"] for e in errors),
            errors=errors,
            back="/children",
        )
    except FamilyFinderError as error:
        # the same refusal, in the same words, as GET /api/children gives (400)
        return render(
            request,
            "error.html",
            actor,
            status_code=400,
            title="The filters are not valid",
            message=str(error),
            back="/children",
        )
    stages = current_proposals(session, [entry.record.child_id for entry in found.items])
    shown = []
    for entry in found.items:
        r = entry.record
        clocks = _clocks(r, on)
        days = clocks.shown
        proposal = stages.get(r.child_id)
        shown.append(
            WaitingRow(
                child_id=r.child_id,
                first_name=r.first_name,
                age=age_on(r.date_of_birth, on),
                unborn=r.date_of_birth > on,
                due=r.date_of_birth if r.date_of_birth > on else None,
                plan=r.plan,
                legal_status=r.legal_status,
                siblings=entry.siblings,
                unit_size=entry.unit_size,
                days_waiting=days,
                over=_over(clocks),
                proposal_id=proposal.id if proposal is not None else None,
                proposal_status=proposal.status if proposal is not None else None,
            )
        )
    total = found.total
    pages = max(1, -(-total // PAGE_SIZE))
    filters = {"q": q, "sort": sort, "plan": plan, "age": age, "siblings": siblings}
    filters["waiting"] = waiting
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
        family_found_plans=FAMILY_FOUND_PLANS,
        other_plans=sorted(NOT_FAMILY_FOUND_PLANS),
        age_bands=list(AGE_BANDS),
        sibling_filters=SIBLING_FILTERS,
        sorts=SORTS,
        thresholds=thresholds,
        # on the list as it opens (no filter, first page): the plans' waiting times
        dashboard=(
            waiting_dashboard(session, as_of=on, policy=policy)
            if page == 1
            and not any(filters[k] for k in ("q", "plan", "age", "siblings", "waiting"))
            else []
        ),
        on=on,
    )


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
    unborn = child.date_of_birth > on
    name = child.first_name or ("Unborn baby" if unborn else child.child_id)
    return render(
        request,
        "child.html",
        actor,
        status_code=status_code,
        title=f"{name} ({child.child_id})",
        name=name,
        child=child,
        age=age_on(child.date_of_birth, on),
        unborn=unborn,
        days_waiting=days_waiting(child, on),
        clocks=_clocks(child, on),
        thresholds=(policy.priority.first_threshold_days, policy.priority.second_threshold_days),
        unit=view.unit,
        names=names,
        drawing=drawing,
        group_links=group_links,
        contradictions=contradictions,
        warnings=view.warnings,
        shortlist=shortlist,
        leading=LEADING,
        run_id=view.shortlist.run_id if view.shortlist is not None else None,
        not_family_found=view.not_family_found,
        bars=bars,
        colours=colours,
        why_not=why_not,
        why_not_answer=shortlist.why_not if shortlist is not None else None,
        proposal=view.proposal,
        held=view.held,
        may_propose=not view.held and child.status == "waiting" and child.retired_at is None,
        errors=errors,
        on=on,
    )


@router.get("/children/{child_id}", response_class=HTMLResponse)
def child_page(
    request: Request, session: DbSession, actor: FinderPage, child_id: str, why_not: str = ""
) -> HTMLResponse:
    return _child_page(request, session, actor, child_id, why_not=why_not)


def check_answers_page(
    request: Request,
    session: Session,
    actor: Actor,
    proposal_request: ProposalRequest,
    *,
    back: str,
    action: str,
    status_code: int = 200,
    errors: list[dict[str, str]] | None = None,
) -> HTMLResponse:
    """Check your answers before proposing: the children, the household, what will be
    reserved and the rationale that will be frozen (the service's own preview)."""
    try:
        preview = preview_proposal(session, actor, proposal_request, policy=app_policy(request))
    except NotFoundError as error:
        return error_page(request, actor, 404, "This match cannot be proposed", str(error) + ".")
    except FamilyFinderError as error:
        return error_page(request, actor, 400, "This match cannot be proposed", str(error) + ".")
    rationale = preview.rationale
    contributions = rationale.get("contributions", [])
    colours = criterion_colours(c["criterion"] for c in contributions)
    on = today()
    return render(
        request,
        "check_proposal.html",
        actor,
        status_code=status_code,
        title="Check the proposal before you make it",
        preview=preview,
        rationale=rationale,
        contributions=contributions,
        colours=colours,
        bar=score_bar(contributions, colours),
        ages={c.child_id: age_on(c.date_of_birth, on) for c in preview.children},
        unborn={c.child_id for c in preview.children if c.date_of_birth > on},
        back=back,
        action=action,
        errors=errors or [],
    )


@router.get("/children/{child_id}/proposals/new", response_class=HTMLResponse)
def check_proposal(
    request: Request,
    session: DbSession,
    actor: FinderPage,
    child_id: str,
    run_id: Annotated[int, Query(ge=1, le=2**31 - 1)],
    household_id: Annotated[str, Query(min_length=1, max_length=64)],
) -> HTMLResponse:
    proposal_request = ProposalRequest(source="shortlist", run_id=run_id, household_id=household_id)
    return check_answers_page(
        request,
        session,
        actor,
        proposal_request,
        back=f"/children/{child_id}#shortlist",
        action=f"/children/{child_id}/proposals",
    )


def conflict_message(session: Session, actor: Actor, unit: list[str], error: Exception) -> str:
    """Why a proposal was not made, said to the person who tried: their own proposal
    already holds the child, another finder's does, or the household is full."""
    holding = holding_proposal(session, unit)
    if holding is not None and holding.created_by == actor.username:
        return (
            f"You have already proposed this match: proposal {holding.id} holds "
            f"{', '.join(holding.unit)}. Open it from the child's page to follow it or "
            "withdraw it."
        )
    if holding is not None:
        return (
            f"Your proposal was not made: another family finder got there first "
            f"({holding.created_by}'s proposal {holding.id} holds {', '.join(holding.unit)})."
        )
    return (
        f"Your proposal was not made: another family finder got there first ({error}). "
        "The shortlist below is up to date: choose again."
    )


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
        message = conflict_message(session, actor, [child_id], error)
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


@router.get("/children/{child_id}/compare", response_class=HTMLResponse)
def compare(
    request: Request,
    session: DbSession,
    actor: FinderPage,
    child_id: str,
    run_id: Annotated[int, Query(ge=1, le=2**31 - 1)],
    household: Annotated[list[str] | None, Query()] = None,
) -> HTMLResponse:
    try:
        comparison = compare_households(session, actor, child_id, run_id, household or [])
    except NotFoundError as error:
        return error_page(request, actor, 404, "These households cannot be compared", str(error))
    except FamilyFinderError as error:
        message = str(error)
        return render(
            request,
            "error.html",
            actor,
            status_code=422,
            title="Choose households to compare",
            message=message[:1].upper() + message[1:] + ". Go back to the shortlist and tick "
            "two or three households.",
            back=f"/children/{child_id}#shortlist",
        )
    criteria: list[str] = []
    for candidate in comparison.candidates:
        for c in candidate.contributions:
            if c.criterion not in criteria:
                criteria.append(c.criterion)
    points = {
        cand.household_id: {c.criterion: c for c in cand.contributions}
        for cand in comparison.candidates
    }
    return render(
        request,
        "compare.html",
        actor,
        title="Households compared",
        child_id=child_id,
        comparison=comparison,
        criteria=criteria,
        points=points,
        colours=criterion_colours(criteria),
        rule_labels=labels.RULE,
    )
