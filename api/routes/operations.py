"""Imports, matching rounds, gap reports and the audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile, status
from fastapi.responses import Response

from api.deps import AdminUser, AppSettings, DbSession, FinderUser, GapsUser
from api.schemas import AuditEvent, AuditPage, ImportCounts, RoundAccepted, RoundIn, RoundStatus
from api.services.audit import audit_trail
from api.services.gap_exports import MEDIA_TYPES, GapFormat, export_gaps
from api.services.round_jobs import round_status, submit_round
from api.services.uploads import import_uploads
from matching.rounds import RoundParams
from matching.vocab import CHILDREN_FILE, HOUSEHOLDS_FILE, LINKS_FILE

router = APIRouter(prefix="/api", tags=["operations"])


@router.post("/imports", response_model=ImportCounts)
def import_files(
    actor: AdminUser,
    session: DbSession,
    settings: AppSettings,
    children: Annotated[UploadFile, File(description=CHILDREN_FILE)],
    households: Annotated[UploadFile, File(description=HOUSEHOLDS_FILE)],
    sibling_links: Annotated[UploadFile | None, File(description=LINKS_FILE)] = None,
    as_of: Annotated[date | None, Form(description="Reference date (default today)")] = None,
) -> ImportCounts:
    """Import an authority's CSV files (admin): all valid and saved, or a 422 listing
    every problem by file, line, column and reason."""
    files = {CHILDREN_FILE: children.file, HOUSEHOLDS_FILE: households.file}
    if sibling_links is not None:
        files[LINKS_FILE] = sibling_links.file
    summary = import_uploads(
        session,
        files,
        as_of=as_of or date.today(),
        max_upload_bytes=settings.max_upload_bytes,
        requested_by=actor.username,
    )
    c = summary.counts
    return ImportCounts(
        import_run_id=summary.import_run_id,
        as_of=summary.as_of,
        children_inserted=c.children_inserted,
        children_updated=c.children_updated,
        households_inserted=c.households_inserted,
        households_updated=c.households_updated,
        links_inserted=c.links_inserted,
        links_updated=c.links_updated,
        inputs_fingerprint=summary.inputs_fingerprint,
        encodings=summary.encodings,
        warnings=[str(w) for w in summary.warnings],
        needs_plan=summary.needs_plan,
    )


@router.post("/rounds", response_model=RoundAccepted, status_code=status.HTTP_202_ACCEPTED)
def start_round(
    request: Request, body: RoundIn, actor: FinderUser, session: DbSession
) -> RoundAccepted:
    """Start a matching round in the background; poll GET /api/rounds/{round_id}."""
    params = RoundParams(
        mode=body.mode,
        per_unit=body.per_unit,
        max_appearances=body.max_appearances,
        time_limit_s=body.time_limit_s,
        seed=body.seed,
    )
    state = request.app.state
    job = submit_round(
        session,
        state.session_factory,
        state.round_executor,
        actor,
        params,
        as_of=body.as_of or date.today(),
        policy=state.policy,
    )
    return RoundAccepted(round_id=job.id, status=job.status)


@router.get("/rounds/{round_id}", response_model=RoundStatus)
def get_round(
    round_id: Annotated[int, Path(ge=1, le=2**31 - 1)], _actor: FinderUser, session: DbSession
) -> RoundStatus:
    """A round's status, progress and, once done, its result."""
    job, run = round_status(session, round_id)
    return RoundStatus(
        round_id=job.id,
        status=job.status,  # type: ignore[arg-type]
        requested_by=job.requested_by,
        created_at=job.created_at,
        finished_at=job.finished_at,
        stage=job.stage,
        fraction=job.fraction,
        params=job.params,
        run_id=job.round_run_id,
        error=job.error,
        result=run.result if run is not None else None,
    )


@router.get(
    "/gaps",
    response_class=Response,
    responses={
        200: {
            "description": "The gap report (suppressed unless an admin asks otherwise)",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
                MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def gaps(
    request: Request,
    actor: GapsUser,
    session: DbSession,
    format: Annotated[GapFormat, Query()] = "json",
    as_of: Annotated[date | None, Query(description="Reference date (default today)")] = None,
    suppress: Annotated[bool, Query(description="Admin only: false shows exact counts")] = True,
) -> Response:
    """The needs-gap report for recruitment (small counts always suppressed for them)."""
    body = export_gaps(
        session,
        actor,
        as_of=as_of or date.today(),
        policy=request.app.state.policy,
        fmt=format,
        suppress=suppress,
    )
    headers = {}
    if format != "json":
        headers["Content-Disposition"] = f'attachment; filename="gaps.{format}"'
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)


@router.get("/audit", response_model=AuditPage)
def audit(
    _actor: AdminUser,
    session: DbSession,
    username: Annotated[str | None, Query(max_length=64)] = None,
    child_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[date | None, Query(description="From this date (UTC), inclusive")] = None,
    until: Annotated[date | None, Query(description="To this date (UTC), inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AuditPage:
    """The audit trail, newest first (admin)."""
    rows, total = audit_trail(
        session,
        username=username,
        child_id=child_id,
        since=datetime.combine(since, time(), UTC) if since else None,
        until=datetime.combine(until, time(), UTC) + timedelta(days=1)
        if until and until < date.max
        else None,
        limit=limit,
        offset=offset,
    )
    session.rollback()
    return AuditPage(
        items=[AuditEvent.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )
