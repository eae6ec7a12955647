"""Children's records, households, and one child's shortlist."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from api.deps import DbSession, FinderUser, PanelUser
from api.requests import ChildQuery, ShortlistQuery
from api.schemas import Child, ChildPage, ChildRecord, Household, HouseholdPage, Shortlist
from api.services import children, households
from matching.errors import FamilyFinderError
from matching.vocab import HOUSEHOLD_KINDS, HOUSEHOLD_STATUSES

router = APIRouter(prefix="/api", tags=["records"])

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Id = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


def _check_choice(value: str | None, allowed: Collection[str], name: str) -> None:
    if value is not None and value not in allowed:
        raise FamilyFinderError(f"unknown {name} {value!r}")


@router.get("/children", response_model=ChildPage)
def list_children(
    actor: FinderUser, session: DbSession, query: Annotated[ChildQuery, Query()]
) -> ChildPage:
    """Children matching the filters, by id, a page at a time."""
    page = children.list_children(session, actor, query)
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
    query: Annotated[ShortlistQuery, Query()],
) -> Shortlist:
    """The ranked, explained shortlist for the child's unit; stored and audited."""
    run = children.child_shortlist(session, actor, child_id, query, policy=request.app.state.policy)
    return Shortlist.model_validate(run.result)


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
