"""The recruitment team's page: the needs-gap report, suppressed, with no child-level data.

Everything shown comes from the published view of the report
(`matching.results.GapDocument`) with small-number suppression always on here, the same
view the downloads carry. The recruitment team sees published reports only (the latest,
or one chosen from the list), rounded; an administrator sees today's report.
"""

from __future__ import annotations

import re
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import ValidationError

from api.deps import DbSession
from api.pages.web import GapsPage, app_policy, error_page, render, today
from api.requests import GapQuery
from api.services.gap_exports import MEDIA_TYPES, export_gaps
from api.services.gaps import (
    GapSchedule,
    gap_chart,
    gap_publications,
    published_gaps,
    sees_any_date,
)
from matching.errors import NotFoundError
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


def _schedule(request: Request) -> GapSchedule:
    schedule: GapSchedule = request.app.state.settings.gap_publication
    return schedule


def _published_on(text: str) -> date | None:
    """The `published` parameter: a publication's date (anything else: the latest)."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/gaps", response_class=HTMLResponse)
def gaps_page(
    request: Request, session: DbSession, actor: GapsPage, add: str = "", published: str = ""
) -> HTMLResponse:
    policy = app_policy(request)
    on = today()
    # recruitment: a publication (the latest, or the one chosen); an admin: today
    chosen = None if sees_any_date(actor) else _published_on(published)
    errors = []
    lines = [line.strip() for line in add.splitlines() if line.strip()]
    try:
        query = GapQuery(as_of=chosen or (on if sees_any_date(actor) else None), add=tuple(lines))
    except ValidationError as error:
        for item in error.errors():
            location = item["loc"]
            if len(location) > 1:  # one what-if line
                text = f"Line {int(location[1]) + 1}: {item['msg']}"
            else:
                text = item["msg"][:1].upper() + item["msg"][1:]
            errors.append({"text": text, "href": "#add"})
        query = GapQuery(as_of=chosen or (on if sees_any_date(actor) else None))
    schedule = _schedule(request)
    try:
        published_gaps_ = published_gaps(
            session, actor, query, policy=policy, schedule=schedule, today=on
        )
    except NotFoundError as error:
        return error_page(request, actor, 404, "No gap report published", str(error))
    document = published_gaps_.document
    publication = published_gaps_.view.publication
    return render(
        request,
        "gaps.html",
        actor,
        status_code=422 if errors else 200,
        title="Needs-gap report",
        data=document,
        publication=publication,
        publications=(gap_publications(session, schedule, policy, today=on) if publication else []),
        download_query=f"?published={publication.as_of.isoformat()}" if publication else "",
        charts={
            name: _inline_svg(published_gaps_.charts[f"{name}.svg"], caption)
            for name, caption in CHARTS.items()
        },
        chart_captions=CHARTS,
        sentences=[_target_sentence(t) for t in document.recruitment_targets],
        add=add,
        errors=errors,
    )


@router.get("/gaps/download/{name}", response_model=None)
def download(
    request: Request, session: DbSession, actor: GapsPage, name: str, published: str = ""
) -> Response:
    policy = app_policy(request)
    on = today()
    as_of = on if sees_any_date(actor) else _published_on(published)
    stem, _, fmt = name.rpartition(".")
    try:
        if stem == "gap-report" and fmt in ("csv", "xlsx", "json"):
            body = export_gaps(
                session,
                actor,
                GapQuery(as_of=as_of, suppress=True),
                policy=policy,
                fmt="csv" if fmt == "csv" else "xlsx" if fmt == "xlsx" else "json",
                schedule=_schedule(request),
                today=on,
            )
            media = MEDIA_TYPES[fmt]
        elif stem in CHARTS and fmt in ("svg", "png"):
            body = gap_chart(
                session,
                actor,
                name,
                policy=policy,
                schedule=_schedule(request),
                today=on,
                as_of=as_of,
            )
            media = "image/svg+xml" if fmt == "svg" else "image/png"
        else:
            return error_page(request, actor, 404, "No such download", f"There is no file {name}.")
    except NotFoundError as error:
        return error_page(request, actor, 404, "No gap report published", str(error))
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{on.isoformat()}-{name}"'},
    )
