"""Shortlist one child's unit against the pool, and keep the shortlist as it was shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from api.services.snapshot import get_snapshot
from api.services.unit_of_work import unit_of_work
from matching.policy import Policy
from matching.results import ShortlistDocument
from matching.shortlist import shortlist
from models.store import save_shortlist_run


@dataclass(frozen=True)
class ShortlistRun:
    """A stored shortlist: its run id and its document, as stored and shown."""

    run_id: int
    document: ShortlistDocument

    @property
    def result(self) -> dict[str, Any]:
        """The JSON printed and served: the document's, with the run id."""
        return {**self.document.as_json(), "run_id": self.run_id}


def shortlist_document(
    session: Session,
    child_id: str,
    *,
    as_of: date,
    top: int = 10,
    why_not: str | None = None,
    policy: Policy,
) -> ShortlistDocument:
    """The ranked, explained shortlist for `child_id`'s unit, computed, not yet stored.

    Raises `NotFoundError` for an unknown child or `why_not` household,
    `NotFamilyFoundError` when a child's plan is not family-found.
    """
    snapshot = get_snapshot(session, policy)
    outcome = shortlist(
        snapshot.context, child_id, as_of=as_of, policy=policy, top=top, why_not=why_not
    )
    pool = snapshot.context.pool
    return ShortlistDocument.from_result(
        outcome,
        child_id=child_id,
        names={
            c.household_id: pool.households[pool.index[c.household_id]].name
            for c in outcome.candidates
        },
        households_in_pool=pool.size,
        inputs_fingerprint=snapshot.fingerprint,
    )


def store_shortlist(session: Session, document: ShortlistDocument, *, requested_by: str) -> int:
    """Store a shortlist as it is shown, in the caller's unit of work; its run id."""
    run = save_shortlist_run(
        session,
        requested_by=requested_by,
        child_id=document.child_id,
        unit=document.unit,
        as_of=document.as_of,
        policy_version=document.policy_version,
        inputs_fingerprint=document.inputs_fingerprint,
        result=document,
    )
    return run.id


def run_shortlist(
    session: Session,
    child_id: str,
    *,
    as_of: date,
    top: int = 10,
    why_not: str | None = None,
    policy: Policy,
    requested_by: str = "cli",
) -> ShortlistRun:
    """The ranked, explained shortlist for `child_id`'s unit, stored, then committed.

    Every request is stored (who, when, the data's fingerprint, the policy version and
    the result) so what a family finder saw can be shown again later. Raises
    `NotFoundError` for an unknown child or `why_not` household, `NotFamilyFoundError`
    when a child's plan is not family-found; nothing is written then.
    """
    document = shortlist_document(
        session, child_id, as_of=as_of, top=top, why_not=why_not, policy=policy
    )
    with unit_of_work(session):
        run_id = store_shortlist(session, document, requested_by=requested_by)
    return ShortlistRun(run_id=run_id, document=document)
