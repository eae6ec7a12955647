"""Matching rounds requested over the API: queued, run in a worker thread, polled.

`submit_round` stores a job and hands it to an executor; the request returns at once
(202). The worker opens its own session, calls `api.services.rounds.run_round`, and
records the stored round's id (or the error) on the job. Progress is written at most
once a second so the solver is not slowed by the database.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Executor
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from api.requests import RoundRequest
from api.services.audit import Actor
from api.services.rounds import run_round
from api.services.unit_of_work import unit_of_work
from matching.errors import FamilyFinderError
from matching.policy import Policy
from matching.rounds import RoundParams
from models.accounts import RoundJobRow
from models.db import session_scope
from models.round_job_store import (
    add_round_job,
    fail_unfinished_round_jobs,
    get_round_job,
    update_round_job,
)
from models.store import RoundRunRecord, get_round_run

log = logging.getLogger("familyfinder.rounds")
PROGRESS_INTERVAL_S = 1.0
INTERRUPTED = "interrupted: the service stopped before this round finished; start the round again"


def submit_round(
    session: Session,
    factory: sessionmaker[Session],
    executor: Executor,
    actor: Actor,
    request: RoundRequest,
    *,
    policy: Policy,
) -> RoundJobRow:
    """Queue a round and return its job (committed) without waiting for it. The round
    is as of `request.as_of`, else today."""
    as_of = request.on(date.today())
    params = request.params()
    with unit_of_work(session):
        job = add_round_job(
            session,
            requested_by=actor.username,
            params={
                **request.model_dump(mode="json", exclude={"as_of"}),
                "as_of": as_of.isoformat(),
            },
        )
    executor.submit(_run_job, factory, job.id, params, as_of, policy, actor.username)
    return job


def _set(factory: sessionmaker[Session], job_id: int, **values: Any) -> None:
    with session_scope(factory) as session, unit_of_work(session):
        update_round_job(session, job_id, **values)


def _run_job(
    factory: sessionmaker[Session],
    job_id: int,
    params: RoundParams,
    as_of: date,
    policy: Policy,
    requested_by: str,
) -> None:
    _set(factory, job_id, status="running", stage="starting", fraction=0.0)
    last = 0.0
    with session_scope(factory) as session:

        def progress(stage: str, fraction: float) -> None:
            nonlocal last
            if session.in_transaction() and threading.current_thread() is worker:
                # The snapshot is in memory by the first report: end the read transaction
                # now rather than hold it (and, on SQLite, the write lock) while solving.
                session.commit()
            now = time.monotonic()
            if now - last >= PROGRESS_INTERVAL_S:
                last = now
                _set(factory, job_id, stage=stage[:64], fraction=float(fraction))

        worker = threading.current_thread()
        try:
            run = run_round(
                session,
                params,
                as_of=as_of,
                policy=policy,
                requested_by=requested_by,
                progress=progress,
            )
            _set(
                factory,
                job_id,
                status="done",
                stage="done",
                fraction=1.0,
                round_run_id=run.run_id,
                finished_at=datetime.now(UTC),
            )
        except FamilyFinderError as error:
            session.rollback()
            _set(factory, job_id, status="failed", error=str(error), finished_at=datetime.now(UTC))
        except Exception:  # a bug: logged with its traceback, never shown to the client
            log.exception("round job %s failed", job_id)
            session.rollback()
            _set(
                factory,
                job_id,
                status="failed",
                error="internal error; it has been logged",
                finished_at=datetime.now(UTC),
            )


def fail_interrupted_jobs(factory: sessionmaker[Session]) -> int:
    """At start-up: jobs a previous run of the service left queued or running will never
    finish (the executor lived in that process), so they are marked failed and say so.

    One service process per database: the executor is in-process (`familyfinder serve`
    runs one).
    """
    with session_scope(factory) as session, unit_of_work(session):
        count = fail_unfinished_round_jobs(
            session, error=INTERRUPTED, finished_at=datetime.now(UTC)
        )
    if count:
        log.warning("%d round job(s) interrupted by the last stop marked failed", count)
    return count


def round_status(session: Session, job_id: int) -> tuple[RoundJobRow, RoundRunRecord | None]:
    """The job and, once it is done, its stored round."""
    job = get_round_job(session, job_id)
    run = get_round_run(session, job.round_run_id) if job.round_run_id is not None else None
    # Detach the job before ending the read: a rollback would expire it, and reading it
    # again could see the round finished while `run` above is still None.
    session.expunge(job)
    session.rollback()
    return job, run
