"""The fairness page, for administrators and the oversight role (panel chairs, the
corporate parenting panel): which groups of waiting children the policy and the pool
serve less well, and how often people went against the system's ranking. Aggregate
figures only, from the same service as the CLI and GET /api/fairness; no child is named.

A second policy can be set beside the service's, so a change of weights is judged
before it is used: one the service knows by name (GET /fairness?compare=NAME, a link
that can be shared) or a policy file uploaded with the form (POST /fairness/compare;
read, never stored: the page carries its text back for the CSV download).
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from pathlib import Path, PurePath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import DbSession
from api.limits import MAX_POLICY_BYTES
from api.pages.web import (
    CSRF_FIELD,
    CsrfRejected,
    FairnessPage,
    app_policy,
    csrf_matches,
    error_page,
    render,
    today,
)
from api.services.audit import AccessDenied, Actor
from api.services.compare_policies import (
    ComparedPolicy,
    named_policies,
    named_policy,
    problem_words,
    sent_policy,
)
from api.services.fairness import FairnessFigures, fairness_csv, fairness_figures
from matching import labels
from matching.errors import ValidationError
from matching.fairness import METRIC_KEYS, Flag, driver_phrase
from matching.fairness_changes import report_changes

router = APIRouter(include_in_schema=False)

UPLOAD_FIELD = "policy"  # the file input
SENT_FIELD = "policy_sent"  # the uploaded file's bytes, carried back for the download


def flag_sentence(flag: Flag) -> str:
    """A flag in words, with its first drivers."""
    metric = labels.lower(labels.label("fairness_metric", flag.metric))
    low, high = flag.interval
    text = (
        f"{labels.label('fairness_dimension', flag.dimension)}, {flag.group}: "
        f"{metric} is {flag.ratio:.2f} times the other children's "
        f"(95% interval {low:.2f} to {high:.2f})."
    )
    behind = [driver_phrase(d) for d in flag.drivers[:3]]
    if behind:
        text += " Behind it: " + "; ".join(behind) + "."
    return text


def _as_of(text: str, on: date) -> date | None:
    try:
        return date.fromisoformat(text) if text else on
    except ValueError:
        return None


def _figures(
    request: Request,
    session: DbSession,
    actor: Actor,
    as_of: str,
    compared: ComparedPolicy | None = None,
) -> tuple[FairnessFigures, date] | HTMLResponse:
    """The report asked for (its date checked, its read audited), with the compared
    policy's beside it if one is given, or the error page."""
    on = today()
    chosen = _as_of(as_of, on)
    if chosen is None:
        return error_page(
            request, actor, 422, "Date not understood", "Give the date as YYYY-MM-DD."
        )
    try:
        figures = fairness_figures(
            session,
            actor,
            as_of=chosen,
            today=on,
            policy=app_policy(request),
            compare=compared.policy if compared else None,
            compared_as=compared.audit if compared else None,
        )
    except AccessDenied as error:
        return error_page(request, actor, 403, "You cannot choose the date", str(error))
    return figures, chosen


def _policy_dir(request: Request) -> Path | None:
    folder = getattr(request.app.state.settings, "compare_policy_dir", None)
    return folder if isinstance(folder, Path) else None


def _page(
    request: Request,
    actor: Actor,
    figures: FairnessFigures,
    chosen: date,
    *,
    compared: ComparedPolicy | None = None,
    compare_name: str = "",
    sent: bytes | None = None,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    report = figures.report
    dimensions = list(dict.fromkeys(g.dimension for g in report.groups))
    context: dict[str, Any] = {}
    if figures.compared is not None and compared is not None:
        changes = report_changes(report, figures.compared)
        shown = [f for f in changes.figures if f.current is not None or f.compared is not None]
        context = {
            "compared": compared,
            "compared_report": figures.compared,
            "raised": [flag_sentence(f) for f in changes.raised],
            "cleared": [flag_sentence(f) for f in changes.cleared],
            "kept": len(changes.kept),
            "changed": changes.changed(),
            "unchanged": len(shown) - len(changes.changed()),
        }
    named = named_policies(_policy_dir(request))
    as_of = chosen.isoformat()
    download = f"/fairness/download.csv?as_of={as_of}"
    if compare_name:
        download += f"&compare={compare_name}"
    return render(
        request,
        "fairness.html",
        actor,
        status_code=status_code,
        title="Fairness report",
        errors=errors or [],
        report=report,
        dimensions=dimensions,
        groups={d: [g for g in report.groups if g.dimension == d] for d in dimensions},
        overrides={d: [o for o in report.overrides if o.dimension == d] for d in dimensions},
        metric_keys=METRIC_KEYS,
        flags=[flag_sentence(f) for f in report.flags],
        download=download,
        # the forms keep a date an administrator chose (everyone else reads today's)
        as_of=as_of if chosen != today() else "",
        usable=[p for p in named if p.problem is None],
        unusable=[p for p in named if p.problem is not None],
        compare_name=compare_name,
        sent=base64.b64encode(sent).decode("ascii") if sent is not None else "",
        upload_field=UPLOAD_FIELD,
        sent_field=SENT_FIELD,
        max_policy_kb=MAX_POLICY_BYTES // 1024,
        **context,
    )


def _csv(figures: FairnessFigures) -> Response:
    return Response(
        fairness_csv(figures),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="fairness.csv"'},
    )


def _named(request: Request, compare: str) -> ComparedPolicy | list[dict[str, str]]:
    """The policy the service knows as `compare`, or the page's error for it."""
    try:
        return named_policy(compare, _policy_dir(request))
    except ValidationError as error:
        problem = error.problems[0]
        if problem.file == "compare":  # no such name
            text = f"Choose a policy the service knows: none is called {compare[:64]!r}"
        else:
            text = f"That policy cannot be used: {problem_words(problem)}"
        return [{"text": text, "href": "#compare"}]


@router.get("/fairness", response_class=HTMLResponse)
def fairness_page(
    request: Request, session: DbSession, actor: FairnessPage, as_of: str = "", compare: str = ""
) -> HTMLResponse:
    compared = _named(request, compare) if compare else None
    errors = compared if isinstance(compared, list) else None
    policy = compared if isinstance(compared, ComparedPolicy) else None
    found = _figures(request, session, actor, as_of, policy)
    if isinstance(found, HTMLResponse):
        return found
    figures, chosen = found
    return _page(
        request,
        actor,
        figures,
        chosen,
        compared=policy,
        compare_name=compare if policy else "",
        errors=errors,
        status_code=422 if errors else 200,
    )


@router.get("/fairness/download.csv", response_model=None)
def download(
    request: Request, session: DbSession, actor: FairnessPage, as_of: str = "", compare: str = ""
) -> Response:
    compared = _named(request, compare) if compare else None
    if isinstance(compared, list):
        return error_page(request, actor, 422, "No such policy", compared[0]["text"])
    found = _figures(request, session, actor, as_of, compared)
    if isinstance(found, HTMLResponse):
        return found
    return _csv(found[0])


async def _sent_bytes(form: Any) -> tuple[bytes, str] | str:
    """The policy file's bytes and name from the form (an upload, or the bytes the
    page carried back), or what to tell the person."""
    upload = form.get(UPLOAD_FIELD)
    if isinstance(upload, UploadFile) and upload.filename:
        name = PurePath(upload.filename.replace("\\", "/")).name[:100] or "policy"
        return await upload.read(MAX_POLICY_BYTES + 1), name
    carried = form.get(SENT_FIELD)
    if isinstance(carried, str) and carried:
        try:
            return base64.b64decode(carried, validate=True), "policy"
        except binascii.Error:
            return "Choose the policy file again"
    return "Choose a policy file to compare with"


@router.post("/fairness/compare", response_model=None)
async def compare_sent(request: Request, session: DbSession, actor: FairnessPage) -> Response:
    """The report beside the same report under an uploaded policy file (or, with
    `format=csv`, both as the CSV download). The form is read only now, after the
    session is known to be one that may see the report."""
    form = await request.form(max_files=1, max_fields=8)
    if not csrf_matches(request, form.get(CSRF_FIELD)):
        raise CsrfRejected()
    as_of = str(form.get("as_of") or "")
    got = await _sent_bytes(form)
    compared: ComparedPolicy | None = None
    sent: bytes | None = None
    problem = got if isinstance(got, str) else ""
    if not isinstance(got, str):
        sent, name = got
        try:
            compared = sent_policy(sent, file=name)
        except ValidationError as error:
            words = problem_words(error.problems[0])
            problem = f"The file is not a policy familyfinder can read: {words}"
    errors = [{"text": problem, "href": "#policy-file"}] if problem else []
    found = await run_in_threadpool(_figures, request, session, actor, as_of, compared)
    if isinstance(found, HTMLResponse):
        return found
    figures, chosen = found
    if compared is None:
        return _page(request, actor, figures, chosen, errors=errors, status_code=422)
    if form.get("format") == "csv":
        return _csv(figures)
    return _page(request, actor, figures, chosen, compared=compared, sent=sent)
