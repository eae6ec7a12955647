"""Shortlist one child's unit against the pool, and keep the shortlist as it was shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from api.services.run_inputs import code_version, keep_run_inputs
from api.services.snapshot import Snapshot, get_snapshot
from api.services.unit_of_work import unit_of_work
from matching.policy import Policy
from matching.results import ShortlistDocument
from matching.run_inputs import ShortlistInputs
from matching.shortlist import MatchingContext, shortlist
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


@dataclass(frozen=True)
class ComputedShortlist:
    """A shortlist computed, not yet stored: its document, and what it was computed from
    (kept with it when stored, so it can be replayed)."""

    document: ShortlistDocument
    snapshot: Snapshot
    request: ShortlistInputs


def shortlist_of(
    context: MatchingContext,
    request: ShortlistInputs,
    *,
    policy: Policy,
    inputs_fingerprint: str,
) -> ShortlistDocument:
    """The shortlist `request` asks for, on prepared data: what a run computes and what
    its replay computes again."""
    outcome = shortlist(
        context,
        request.child_id,
        as_of=request.as_of,
        policy=policy,
        top=request.top,
        why_not=request.why_not,
    )
    pool = context.pool
    return ShortlistDocument.from_result(
        outcome,
        child_id=request.child_id,
        names={
            c.household_id: pool.households[pool.index[c.household_id]].name
            for c in outcome.candidates
        },
        households_in_pool=pool.size,
        inputs_fingerprint=inputs_fingerprint,
    )


def compute_shortlist(
    session: Session,
    child_id: str,
    *,
    as_of: date,
    top: int = 10,
    why_not: str | None = None,
    policy: Policy,
) -> ComputedShortlist:
    """The ranked, explained shortlist for `child_id`'s unit, computed, not yet stored.

    Raises `NotFoundError` for an unknown child or `why_not` household,
    `NotFamilyFoundError` when a child's plan is not family-found.
    """
    snapshot = get_snapshot(session, policy)
    request = ShortlistInputs(
        code_version=code_version(), child_id=child_id, as_of=as_of, top=top, why_not=why_not
    )
    document = shortlist_of(
        snapshot.context, request, policy=policy, inputs_fingerprint=snapshot.fingerprint
    )
    return ComputedShortlist(document=document, snapshot=snapshot, request=request)


def store_shortlist(session: Session, computed: ComputedShortlist, *, requested_by: str) -> int:
    """Store a shortlist as it is shown, with its inputs (for a replay), in the caller's
    unit of work; its run id."""
    document = computed.document
    kept = keep_run_inputs(session, computed.snapshot, computed.snapshot.policy)
    run = save_shortlist_run(
        session,
        requested_by=requested_by,
        child_id=document.child_id,
        unit=document.unit,
        as_of=document.as_of,
        policy_version=document.policy_version,
        inputs_fingerprint=document.inputs_fingerprint,
        result=document,
        inputs_key=kept.inputs_key,
        policy_sha256=kept.policy_sha256,
        request=computed.request.model_dump(mode="json"),
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
    computed = compute_shortlist(
        session, child_id, as_of=as_of, top=top, why_not=why_not, policy=policy
    )
    with unit_of_work(session):
        run_id = store_shortlist(session, computed, requested_by=requested_by)
    return ShortlistRun(run_id=run_id, document=computed.document)
