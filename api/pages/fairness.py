"""The fairness page, for administrators and the oversight role (panel chairs, the
corporate parenting panel): which groups of waiting children the policy and the pool
serve less well, and how often people went against the system's ranking. Aggregate
figures only, from the same service as the CLI and GET /api/fairness; no child is named.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import DbSession
from api.pages.web import FairnessPage, app_policy, error_page, render, today
from api.services.audit import AccessDenied
from api.services.fairness import FairnessFigures, fairness_csv, fairness_figures
from matching import labels
from matching.fairness import METRIC_KEYS, Flag, driver_phrase

router = APIRouter(include_in_schema=False)


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
    request: Request, session: DbSession, actor: FairnessPage, as_of: str
) -> tuple[FairnessFigures, date] | HTMLResponse:
    """The report asked for (its date checked, its read audited), or the error page."""
    on = today()
    chosen = _as_of(as_of, on)
    if chosen is None:
        return error_page(
            request, actor, 422, "Date not understood", "Give the date as YYYY-MM-DD."
        )
    try:
        figures = fairness_figures(
            session, actor, as_of=chosen, today=on, policy=app_policy(request)
        )
    except AccessDenied as error:
        return error_page(request, actor, 403, "You cannot choose the date", str(error))
    return figures, chosen


@router.get("/fairness", response_class=HTMLResponse)
def fairness_page(
    request: Request, session: DbSession, actor: FairnessPage, as_of: str = ""
) -> HTMLResponse:
    found = _figures(request, session, actor, as_of)
    if isinstance(found, HTMLResponse):
        return found
    figures, chosen = found
    report = figures.report
    dimensions = list(dict.fromkeys(g.dimension for g in report.groups))
    return render(
        request,
        "fairness.html",
        actor,
        title="Fairness report",
        report=report,
        dimensions=dimensions,
        groups={d: [g for g in report.groups if g.dimension == d] for d in dimensions},
        overrides={d: [o for o in report.overrides if o.dimension == d] for d in dimensions},
        metric_keys=METRIC_KEYS,
        flags=[flag_sentence(f) for f in report.flags],
        download=f"/fairness/download.csv?as_of={chosen.isoformat()}",
    )


@router.get("/fairness/download.csv", response_model=None)
def download(
    request: Request, session: DbSession, actor: FairnessPage, as_of: str = ""
) -> Response:
    found = _figures(request, session, actor, as_of)
    if isinstance(found, HTMLResponse):
        return found
    return Response(
        fairness_csv(found[0]),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="fairness.csv"'},
    )
