"""Replay a stored shortlist or round from its kept inputs, and say whether it is the same.

Every stored run keeps its inputs (`api.services.run_inputs`): the authority as it
was, the policy text, the request with its seed. A replay computes the run again from
them with the same engine path (`shortlist_of`, `compute_round`) and compares the
result with what was stored (`matching.replay`): `identical`, or the differences in
words. Data imported since does not matter: the kept authority is read, not today's.

Who may replay: family finders and administrators any run; the panel and the agency
decision maker a run a proposal they can read was made from (the panel paper links to
it). A replay is a read of the children in the run, audited like the run's own read.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Literal

from sqlalchemy.orm import Session

from api.services.audit import AccessDenied, Actor, record, record_children, record_denial
from api.services.round_jobs import round_children
from api.services.rounds import compute_round
from api.services.run_inputs import code_version, load_run_inputs
from api.services.shortlists import shortlist_of
from api.services.snapshot import Snapshot
from api.services.unit_of_work import unit_of_work
from matching.errors import NotFoundError
from matching.replay import ReplayDocument, compare_rounds, compare_shortlists, replay_notes
from matching.run_inputs import RoundInputs, ShortlistInputs
from matching.shortlist import MatchingContext
from models.accounts import OPEN_PROPOSAL_STATUSES
from models.proposal_store import proposals_from_run
from models.round_job_store import MAX_ID, get_round_job
from models.store import get_round_run, get_shortlist_run

RunKind = Literal["shortlist", "round"]
RUN_KINDS: tuple[RunKind, ...] = ("shortlist", "round")
# Roles that may replay any run; the panel and the decision maker only a proposal's.
ANY_RUN_ROLES = ("family_finder", "admin")
PROPOSAL_RUN_ROLES = ("panel", "decision_maker")


def _check_access(
    session: Session, actor: Actor, kind: RunKind, run_id: int, children: Sequence[str] = ()
) -> None:
    """Let the actor replay the run, or record the refusal (for each child of a
    shortlist's unit) and raise AccessDenied."""
    if actor.role in ANY_RUN_ROLES:
        return
    if actor.role in PROPOSAL_RUN_ROLES:
        statuses = [p.status for p in proposals_from_run(session, kind, run_id)]
        if actor.role == "decision_maker" and statuses:
            return
        if any(status in OPEN_PROPOSAL_STATUSES for status in statuses):
            return
    session.rollback()
    for child_id in children or (None,):
        record_denial(session, actor, f"replay {kind} {run_id}", child_id=child_id)
    raise AccessDenied(
        f"only a run a proposal on your agenda was made from can be replayed by the "
        f"{actor.role} role"
    )


def replay_shortlist(session: Session, actor: Actor, run_id: int) -> ReplayDocument:
    """Shortlist run `run_id` computed again from its kept inputs, compared with what
    was stored; audited for each child of its unit."""
    if not 0 < run_id <= MAX_ID:  # no row can have it
        raise NotFoundError(f"no shortlist run with id {run_id}")
    run = get_shortlist_run(session, run_id)
    _check_access(session, actor, "shortlist", run_id, run.unit)
    kept = load_run_inputs(session, f"shortlist run {run_id}", run)
    inputs = ShortlistInputs.model_validate(kept.request)
    stored = run.document
    replayed = shortlist_of(
        MatchingContext.prepare(kept.authority),
        inputs,
        policy=kept.policy,
        inputs_fingerprint=kept.key,
    )
    differences = compare_shortlists(stored, replayed)
    with unit_of_work(session):
        for member in stored.unit:
            record(
                session,
                actor,
                "replay_shortlist",
                child_id=member,
                subject=f"shortlist_run={run_id}",
            )
    return ReplayDocument(
        kind="shortlist",
        id=run_id,
        identical=not differences,
        differences=differences,
        notes=replay_notes(
            ran_with=inputs.code_version,
            replayed_with=code_version(),
            run_deterministic=True,
            replay_deterministic=True,
        ),
        stored_at=run.created_at,
        requested_by=run.requested_by,
        as_of=run.as_of,
        inputs_fingerprint=run.inputs_fingerprint,
        policy_version=run.policy_version,
        ran_with=inputs.code_version,
        replayed_with=code_version(),
    )


def replay_round(session: Session, actor: Actor, round_id: int) -> ReplayDocument:
    """Round `round_id` (its one id, as the rounds page shows it) computed again from its
    kept inputs, compared with what was stored; audited as one read naming its
    children. Takes as long as the round did."""
    job = get_round_job(session, round_id)
    if job.round_run_id is None:
        raise NotFoundError(f"round {round_id} has no stored result ({job.status})")
    _check_access(session, actor, "round", round_id)
    run = get_round_run(session, job.round_run_id)
    kept = load_run_inputs(session, f"round {round_id}", run)
    inputs = RoundInputs.model_validate(kept.request)
    session.rollback()  # end the read: a large round takes a while
    snapshot = Snapshot(
        authority=kept.authority,
        context=MatchingContext.prepare(kept.authority),
        fingerprint=kept.key,
        data_version=-1,  # not the database's: the data as the run saw it
        changed_at=None,
        policy=kept.policy,
        loaded_at=time.monotonic(),
        load_s=0.0,
    )
    result, replayed = compute_round(snapshot, inputs, policy=kept.policy)
    stored = run.document
    differences = compare_rounds(stored, replayed)
    with unit_of_work(session):
        record_children(session, actor, "replay_round", round_children(stored), f"round={round_id}")
    return ReplayDocument(
        kind="round",
        id=round_id,
        identical=not differences,
        differences=differences,
        notes=replay_notes(
            ran_with=inputs.code_version,
            replayed_with=code_version(),
            run_deterministic=inputs.deterministic,
            replay_deterministic=result.deterministic,
        ),
        stored_at=run.created_at,
        requested_by=run.requested_by,
        as_of=run.as_of,
        inputs_fingerprint=run.inputs_fingerprint,
        policy_version=run.policy_version,
        seed=run.seed,
        ran_with=inputs.code_version,
        replayed_with=code_version(),
    )


def replay_run(session: Session, actor: Actor, kind: str, run_id: int) -> ReplayDocument:
    """Replay a shortlist run or a round by kind (`shortlist` or `round`)."""
    if kind == "shortlist":
        return replay_shortlist(session, actor, run_id)
    if kind == "round":
        return replay_round(session, actor, run_id)
    raise NotFoundError(f"no kind of run {kind!r}: shortlist or round")
