"""Households of the pool: a filtered, paged list and one household's record."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.services.audit import AccessDenied, Actor, record_denial
from api.services.children import Page
from api.services.unit_of_work import unit_of_work
from models.orm import HouseholdRow
from models.proposal_store import on_panel_agenda
from models.record_store import get_household_row, page_households


def list_households(
    session: Session,
    *,
    kind: str | None = None,
    status: str | None = None,
    min_vacancies: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[HouseholdRow]:
    with unit_of_work(session):  # read only: ends the read transaction
        rows, total = page_households(
            session,
            kind=kind,
            status=status,
            min_vacancies=min_vacancies,
            limit=limit,
            offset=offset,
        )
    return Page(rows, total, limit, offset)


def household_record(session: Session, actor: Actor, household_id: str) -> HouseholdRow:
    """One household; panel members see only households named by a proposal on agenda."""
    with unit_of_work(session):  # read only: ends the read transaction
        row = get_household_row(session, household_id)
        allowed = actor.role != "panel" or on_panel_agenda(session, household_id=household_id)
    if not allowed:
        record_denial(session, actor, f"read household {household_id}")
        raise AccessDenied("this household is not in a proposal on the panel's agenda")
    return row
