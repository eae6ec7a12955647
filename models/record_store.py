"""Queries that browse the stored records: children and households, paged, and the sibling
links touching some children.

Nothing here commits: the service running the use case commits once at its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from matching.clocks import ADOPTION_PLANS
from matching.errors import NotFoundError
from models.orm import ChildRow, HouseholdRow, SiblingLinkRow


@dataclass(frozen=True)
class ChildFilter:
    plan: str | None = None
    status: str | None = None
    born_after: date | None = None  # exclusive: the oldest age of the band
    born_on_or_before: date | None = None  # inclusive: the youngest age of the band
    waiting_since: date | None = None  # the shown wait started on or before this date
    in_sibling_group: bool | None = None  # with (True) or without (False) a sibling link
    plans: tuple[str, ...] | None = None  # one of these plans
    search: str | None = None  # id (or its start) or part of the first name, any case
    # id | days_waiting (longest first) | age (youngest first) | plan (then longest waiting)
    sort: str = "id"


def waiting_since_column() -> Any:
    """The date the wait a page shows counts from (`matching.clocks.WaitingClocks.shown`):
    entering care for an adoption plan (scorecard A1), else the plan date; each falls
    back on the other when not recorded."""
    entered, planned = ChildRow.entered_care_on, ChildRow.plan_date
    adoption = ChildRow.plan.in_(sorted(ADOPTION_PLANS))
    return case(
        (adoption, func.coalesce(entered, planned)),
        else_=func.coalesce(planned, entered),
    )


def _order(sort: str) -> list[Any]:
    since = waiting_since_column()
    unknown_last = case((since.is_(None), 1), else_=0)
    if sort == "days_waiting":
        return [unknown_last, since, ChildRow.child_id]
    if sort == "age":
        return [ChildRow.date_of_birth.desc(), ChildRow.child_id]
    if sort == "plan":
        return [ChildRow.plan, unknown_last, since, ChildRow.child_id]
    return [ChildRow.child_id]


def page_children(
    session: Session, where: ChildFilter, *, limit: int, offset: int
) -> tuple[list[ChildRow], int]:
    # Retired children (absent from a snapshot import) are kept for the audit, not listed.
    conditions: list[Any] = [ChildRow.retired_at.is_(None)]
    if where.plan is not None:
        conditions.append(ChildRow.plan == where.plan)
    if where.plans is not None:
        conditions.append(ChildRow.plan.in_(where.plans))
    if where.search:
        text = where.search.strip().lower()
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(
            func.lower(ChildRow.child_id).like(escaped + "%", escape="\\")
            | func.lower(ChildRow.first_name).like("%" + escaped + "%", escape="\\")
        )
    if where.status is not None:
        conditions.append(ChildRow.status == where.status)
    if where.born_after is not None:
        conditions.append(ChildRow.date_of_birth > where.born_after)
    if where.born_on_or_before is not None:
        conditions.append(ChildRow.date_of_birth <= where.born_on_or_before)
    if where.waiting_since is not None:
        conditions.append(waiting_since_column() <= where.waiting_since)
    if where.in_sibling_group is not None:
        linked = exists().where(
            (SiblingLinkRow.child_a == ChildRow.child_id)
            | (SiblingLinkRow.child_b == ChildRow.child_id)
        )
        conditions.append(linked if where.in_sibling_group else ~linked)
    total = session.scalar(select(func.count()).select_from(ChildRow).where(*conditions))
    rows = session.scalars(
        select(ChildRow)
        .where(*conditions)
        .order_by(*_order(where.sort))
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


def get_child_row(session: Session, child_id: str) -> ChildRow:
    row = session.get(ChildRow, child_id)
    if row is None:
        raise NotFoundError(f"no child with id {child_id!r}")
    return row


def page_households(
    session: Session,
    *,
    kind: str | None,
    status: str | None,
    min_vacancies: int | None,
    limit: int,
    offset: int,
) -> tuple[list[HouseholdRow], int]:
    conditions: list[Any] = [HouseholdRow.retired_at.is_(None)]  # retired: not listed
    if kind is not None:
        conditions.append(HouseholdRow.kind == kind)
    if status is not None:
        conditions.append(HouseholdRow.status == status)
    if min_vacancies is not None:
        conditions.append(HouseholdRow.vacancies >= min_vacancies)
    total = session.scalar(select(func.count()).select_from(HouseholdRow).where(*conditions))
    rows = session.scalars(
        select(HouseholdRow)
        .where(*conditions)
        .order_by(HouseholdRow.household_id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


def sibling_link_rows_touching(session: Session, child_ids: Sequence[str]) -> list[SiblingLinkRow]:
    """Every sibling link with at least one end among `child_ids`, in a stable order."""
    ids = list(child_ids)
    statement = (
        select(SiblingLinkRow)
        .where(SiblingLinkRow.child_a.in_(ids) | SiblingLinkRow.child_b.in_(ids))
        .order_by(SiblingLinkRow.child_a, SiblingLinkRow.child_b)
    )
    return list(session.scalars(statement))


def get_household_row(session: Session, household_id: str) -> HouseholdRow:
    row = session.get(HouseholdRow, household_id)
    if row is None:
        raise NotFoundError(f"no household with id {household_id!r}")
    return row
