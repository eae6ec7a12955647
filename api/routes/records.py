"""Children's records, households, and one child's shortlist."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from api.deps import DbSession, FinderUser, PanelUser
from api.schemas import Child, ChildPage, ChildRecord, Household, HouseholdPage, Shortlist
from api.services import children, households
from matching.errors import FamilyFinderError
from matching.vocab import CHILD_STATUSES, HOUSEHOLD_KINDS, HOUSEHOLD_STATUSES, MAX_CHILD_AGE, PLANS

router = APIRouter(prefix="/api", tags=["records"])

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Id = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


def _check_choice(value: str | None, allowed: Collection[str], name: str) -> None:
    if value is not None and value not in allowed:
        raise FamilyFinderError(f"unknown {name} {value!r}")


@router.get("/children", response_model=ChildPage)
def list_children(
    actor: FinderUser,
    session: DbSession,
    plan: Annotated[str | None, Query(description="One of the permanence plans")] = None,
    status: Annotated[str | None, Query(description="waiting, matched or placed")] = None,
    age_min: Annotated[int | None, Query(ge=0, le=MAX_CHILD_AGE)] = None,
    age_max: Annotated[int | None, Query(ge=0, le=MAX_CHILD_AGE)] = None,
    waiting_since: Annotated[
        date | None, Query(description="Children whose plan was made on or before this date")
    ] = None,
    as_of: Annotated[date | None, Query(description="Date for ages (default today)")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ChildPage:
    """Children matching the filters, by id, a page at a time."""
    _check_choice(plan, PLANS, "plan")
    _check_choice(status, CHILD_STATUSES, "status")
    page = children.list_children(
        session,
        actor,
        plan=plan,
        status=status,
        age_min=age_min,
        age_max=age_max,
        waiting_since=waiting_since,
        as_of=as_of or date.today(),
        limit=limit,
        offset=offset,
    )
    return ChildPage(
        items=[Child.model_validate(c) for c in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/children/{child_id}", response_model=ChildRecord)
def get_child(child_id: Id, actor: PanelUser, session: DbSession) -> ChildRecord:
    """One child's record with its practice warnings (panel: only children in a proposal
    on its agenda)."""
    record = Child.model_validate(children.child_record(session, actor, child_id))
    warnings = children.child_warnings(session, child_id)
    return ChildRecord.model_validate({**record.model_dump(), "warnings": warnings})


@router.get("/children/{child_id}/shortlist", response_model=Shortlist)
def get_shortlist(
    request: Request,
    child_id: Id,
    actor: FinderUser,
    session: DbSession,
    top: Annotated[int, Query(ge=1, le=200)] = 10,
    as_of: Annotated[date | None, Query(description="Reference date (default today)")] = None,
) -> Shortlist:
    """The ranked, explained shortlist for the child's unit; stored and audited."""
    result = children.child_shortlist(
        session,
        actor,
        child_id,
        as_of=as_of or date.today(),
        top=top,
        policy=request.app.state.policy,
    )
    return Shortlist.model_validate(result)


@router.get("/households", response_model=HouseholdPage)
def list_households(
    _actor: FinderUser,
    session: DbSession,
    kind: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
    min_vacancies: Annotated[int | None, Query(ge=0, le=100)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> HouseholdPage:
    """Households of the pool, by id, a page at a time."""
    _check_choice(kind, HOUSEHOLD_KINDS, "kind")
    _check_choice(status, HOUSEHOLD_STATUSES, "status")
    page = households.list_households(
        session, kind=kind, status=status, min_vacancies=min_vacancies, limit=limit, offset=offset
    )
    return HouseholdPage(
        items=[Household.model_validate(h) for h in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/households/{household_id}", response_model=Household)
def get_household(household_id: Id, actor: PanelUser, session: DbSession) -> Household:
    """One household (panel: only households in a proposal on its agenda)."""
    return Household.model_validate(households.household_record(session, actor, household_id))
