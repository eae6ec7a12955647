"""Children's records: a filtered, paged list and one child's record, each audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from api.services.audit import AccessDenied, Actor, record
from api.services.shortlists import run_shortlist
from api.services.snapshot import get_snapshot
from matching.errors import FamilyFinderError
from matching.policy import Policy
from matching.vocab import MAX_CHILD_AGE
from models.orm import ChildRow
from models.proposal_store import on_panel_agenda
from models.record_store import ChildFilter, get_child_row, page_children
from models.store import child_warnings as stored_child_warnings

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def age_band_filter(age_min: int | None, age_max: int | None, as_of: date) -> dict[str, date]:
    """Birth-date bounds for ages in [age_min, age_max] on `as_of` (whole years)."""
    if age_min is not None and age_max is not None and age_min > age_max:
        raise FamilyFinderError(f"age_min {age_min} is above age_max {age_max}")
    bounds: dict[str, date] = {}
    try:
        if age_min is not None and age_min > 0:
            bounds["born_on_or_before"] = _years_before(as_of, age_min)
        if age_max is not None and age_max < MAX_CHILD_AGE + 1:
            bounds["born_after"] = _years_before(as_of, age_max + 1)
    except ValueError:  # before year 1
        raise FamilyFinderError(f"as_of {as_of} is too early for an age band") from None
    return bounds


def list_children(
    session: Session,
    actor: Actor,
    *,
    plan: str | None = None,
    status: str | None = None,
    age_min: int | None = None,
    age_max: int | None = None,
    waiting_since: date | None = None,
    as_of: date,
    limit: int = 50,
    offset: int = 0,
) -> Page[ChildRow]:
    """Children matching every filter given, by id; the read is audited."""
    where = ChildFilter(
        plan=plan,
        status=status,
        waiting_since=waiting_since,
        **age_band_filter(age_min, age_max, as_of),
    )
    try:
        rows, total = page_children(session, where, limit=limit, offset=offset)
        record(
            session,
            actor,
            "list_children",
            subject=f"plan={plan} status={status} age={age_min}-{age_max} "
            f"waiting_since={waiting_since} offset={offset} returned={len(rows)}",
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return Page(rows, total, limit, offset)


def child_record(session: Session, actor: Actor, child_id: str) -> ChildRow:
    """One child's record; panel members see only children on their agenda. Audited."""
    try:
        row = get_child_row(session, child_id)
        if actor.role == "panel" and not on_panel_agenda(session, child_id=child_id):
            raise AccessDenied("this child is not in a proposal on the panel's agenda")
        record(session, actor, "read_child", child_id=child_id)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return row


def child_warnings(session: Session, child_id: str) -> list[dict[str, str]]:
    """The child's stored practice warnings as {code, message}: what a person must
    resolve before the child is matched (read with the record, which is audited)."""
    return [
        {"code": w.code, "message": w.message} for w in stored_child_warnings(session, child_id)
    ]


def child_shortlist(
    session: Session, actor: Actor, child_id: str, *, as_of: date, top: int, policy: Policy
) -> dict[str, Any]:
    """The stored shortlist for the child's unit, its read audited for each child.

    The audit rows are added first and committed by `run_shortlist` with the stored run,
    in one transaction: the read is recorded if and only if the shortlist is served.
    """
    unit = get_snapshot(session, policy).context.unit_by_child.get(child_id, ())
    for member in unit:
        record(
            session, actor, "read_shortlist", child_id=member, subject=f"shortlist as_of={as_of}"
        )
    run = run_shortlist(
        session, child_id, as_of=as_of, top=top, policy=policy, requested_by=actor.username
    )
    return run.result
