"""Households of the pool: a filtered, paged list, one household's record and page, and
two or three households compared side by side for one child."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from api.services.audit import AccessDenied, Actor, record, record_denial
from api.services.children import Page
from api.services.unit_of_work import unit_of_work
from matching.errors import FamilyFinderError, NotFoundError
from matching.results import ShortlistCandidate, ShortlistDocument
from models.accounts import ProposalRow
from models.orm import HouseholdRow
from models.proposal_store import on_panel_agenda, proposals_for_household
from models.record_store import get_household_row, page_households
from models.store import get_shortlist_run


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


@dataclass(frozen=True)
class HouseholdView:
    """A household's page: its record and every proposal naming it, newest first."""

    household: HouseholdRow
    proposals: list[ProposalRow]


def household_view(session: Session, actor: Actor, household_id: str) -> HouseholdView:
    """One household with its proposals; the read is audited (the proposals name
    children). NotFoundError for an unknown household."""
    with unit_of_work(session):
        row = get_household_row(session, household_id)
        proposals = proposals_for_household(session, household_id)
        record(session, actor, "read_household", subject=f"household:{household_id}")
    return HouseholdView(row, proposals)


# Households compared side by side for one child: enough to weigh, few enough to read.
COMPARE_MIN, COMPARE_MAX = 2, 3


@dataclass(frozen=True)
class Comparison:
    """Two or three households of one stored shortlist, side by side for its child."""

    run_id: int
    document: ShortlistDocument
    candidates: list[ShortlistCandidate]
    households: list[HouseholdRow]


def compare_households(
    session: Session, actor: Actor, child_id: str, run_id: int, household_ids: Sequence[str]
) -> Comparison:
    """Households of the stored shortlist `run_id` (the child's) side by side, in the
    shortlist's order; audited for each child of the unit.

    FamilyFinderError unless 2 or 3 different households are asked for; NotFoundError
    when the run is not the child's or a household is not on it.
    """
    chosen = list(dict.fromkeys(h for h in household_ids if h))
    if not COMPARE_MIN <= len(chosen) <= COMPARE_MAX:
        raise FamilyFinderError(
            f"choose {COMPARE_MIN} or {COMPARE_MAX} households to compare ({len(chosen)} chosen)"
        )
    with unit_of_work(session):
        run = get_shortlist_run(session, run_id)
        if child_id not in run.unit:
            raise NotFoundError(f"shortlist {run_id} is not {child_id}'s")
        document = run.document
        candidates = []
        for household_id in chosen:
            candidate = document.candidate(household_id)
            if candidate is None:
                raise NotFoundError(f"household {household_id} is not on shortlist {run_id}")
            candidates.append(candidate)
        candidates.sort(key=lambda c: c.rank)
        households = [get_household_row(session, c.household_id) for c in candidates]
        for member in run.unit:
            record(
                session,
                actor,
                "compare_households",
                child_id=member,
                subject=f"shortlist:{run_id} " + " ".join(c.household_id for c in candidates),
            )
    return Comparison(run_id, document, candidates, households)
