"""Queries of proposals: the proposals themselves, vacancy reservations and child holds.

Nothing here commits: the service running the use case commits once at its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.errors import ConflictError, NotFoundError
from models.accounts import (
    OPEN_PROPOSAL_STATUSES,
    ProposalHoldRow,
    ProposalRow,
)
from models.orm import ChildRow, HouseholdRow


def reserve_vacancies(session: Session, household_id: str, places: int) -> bool:
    """Take `places` vacancies from an available household in one conditional UPDATE.

    The WHERE clause re-checks the count under the row lock, so two transactions can
    never both take the last vacancy; False when there are not enough left.
    """
    result = session.execute(
        update(HouseholdRow)
        .where(
            HouseholdRow.household_id == household_id,
            HouseholdRow.vacancies >= places,
            HouseholdRow.status == "available",
        )
        .values(vacancies=HouseholdRow.vacancies - places)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_vacancies(session: Session, household_id: str, places: int) -> None:
    session.execute(
        update(HouseholdRow)
        .where(HouseholdRow.household_id == household_id)
        .values(vacancies=HouseholdRow.vacancies + places)
        .execution_options(synchronize_session=False)
    )


def hold_children(session: Session, proposal_id: int, child_ids: Sequence[str]) -> None:
    """Hold each child for `proposal_id`; ConflictError when one is already held."""
    try:
        with session.begin_nested():
            session.add_all(
                ProposalHoldRow(child_id=child_id, proposal_id=proposal_id)
                for child_id in child_ids
            )
            session.flush()
    except IntegrityError:
        held = held_children(session, child_ids)
        raise ConflictError(
            "already in an open proposal: " + (", ".join(sorted(held)) or "one of the unit")
        ) from None


def held_children(session: Session, child_ids: Sequence[str]) -> list[str]:
    return list(
        session.scalars(
            select(ProposalHoldRow.child_id).where(ProposalHoldRow.child_id.in_(child_ids))
        )
    )


def release_children(session: Session, proposal_id: int) -> None:
    session.execute(delete(ProposalHoldRow).where(ProposalHoldRow.proposal_id == proposal_id))


def add_proposal(session: Session, **values: Any) -> ProposalRow:
    row = ProposalRow(**values)
    session.add(row)
    session.flush()
    return row


def get_proposal_row(
    session: Session, proposal_id: int, *, for_update: bool = False
) -> ProposalRow:
    query = select(ProposalRow).where(ProposalRow.id == proposal_id)
    if for_update:
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise NotFoundError(f"no proposal with id {proposal_id}")
    return row


def list_proposal_rows(
    session: Session, *, statuses: Sequence[str] | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[ProposalRow], int]:
    conditions: list[Any] = []
    if statuses is not None:
        conditions.append(ProposalRow.status.in_(statuses))
    total = session.scalar(select(func.count()).select_from(ProposalRow).where(*conditions))
    rows = session.scalars(
        select(ProposalRow).where(*conditions).order_by(ProposalRow.id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


def on_panel_agenda(
    session: Session, *, child_id: str | None = None, household_id: str | None = None
) -> bool:
    """Whether an undecided proposal names this child (held) or household."""
    query: Any
    if child_id is not None:
        query = (
            select(ProposalHoldRow.child_id)
            .join(ProposalRow, ProposalRow.id == ProposalHoldRow.proposal_id)
            .where(
                ProposalHoldRow.child_id == child_id,
                ProposalRow.status.in_(OPEN_PROPOSAL_STATUSES),
            )
        )
    else:
        query = select(ProposalRow.id).where(
            ProposalRow.household_id == household_id,
            ProposalRow.status.in_(OPEN_PROPOSAL_STATUSES),
        )
    return session.scalars(query.limit(1)).first() is not None


def open_proposal_holding(session: Session, child_ids: Sequence[str]) -> ProposalRow | None:
    """The open proposal holding any of `child_ids`, if one does."""
    return session.scalars(
        select(ProposalRow)
        .join(ProposalHoldRow, ProposalHoldRow.proposal_id == ProposalRow.id)
        .where(ProposalHoldRow.child_id.in_(list(child_ids)))
        .limit(1)
    ).first()


def held_child_ids(session: Session) -> dict[str, int]:
    """Every child held by an open proposal, with the proposal holding it."""
    rows = session.execute(select(ProposalHoldRow.child_id, ProposalHoldRow.proposal_id))
    return {child_id: proposal_id for child_id, proposal_id in rows}


def latest_proposals_naming(session: Session, child_ids: Sequence[str]) -> dict[str, ProposalRow]:
    """The newest proposal naming each of `child_ids` (open or decided), by child.

    The unit is a JSON list, so the proposals are read newest first and matched here:
    an authority makes a few hundred proposals a year, one per match taken to panel.
    """
    wanted = set(child_ids)
    found: dict[str, ProposalRow] = {}
    if not wanted:
        return found
    for row in session.scalars(select(ProposalRow).order_by(ProposalRow.id.desc())):
        for child_id in row.unit:
            if child_id in wanted and child_id not in found:
                found[child_id] = row
        if len(found) == len(wanted):
            break
    return found


def proposals_for_household(session: Session, household_id: str) -> list[ProposalRow]:
    """Every proposal naming the household, newest first."""
    return list(
        session.scalars(
            select(ProposalRow)
            .where(ProposalRow.household_id == household_id)
            .order_by(ProposalRow.id.desc())
        )
    )


def mark_children_matched(session: Session, child_ids: Sequence[str], household_id: str) -> None:
    """An approved match: the children are `matched`, living with `household_id`."""
    session.execute(
        update(ChildRow)
        .where(ChildRow.child_id.in_(list(child_ids)))
        .values(status="matched", placed_with=household_id)
        .execution_options(synchronize_session=False)
    )


def proposals_from_run(session: Session, kind: str, source_id: int) -> list[ProposalRow]:
    """The proposals made from a shortlist run or a round (`kind`, and the run's id or
    the round's id), by id."""
    return list(
        session.scalars(
            select(ProposalRow)
            .where(ProposalRow.source_kind == kind, ProposalRow.source_id == source_id)
            .order_by(ProposalRow.id)
        )
    )


def proposals_with_steps(session: Session) -> list[ProposalRow]:
    """Proposals on which the panel recommended or a decision was made, by id (the
    fairness report counts the steps that went against the system's ranking)."""
    query = (
        select(ProposalRow)
        .where((ProposalRow.recommendation.is_not(None)) | (ProposalRow.decision.is_not(None)))
        .order_by(ProposalRow.id)
    )
    return list(session.scalars(query))
