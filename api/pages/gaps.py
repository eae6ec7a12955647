"""The recruitment team's page: the needs-gap report, suppressed, with no child-level data.

Everything shown comes from the published view of the report
(`matching.results.GapDocument`) with small-number suppression always on here, the same
view the downloads carry.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import ValidationError

from api.deps import DbSession
from api.pages.web import GapsPage, app_policy, error_page, render, today
from api.requests import GapQuery
from api.services.gap_exports import MEDIA_TYPES, export_gaps
from api.services.gaps import gap_chart, published_gaps
from matching.results import RecruitmentTarget

router = APIRouter(include_in_schema=False)

CHARTS = {
    "demand_vs_supply": "Demand against supply, by profile",
    "unplaceable_by_profile": "Children no allocation of today's pool can place, by profile",
    "recruitment_targets": "Recruitment targets",
}


def _inline_svg(svg: bytes, label: str) -> Markup:
    """Matplotlib's SVG, made fit to inline: no XML prolog, an accessible name, fluid."""
    text = svg.decode("utf-8")
    text = text[text.index("<svg") :]
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", text, count=1)
    text = text.replace(
        "<svg", f'<svg role="img" aria-label="{Markup.escape(label)}" class="ff-figure"', 1
    )
    return Markup(text)  # our own chart, drawn from the published (suppressed) view


def _target_sentence(target: RecruitmentTarget) -> str:
    label = target.profile.label
    needed, placed = target.households_needed, target.children_placed
    needed_text = "a few (fewer than 6)" if needed == "c" else str(needed)
    placed_text = "a few (fewer than 6)" if placed == "c" else str(placed)
    return f"{label[:1].upper()}{label[1:]}: {needed_text} more would place {placed_text} children."


@router.get("/gaps", response_class=HTMLResponse)
def gaps_page(request: Request, session: DbSession, actor: GapsPage, add: str = "") -> HTMLResponse:
    policy = app_policy(request)
    on = today()
    errors = []
    lines = [line.strip() for line in add.splitlines() if line.strip()]
    try:
        query = GapQuery(as_of=on, add=tuple(lines))
    except ValidationError as error:
        for item in error.errors():
            location = item["loc"]
            if len(location) > 1:  # one what-if line
                text = f"Line {int(location[1]) + 1}: {item['msg']}"
            else:
                text = item["msg"][:1].upper() + item["msg"][1:]
            errors.append({"text": text, "href": "#add"})
        query = GapQuery(as_of=on)  # today's report, without the what-if
    published = published_gaps(session, actor, query, policy=policy)
    document = published.document
    return render(
        request,
        "gaps.html",
        actor,
        status_code=422 if errors else 200,
        title="Needs-gap report",
        data=document,
        charts={
            name: _inline_svg(published.charts[f"{name}.svg"], caption)
            for name, caption in CHARTS.items()
        },
        chart_captions=CHARTS,
        sentences=[_target_sentence(t) for t in document.recruitment_targets],
        add=add,
        errors=errors,
    )


@router.get("/gaps/download/{name}", response_model=None)
def download(request: Request, session: DbSession, actor: GapsPage, name: str) -> Response:
    policy = app_policy(request)
    on = today()
    stem, _, fmt = name.rpartition(".")
    if stem == "gap-report" and fmt in ("csv", "xlsx", "json"):
        body = export_gaps(
            session,
            actor,
            GapQuery(as_of=on, suppress=True),
            policy=policy,
            fmt="csv" if fmt == "csv" else "xlsx" if fmt == "xlsx" else "json",
        )
        media = MEDIA_TYPES[fmt]
    elif stem in CHARTS and fmt in ("svg", "png"):
        body = gap_chart(session, actor, name, as_of=on, policy=policy)
        media = "image/svg+xml" if fmt == "svg" else "image/png"
    else:
        return error_page(request, actor, 404, "No such download", f"There is no file {name}.")
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{on.isoformat()}-{name}"'},
    )
