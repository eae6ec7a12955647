"""The recruitment team's page: the needs-gap report, suppressed, with no child-level data.

Everything shown comes from the published view of the report (`GapReport.to_dict()`)
with small-number suppression always on here, the same view the downloads carry.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from api.deps import DbSession
from api.pages.web import GapsPage, app_policy, error_page, render, today
from api.services.audit import record
from api.services.gap_exports import MEDIA_TYPES, export_gaps
from api.services.gaps import gap_report_for
from api.services.snapshot import get_snapshot
from matching.gaps import GapReport, render_charts
from matching.gaps.targets import AddSpecError, parse_add_spec
from matching.policy import Policy

router = APIRouter(include_in_schema=False)

CHARTS = {
    "demand_vs_supply": "Demand against supply, by profile",
    "unplaceable_by_profile": "Children no allocation of today's pool can place, by profile",
    "recruitment_targets": "Recruitment targets",
}
MAX_WHAT_IF_LINES = 10

# The published report and its charts take seconds to compute (the charts most of it)
# and are the same for everyone until the data changes: kept per data fingerprint.
_CACHE_SIZE = 8
_cache: OrderedDict[tuple[str, date, str], tuple[GapReport, dict[str, bytes]]] = OrderedDict()
_cache_lock = threading.Lock()


def published_report(
    session: Session, policy: Policy, on: date
) -> tuple[GapReport, dict[str, bytes]]:
    """Today's suppressed gap report and its charts, computed once per data version."""
    key = (get_snapshot(session, policy).fingerprint, on, policy.version)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        report = gap_report_for(session, as_of=on, policy=policy, suppress=True)
        entry = (report, render_charts(report))
        _cache[key] = entry
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        return entry


def _inline_svg(svg: bytes, label: str) -> Markup:
    """Matplotlib's SVG, made fit to inline: no XML prolog, an accessible name, fluid."""
    text = svg.decode("utf-8")
    text = text[text.index("<svg") :]
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", text, count=1)
    text = text.replace(
        "<svg", f'<svg role="img" aria-label="{Markup.escape(label)}" class="ff-figure"', 1
    )
    return Markup(text)  # our own chart, drawn from the published (suppressed) view


def _target_sentence(target: dict[str, Any]) -> str:
    profile = target["profile"]
    label = str(profile.get("label", "")) if isinstance(profile, dict) else str(profile)
    needed = target["households_needed"]
    placed = target["children_placed"]
    needed_text = "a few (fewer than 6)" if needed == "c" else str(needed)
    placed_text = "a few (fewer than 6)" if placed == "c" else str(placed)
    return f"{label[:1].upper()}{label[1:]}: {needed_text} more would place {placed_text} children."


@router.get("/gaps", response_class=HTMLResponse)
def gaps_page(request: Request, session: DbSession, actor: GapsPage, add: str = "") -> HTMLResponse:
    policy = app_policy(request)
    on = today()
    errors = []
    specs = []
    lines = [line.strip() for line in add.splitlines() if line.strip()]
    if len(lines) > MAX_WHAT_IF_LINES:
        errors.append({"text": f"Give at most {MAX_WHAT_IF_LINES} what-if lines", "href": "#add"})
    else:
        for n, line in enumerate(lines, start=1):
            try:
                specs.append(parse_add_spec(line))
            except AddSpecError as error:
                errors.append({"text": f"Line {n}: {error}", "href": "#add"})
    report, charts = published_report(session, policy, on)
    if specs and not errors:
        # the what-if is its own report; the charts stay those of today's pool
        report = gap_report_for(session, as_of=on, policy=policy, add=specs, suppress=True)
    data = report.to_dict()
    record(
        session,
        actor,
        "read_gaps",
        subject=f"gaps as_of={on} suppressed=True what_if={len(specs)}",
    )
    session.commit()
    return render(
        request,
        "gaps.html",
        actor,
        status_code=422 if errors else 200,
        title="Needs-gap report",
        data=data,
        charts={
            name: _inline_svg(charts[f"{name}.svg"], caption) for name, caption in CHARTS.items()
        },
        chart_captions=CHARTS,
        sentences=[_target_sentence(t) for t in data["recruitment_targets"]],
        add=add,
        errors=errors,
    )


@router.get("/gaps/download/{name}", response_model=None)
def download(request: Request, session: DbSession, actor: GapsPage, name: str) -> Response:
    policy = app_policy(request)
    on = today()
    stem, _, fmt = name.rpartition(".")
    if stem == "gap-report" and fmt in ("csv", "xlsx", "json"):
        body = export_gaps(session, actor, as_of=on, policy=policy, fmt=fmt, suppress=True)  # type: ignore[arg-type]
        media = MEDIA_TYPES[fmt]
    elif stem in CHARTS and fmt in ("svg", "png"):
        body = published_report(session, policy, on)[1][name]
        record(session, actor, "export_gaps", subject=f"chart {name} as_of={on} suppressed=True")
        session.commit()
        media = "image/svg+xml" if fmt == "svg" else "image/png"
    else:
        return error_page(request, actor, 404, "No such download", f"There is no file {name}.")
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{on.isoformat()}-{name}"'},
    )
