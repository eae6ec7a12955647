"""Imports, matching rounds, gap reports and the audit trail."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import AdminUser, AppSettings, DbSession, FairnessReader, FinderUser, GapsUser
from api.http_errors import ErrorBody
from api.limits import MAX_POLICY_BYTES
from api.requests import (
    AuditQuery,
    FairnessQuery,
    GapPublicationRequest,
    GapQuery,
    RoundRequest,
)
from api.schemas import (
    AuditEvent,
    AuditPage,
    FairnessPolicyList,
    FairnessPolicyOut,
    GapPublicationOut,
    GapPublicationPage,
    ImportCounts,
    RoundAccepted,
    RoundPage,
    RoundStatus,
    RoundSummary,
)
from api.services.audit import audit_page
from api.services.compare_policies import named_policies, named_policy, sent_policy
from api.services.fairness import FairnessFigures, fairness_csv, fairness_figures
from api.services.gap_exports import MEDIA_TYPES, GapFormat, export_gaps
from api.services.gaps import PublicationSummary, gap_publications, publish_gap_report
from api.services.round_jobs import cancel_round, read_round, recent_round_jobs, round_fields
from api.services.uploads import import_received
from api.upload_stream import IMPORT_FILES, receive_csv_files
from matching.errors import Problem, ValidationError
from matching.vocab import CHILDREN_FILE

router = APIRouter(prefix="/api", tags=["operations"])


# The form the import takes, documented by hand: the route reads it as it streams in
# (api.upload_stream), after the caller is signed in as an admin.
IMPORT_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["children"],
                    "properties": {
                        "children": {"type": "string", "format": "binary"},
                        "households": {"type": "string", "format": "binary"},
                        "sibling_links": {"type": "string", "format": "binary"},
                        "as_of": {
                            "type": "string",
                            "format": "date",
                            "description": "Reference date (default today)",
                        },
                    },
                }
            }
        },
    }
}


@router.post("/imports", response_model=ImportCounts, openapi_extra=IMPORT_FORM)
async def import_files(
    request: Request, actor: AdminUser, session: DbSession, settings: AppSettings
) -> ImportCounts:
    """Import an authority's CSV files (admin): all valid and saved, or a 422 listing
    every problem by file, line, column and reason. Nothing is read before the caller
    is known to be an admin; a file over the size limit is refused as it arrives."""
    with tempfile.TemporaryDirectory(prefix="ff-upload-") as directory:
        received = await receive_csv_files(
            request,
            Path(directory),
            files=IMPORT_FILES,
            fields=("as_of",),
            max_file_bytes=settings.max_upload_bytes,
        )
        missing = [
            n for n in (CHILDREN_FILE,) if n not in received.files
        ]  # children-only is allowed
        if missing:
            raise ValidationError(
                [
                    Problem(name, 0, "", "required file is missing from the upload")
                    for name in missing
                ]
            )
        as_of = _form_date(received.fields.get("as_of"))
        summary = await run_in_threadpool(
            import_received,
            session,
            actor,
            Path(directory),
            as_of=as_of,
            max_upload_bytes=settings.max_upload_bytes,
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


def _form_date(text: str | None) -> date:
    if not text or not text.strip():
        return date.today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            [Problem("request", 0, "as_of", f"{text!r} is not a date in the form YYYY-MM-DD")]
        ) from None


RoundId = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="The round's id")]


@router.post(
    "/rounds",
    response_model=RoundAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        429: {
            "description": "You already have a round queued or running, or the "
            "service is at its limit of rounds: the message says which"
        }
    },
)
def start_round(
    request: Request, body: RoundRequest, actor: FinderUser, session: DbSession
) -> RoundAccepted:
    """Start a matching round in the background; poll GET /api/rounds/{round_id}.

    One round queued or running per person (FAMILYFINDER_ROUNDS_PER_USER) and a few in
    all (FAMILYFINDER_ROUNDS_TOTAL): beyond them 429, saying which round to wait for or
    cancel."""
    state = request.app.state
    job = state.round_worker.submit(session, actor, body, policy=state.policy)
    return RoundAccepted(round_id=job.id, status=job.status)


@router.get("/rounds", response_model=RoundPage)
def list_rounds(
    _actor: FinderUser,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> RoundPage:
    """The latest rounds, newest first, with their status (no results: see one round)."""
    jobs = recent_round_jobs(session, limit=limit)
    return RoundPage(items=[RoundSummary.model_validate(round_fields(j)) for j in jobs])


@router.get("/rounds/{round_id}", response_model=RoundStatus)
def get_round(round_id: RoundId, actor: FinderUser, session: DbSession) -> RoundStatus:
    """A round's status, progress and, once done, its result (a read naming every child
    of the result, audited)."""
    job, result = read_round(session, actor, round_id)
    return RoundStatus.model_validate({**round_fields(job), "result": result})


@router.post("/rounds/{round_id}/cancel", response_model=RoundStatus)
def cancel(
    request: Request, round_id: RoundId, actor: FinderUser, session: DbSession
) -> RoundStatus:
    """Cancel a queued or running round (its requester or an admin): it reads
    `cancelled` at once and its solver stops. 409 when it has already finished."""
    job = cancel_round(session, request.app.state.round_worker, actor, round_id)
    return RoundStatus.model_validate({**round_fields(job), "result": None})


@router.get(
    "/gaps",
    response_class=Response,
    responses={
        200: {
            "description": "The gap report: for recruitment a published report "
            "(suppressed and rounded); for an admin any date, suppressed unless asked",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
                MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
                # format=csv_tables: one CSV per table, zipped
                MEDIA_TYPES["csv_tables"]: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        404: {"description": "Recruitment: no report is published as of that date"},
    },
)
def gaps(
    request: Request,
    actor: GapsUser,
    session: DbSession,
    settings: AppSettings,
    query: Annotated[GapQuery, Query()],
    format: Annotated[GapFormat, Query()] = "json",
) -> Response:
    """The needs-gap report. Recruitment reads published reports only: the latest, or
    the one as of `as_of` when a report is published for that date (the list: GET
    /api/gaps/publications); counts suppressed and rounded to the nearest 10, what-if
    answers (`add`, repeatable) as of the report's date and rounded. An admin reads any
    date, exact with `suppress=false`."""
    body = export_gaps(
        session,
        actor,
        query,
        policy=request.app.state.policy,
        fmt=format,
        schedule=settings.gap_publication,
        today=date.today(),
    )
    headers = {}
    if format != "json":
        headers["Content-Disposition"] = f'attachment; filename="gaps.{format}"'
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)


FAIRNESS_REPORT = {
    "description": "The fairness report: `groups` (each {dimension, group, children, "
    "metrics, ratios}), `flags` (each {dimension, group, metric, ratio, interval: [low, "
    "high], drivers}), `overrides` (recommendations and decisions against the system's "
    "ranking, by group); counts 1 to 5 shown as c. Compared under a second policy: the "
    "same report under it as `compare` (in the CSV: `compare_*` columns), as "
    "`familyfinder fairness --compare FILE --json` prints it",
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "text/csv": {"schema": {"type": "string"}},
    },
}


def _fairness_response(figures: FairnessFigures, format: str) -> Response:
    if format == "csv":
        return Response(
            fairness_csv(figures),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="fairness.csv"'},
        )
    return JSONResponse(figures.to_json())


@router.get("/fairness", response_class=Response, responses={200: FAIRNESS_REPORT})
def fairness(
    request: Request,
    actor: FairnessReader,
    session: DbSession,
    settings: AppSettings,
    query: Annotated[FairnessQuery, Query()],
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """Which groups of waiting children the policy and the pool serve less well, under
    the service's policy (oversight and admin; oversight reads it as of today, an admin
    any date: 403 for another role, or for oversight asking another date). With
    `compare=NAME`, the same report under a policy the service knows by that name
    beside it (422 naming the ones it knows when there is none). No child is named."""
    today = date.today()
    compare = named_policy(query.compare, settings.compare_policy_dir) if query.compare else None
    figures = fairness_figures(
        session,
        actor,
        as_of=query.as_of or today,
        today=today,
        policy=request.app.state.policy,
        compare=compare.policy if compare else None,
        compared_as=compare.audit if compare else None,
    )
    return _fairness_response(figures, format)


@router.get("/fairness/policies", response_model=FairnessPolicyList)
def fairness_policies(_actor: FairnessReader, settings: AppSettings) -> FairnessPolicyList:
    """The policies the service knows by name, that the fairness report can be compared
    under (`GET /api/fairness?compare=NAME`): `shipped`, the policy shipped with
    familyfinder, and each NAME.toml an administrator of the server put in
    FAMILYFINDER_COMPARE_POLICY_DIR, with its version or why it cannot be used."""
    return FairnessPolicyList(
        policies=[
            FairnessPolicyOut(name=p.name, policy_version=p.version, problem=p.problem)
            for p in named_policies(settings.compare_policy_dir)
        ],
        max_policy_bytes=MAX_POLICY_BYTES,
    )


# A policy file's text is the whole body: TOML, sent as application/toml (or text/plain).
POLICY_MEDIA_TYPES = ("application/toml", "text/plain")
POLICY_BODY = {
    "requestBody": {
        "required": True,
        "description": f"A policy file (TOML, UTF-8, at most {MAX_POLICY_BYTES:,} bytes), "
        "as `familyfinder fairness --compare FILE` reads one",
        "content": {kind: {"schema": {"type": "string"}} for kind in POLICY_MEDIA_TYPES},
    }
}


async def _body_at_most(request: Request, limit: int) -> bytes | None:
    """The request's body, or None as soon as it is longer than `limit` bytes."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


@router.post(
    "/fairness/compare",
    response_class=Response,
    responses={
        200: FAIRNESS_REPORT,
        415: {"model": ErrorBody, "description": "The body is not sent as TOML or text"},
    },
    openapi_extra=POLICY_BODY,
)
async def fairness_compare(
    request: Request,
    actor: FairnessReader,
    session: DbSession,
    as_of: Annotated[date | None, Query(description="Reference date (default today)")] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """The fairness report under the service's policy and, beside it as `compare`, under
    the policy file sent as the body (oversight and admin, as GET /api/fairness): a
    change of weights judged before it is used. The file is read as the CLI reads one
    and never run or stored; the read's audit row names its SHA-256. 422 when it is not
    a valid policy (the line and the key at fault), 413 when it is over the size limit,
    415 when it is not sent as application/toml or text/plain."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in POLICY_MEDIA_TYPES:
        raise HTTPException(415, "send the policy file as application/toml or text/plain")
    body = await _body_at_most(request, MAX_POLICY_BYTES)
    if body is None:
        raise HTTPException(413, f"a policy file is at most {MAX_POLICY_BYTES:,} bytes")
    compare = sent_policy(body)
    today = date.today()
    figures = await run_in_threadpool(
        fairness_figures,
        session,
        actor,
        as_of=as_of or today,
        today=today,
        policy=request.app.state.policy,
        compare=compare.policy,
        compared_as=compare.audit,
    )
    return _fairness_response(figures, format)


def _publication_out(item: PublicationSummary) -> GapPublicationOut:
    fields = ("id", "as_of", "basis", "created_at", "created_by", "import_run_id")
    return GapPublicationOut.model_validate(
        {name: getattr(item, name) for name in (*fields, "policy_version")}
    )


@router.get("/gaps/publications", response_model=GapPublicationPage)
def publications(
    request: Request, _actor: GapsUser, session: DbSession, settings: AppSettings
) -> GapPublicationPage:
    """The gap reports published for recruitment, latest first (one per date, never
    recomputed; FAMILYFINDER_GAP_PUBLICATION says when one is published)."""
    items = gap_publications(
        session, settings.gap_publication, request.app.state.policy, today=date.today()
    )
    return GapPublicationPage(items=[_publication_out(p) for p in items])


@router.post(
    "/gaps/publications",
    response_model=GapPublicationOut,
    status_code=status.HTTP_201_CREATED,
)
def publish(
    request: Request, body: GapPublicationRequest, actor: AdminUser, session: DbSession
) -> GapPublicationOut:
    """Publish the gap report as of a date for recruitment (admin): computed now,
    suppressed and rounded, stored for good. 409 when that date is published already."""
    published = publish_gap_report(
        session, actor, as_of=body.as_of, policy=request.app.state.policy
    )
    return _publication_out(published)


@router.get("/audit", response_model=AuditPage)
def audit(
    _actor: AdminUser, session: DbSession, query: Annotated[AuditQuery, Query()]
) -> AuditPage:
    """The audit trail, newest first (admin)."""
    rows, total = audit_page(session, query)
    return AuditPage(
        items=[AuditEvent.model_validate(r) for r in rows],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )
