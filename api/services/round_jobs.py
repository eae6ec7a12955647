"""Matching rounds as jobs: requested, limited, queued, run, cancelled, polled.

A round's id is its job's id (`round_job`): the one number a user sees and passes
(`POST /api/rounds` answers it, `GET /api/rounds/{round_id}`, the rounds page, the CLI
and a proposal from a round all use it). The stored result (`round_run`) is reached
through the job.

The service runs rounds in one worker thread per process (`RoundWorker`); a request
returns at once (202). Requests are limited: at most `per_user` queued or running
rounds per user and `total` in all (settings), counted under a lock so two requests at
once cannot both slip under a limit; beyond them `TooManyRounds` (429) says what to do.

Each process is a job owner: a heartbeat thread marks its queued and running jobs alive
every `heartbeat_s` seconds, picks up cancels made by another process, and marks failed
("interrupted") any active job whose owner has been silent for `STALE_BEATS` beats: a
process that died. A second server process on the same database therefore leaves the
first one's rounds alone. A cancel stops the solver within a tenth of a second in the
process that runs it (within one heartbeat when asked through another process) and the
round reads `cancelled`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from api.requests import RoundRequest
from api.services.audit import AccessDenied, Actor, record, record_children, record_denial
from api.services.rounds import Progress, RoundRun, run_round
from api.services.unit_of_work import unit_of_work
from matching.errors import Cancelled, ConflictError, FamilyFinderError
from matching.policy import Policy
from matching.results import RoundDocument
from matching.rounds import RoundParams
from models.accounts import RoundJobRow
from models.db import session_scope
from models.round_job_store import (
    ACTIVE_STATUSES,
    active_round_jobs,
    add_round_job,
    fail_round_jobs,
    get_round_job,
    list_round_jobs,
    lock_round_jobs,
    round_job_statuses,
    stale_round_jobs,
    touch_round_jobs,
    update_round_job,
    update_round_job_if,
)
from models.store import RoundRunRecord, get_round_run

log = logging.getLogger("familyfinder.rounds")
PROGRESS_INTERVAL_S = 1.0
INTERRUPTED = "interrupted: the service stopped before this round finished; start the round again"
# A job whose owner missed this many heartbeats in a row is taken for dead.
STALE_BEATS = 6
DEFAULT_HEARTBEAT_S = 10.0


def process_owner(kind: str = "serve") -> str:
    """A name for this process as a job owner: readable, and unique even when a pid is
    reused (a random suffix)."""
    return f"{kind}:{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class TooManyRounds(Exception):
    """A round refused by the limits (mapped to 429, with what to do in the message)."""

    def __init__(self, message: str, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class RoundLimits:
    """Queued or running rounds allowed: per user, and in all."""

    per_user: int = 1
    total: int = 4


# How long a client refused by the global limit should wait before asking again: about
# what a default round (30 s) takes.
RETRY_AFTER_FULL_S = 30


def _check_limits(session: Session, actor: Actor, limits: RoundLimits) -> None:
    """Refuse a new round beyond the limits (call under `lock_round_jobs`)."""
    active = active_round_jobs(session)
    mine = [job for job in active if job.requested_by == actor.username]
    if len(mine) >= limits.per_user:
        ids = ", ".join(str(job.id) for job in mine)
        one = len(mine) == 1
        raise TooManyRounds(
            f"you already have {'round' if one else 'rounds'} {ids} "
            f"{mine[0].status if one else 'queued or running'} (at most {limits.per_user} "
            "per person): wait for it to finish, or cancel it (POST /api/rounds/"
            f"{mine[0].id}/cancel, or Cancel round on its page), then start another"
        )
    if len(active) >= limits.total:
        raise TooManyRounds(
            f"the service is already running or queuing {len(active)} rounds, its limit: "
            f"try again in a minute, when one has finished",
            retry_after_s=RETRY_AFTER_FULL_S,
        )


def _job_params(request: RoundRequest, as_of: date) -> dict[str, Any]:
    return {**request.model_dump(mode="json", exclude={"as_of"}), "as_of": as_of.isoformat()}


def _now() -> datetime:
    return datetime.now(UTC)


class RoundWorker:
    """This process's rounds: one worker thread running them in turn, and a heartbeat.

    `start()` sweeps jobs left by dead processes and starts the heartbeat; `stop()` ends
    both (jobs still queued are then swept by the next process to notice their silence).
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        limits: RoundLimits | None = None,
        heartbeat_s: float = DEFAULT_HEARTBEAT_S,
        owner: str | None = None,
        sweep: bool = True,
    ) -> None:
        self.factory = factory
        self.limits = limits or RoundLimits()
        self.heartbeat_s = heartbeat_s
        self.owner = owner or process_owner()
        self.sweep = sweep
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="round")
        self._cancels: dict[int, threading.Event] = {}  # this process's active jobs
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Sweep jobs of dead processes, then beat every `heartbeat_s` seconds (once per
        worker: starting it again is a no-op)."""
        if self._thread is not None:
            return
        if self.sweep:
            sweep_dead_jobs(self.factory, heartbeat_s=self.heartbeat_s)
        self._thread = threading.Thread(target=self._beat_forever, daemon=True, name="heartbeat")
        self._thread.start()

    def stop(self) -> None:
        """End the heartbeat and the worker (queued rounds are not run)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self.executor.shutdown(wait=False, cancel_futures=True)

    def _beat_forever(self) -> None:
        while not self._stopping.wait(self.heartbeat_s):
            try:
                self.beat()
            except Exception:  # a busy or unreachable database: try again next beat
                log.exception("round heartbeat failed")

    def beat(self) -> None:
        """One heartbeat: keep this process's jobs alive, honour cancels made elsewhere,
        and sweep the jobs of processes that have gone silent."""
        with self._lock:
            mine = dict(self._cancels)
        if mine:
            with session_scope(self.factory) as session, unit_of_work(session):
                touch_round_jobs(session, mine, owner=self.owner, at=_now())
                statuses = round_job_statuses(session, mine)
            for job_id, event in mine.items():
                if statuses.get(job_id) not in ACTIVE_STATUSES:  # cancelled, or swept
                    event.set()
        if self.sweep:
            sweep_dead_jobs(self.factory, heartbeat_s=self.heartbeat_s)

    # -------------------------------------------------------------- jobs of this process

    def _adopt(self, job_id: int) -> threading.Event:
        event = threading.Event()
        with self._lock:
            self._cancels[job_id] = event
        return event

    def _release(self, job_id: int) -> None:
        with self._lock:
            self._cancels.pop(job_id, None)

    def signal_cancel(self, job_id: int) -> None:
        """Stop the job now if this process runs it (another process learns of the
        cancel at its next heartbeat)."""
        with self._lock:
            event = self._cancels.get(job_id)
        if event is not None:
            event.set()

    def submit(
        self,
        session: Session,
        actor: Actor,
        request: RoundRequest,
        *,
        policy: Policy,
    ) -> RoundJobRow:
        """Queue a round (committed, audited) within the limits, and return its job at
        once; TooManyRounds beyond them. The round is as of `request.as_of`, else today."""
        as_of = request.on(date.today())
        params = request.params()
        with unit_of_work(session):
            lock_round_jobs(session)
            _check_limits(session, actor, self.limits)
            job = add_round_job(
                session,
                requested_by=actor.username,
                params=_job_params(request, as_of),
                owner=self.owner,
                now=_now(),
            )
            record(session, actor, "start_round", subject=f"round={job.id}")
        event = self._adopt(job.id)
        self.executor.submit(self._run, job.id, params, as_of, policy, actor.username, event)
        return job

    def _set(self, job_id: int, statuses: tuple[str, ...], **values: Any) -> bool:
        with session_scope(self.factory) as session, unit_of_work(session):
            return update_round_job_if(session, job_id, statuses, **values)

    def _run(
        self,
        job_id: int,
        params: RoundParams,
        as_of: date,
        policy: Policy,
        requested_by: str,
        cancel: threading.Event,
    ) -> None:
        try:
            if not self._set(job_id, ("queued",), status="running", stage="starting", fraction=0.0):
                return  # cancelled (or swept) while it waited
            with session_scope(self.factory) as session:
                _execute(session, self.factory, job_id, params, as_of, policy, requested_by, cancel)
        finally:
            self._release(job_id)

    @contextmanager
    def running_here(
        self, session: Session, *, requested_by: str, request: RoundRequest
    ) -> Iterator[tuple[int, threading.Event]]:
        """A round run by this process itself (the CLI): its job, running from the
        start and kept alive by the heartbeat while the block runs."""
        with unit_of_work(session):
            job = add_round_job(
                session,
                requested_by=requested_by,
                params=_job_params(request, request.on(date.today())),
                owner=self.owner,
                status="running",
                now=_now(),
            )
        event = self._adopt(job.id)
        try:
            yield job.id, event
        finally:
            self._release(job.id)


def _execute(
    session: Session,
    factory: sessionmaker[Session],
    job_id: int,
    params: RoundParams,
    as_of: date,
    policy: Policy,
    requested_by: str,
    cancel: threading.Event,
    progress: Progress | None = None,
    *,
    raise_errors: bool = False,
) -> RoundRun | None:
    """Run job `job_id`'s round on `session` and record how it ended (done, failed or
    cancelled) on the job; the stored run when it is done. With `raise_errors` (the
    CLI) a FamilyFinderError or a cancel is raised again once recorded."""
    last = 0.0
    worker = threading.current_thread()

    def set_if_running(**values: Any) -> bool:
        with session_scope(factory) as other, unit_of_work(other):
            return update_round_job_if(other, job_id, ("running",), **values)

    def report(stage: str, fraction: float) -> None:
        nonlocal last
        if cancel.is_set():
            raise Cancelled(f"round {job_id} was cancelled")
        if session.in_transaction() and threading.current_thread() is worker:
            # The snapshot is in memory by the first report: end the read transaction
            # now rather than hold it (and, on SQLite, the write lock) while solving.
            session.commit()
        now = time.monotonic()
        if now - last >= PROGRESS_INTERVAL_S:
            last = now
            set_if_running(stage=stage[:64], fraction=float(fraction))
        if progress is not None:
            progress(stage, fraction)

    try:
        run = run_round(
            session,
            params,
            as_of=as_of,
            policy=policy,
            requested_by=requested_by,
            progress=report,
            should_stop=cancel.is_set,
        )
    except Cancelled:
        session.rollback()
        with session_scope(factory) as other, unit_of_work(other):
            update_round_job_if(
                other, job_id, ACTIVE_STATUSES, status="cancelled", finished_at=_now()
            )
            update_round_job(other, job_id, stage="cancelled")
        log.info("round %s cancelled", job_id)
        if raise_errors:
            raise
        return None
    except FamilyFinderError as error:
        session.rollback()
        set_if_running(status="failed", error=str(error), finished_at=_now())
        if raise_errors:
            raise
        return None
    except Exception:  # a bug: logged with its traceback, never shown to the client
        log.exception("round job %s failed", job_id)
        session.rollback()
        set_if_running(
            status="failed", error="internal error; it has been logged", finished_at=_now()
        )
        if raise_errors:  # the CLI shows a bug with its traceback
            raise
        return None
    done = set_if_running(
        status="done", stage="done", fraction=1.0, round_run_id=run.run_id, finished_at=_now()
    )
    if not done:  # cancelled as it finished: the result stays linked, the round cancelled
        with session_scope(factory) as other, unit_of_work(other):
            update_round_job(other, job_id, round_run_id=run.run_id)
    return run


def sweep_dead_jobs(factory: sessionmaker[Session], *, heartbeat_s: float) -> int:
    """Mark failed the queued or running jobs whose owner has been silent for
    `STALE_BEATS` heartbeats (its process died: the round will never finish), and jobs
    stored before jobs had owners. Jobs of live processes, this one's or another's, are
    left alone. Returns how many were marked."""
    silent_since = _now() - timedelta(seconds=STALE_BEATS * heartbeat_s)
    with session_scope(factory) as session, unit_of_work(session):
        stale = stale_round_jobs(session, silent_since=silent_since)
        count = fail_round_jobs(
            session, stale, silent_since=silent_since, error=INTERRUPTED, at=_now()
        )
    if count:
        log.warning("%d round job(s) of a stopped process marked failed", count)
    return count


# ----------------------------------------------------------------------------- the CLI


def run_round_now(
    session: Session,
    request: RoundRequest,
    *,
    policy: Policy,
    requested_by: str,
    progress: Progress | None = None,
    heartbeat_s: float = DEFAULT_HEARTBEAT_S,
) -> tuple[int, RoundDocument]:
    """Run a round in this process (the CLI) as a job of its own, so it has a round id
    like any other, is kept alive by a heartbeat while it runs and can be cancelled
    from the API or the rounds page. Interrupted here (Ctrl-C) it reads `cancelled`.

    Returns the round id and its document; `Cancelled` when it was cancelled, the
    round's FamilyFinderError when it failed."""
    factory: sessionmaker[Session] = sessionmaker(bind=session.get_bind(), expire_on_commit=False)
    worker = RoundWorker(
        factory,
        heartbeat_s=heartbeat_s,
        owner=process_owner("cli"),
        sweep=False,  # a command does not judge the server's rounds
    )
    worker.start()
    try:
        with worker.running_here(session, requested_by=requested_by, request=request) as (
            job_id,
            cancel,
        ):
            try:
                run = _execute(
                    session,
                    factory,
                    job_id,
                    request.params(),
                    request.on(date.today()),
                    policy,
                    requested_by,
                    cancel,
                    progress,
                    raise_errors=True,
                )
            except KeyboardInterrupt:
                cancel.set()
                with session_scope(factory) as other, unit_of_work(other):
                    update_round_job_if(
                        other,
                        job_id,
                        ACTIVE_STATUSES,
                        status="cancelled",
                        stage="cancelled",
                        cancelled_by=requested_by,
                        finished_at=_now(),
                    )
                raise
            if run is None:  # pragma: no cover - failures and cancels are raised above
                raise FamilyFinderError(f"round {job_id} did not finish")
            with session_scope(factory) as other:
                job = get_round_job(other, job_id)
                if job.status == "cancelled":  # cancelled as it finished
                    raise Cancelled(f"round {job_id} was cancelled (by {job.cancelled_by})")
            return job_id, run.document
    finally:
        worker.stop()


# ----------------------------------------------------------------------------- reads


def round_status(session: Session, job_id: int) -> tuple[RoundJobRow, RoundRunRecord | None]:
    """The job and, once it is done, its stored round (not audited: see `read_round`)."""
    job = get_round_job(session, job_id)
    run = get_round_run(session, job.round_run_id) if job.round_run_id is not None else None
    # Detach the job before ending the read: a rollback would expire it, and reading it
    # again could see the round finished while `run` above is still None.
    session.expunge(job)
    session.rollback()
    return job, run


def round_fields(job: RoundJobRow) -> dict[str, Any]:
    """What is shown of a round besides its result, by the API's field names."""
    return {
        "round_id": job.id,
        "status": job.status,
        "requested_by": job.requested_by,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "stage": job.stage,
        "fraction": job.fraction,
        "params": job.params,
        "error": job.error,
        "cancelled_by": job.cancelled_by,
    }


def round_children(document: RoundDocument) -> list[str]:
    """Every child a round's result names (each waiting unit's children)."""
    return sorted({child for unit in document.units for child in unit.children})


def read_round(
    session: Session, actor: Actor, job_id: int
) -> tuple[RoundJobRow, RoundDocument | None]:
    """The round and, once it is done, its result (read through its type once); a read
    that returns a result is audited naming every child in it (one row)."""
    job, run = round_status(session, job_id)
    if run is None:
        return job, None
    document = run.document
    with unit_of_work(session):
        record_children(session, actor, "read_round", round_children(document), f"round={job.id}")
    return job, document


def recent_round_jobs(session: Session, *, limit: int = 20) -> list[RoundJobRow]:
    """The latest rounds, newest first, whatever their status (a read)."""
    with unit_of_work(session):
        return list_round_jobs(session, limit=limit)


def cancel_round(
    session: Session, worker: RoundWorker | None, actor: Actor, job_id: int
) -> RoundJobRow:
    """Cancel a queued or running round: it reads `cancelled` at once and its solver
    stops (within a tenth of a second in this process, a heartbeat in another). Only
    its requester or an administrator may; a finished round is a ConflictError."""
    with unit_of_work(session):
        job = get_round_job(session, job_id, for_update=True)
        allowed = actor.role == "admin" or job.requested_by == actor.username
        if allowed:
            if job.status not in ACTIVE_STATUSES:
                raise ConflictError(
                    f"round {job_id} has already finished ({job.status}): nothing to cancel"
                )
            if not update_round_job_if(
                session,
                job_id,
                ACTIVE_STATUSES,
                status="cancelled",
                stage="cancelled",
                cancelled_by=actor.username,
                finished_at=_now(),
            ):
                raise ConflictError(f"round {job_id} finished before it could be cancelled")
            record(session, actor, "cancel_round", subject=f"round={job_id}")
    if not allowed:
        record_denial(session, actor, f"cancel round {job_id}")
        raise AccessDenied(
            f"round {job_id} was started by someone else: only they or an administrator "
            "may cancel it"
        )
    if worker is not None:
        worker.signal_cancel(job_id)
    session.expire_all()
    job = get_round_job(session, job_id)
    session.expunge(job)
    session.rollback()
    return job
