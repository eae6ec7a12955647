"""The recruitment team's page: the needs-gap report, suppressed, with no child-level data.

Everything shown comes from the published view of the report
(`matching.results.GapDocument`) with small-number suppression always on here, the same
view the downloads carry. The recruitment team sees published reports only (the latest,
or one chosen from the list), rounded; an administrator sees today's report.

The page reads top down: a what-if answer (when asked), the contents, then the headline,
the recruitment targets, the charts, the tables (each one click away), the what-if form
(drop-downs and checkboxes, each field checked with its own message), downloads and
notes. Words come from `matching.gaps.words` (no code, no coordinates); the charts are
bars drawn by `api.pages.drawings.bar_rows`, their labels page text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from api.deps import DbSession
from api.pages.drawings import bar_rows
from api.pages.web import GapsPage, app_policy, error_page, render, templates, today
from api.requests import WHAT_IF_KINDS, WHAT_IF_MAX_PLACES, WHAT_IF_TERMS, GapQuery, WhatIfForm
from api.services.gap_exports import MEDIA_TYPES, GapFormat, export_gaps
from api.services.gaps import (
    GapSchedule,
    LruCache,
    gap_chart,
    gap_publications,
    published_gaps,
    sees_any_date,
)
from matching.errors import NotFoundError
from matching.gaps.words import (
    cell_words,
    household_profile_words,
    target_sentence,
    target_words,
    unit_profile_words,
    what_if_words,
)
from matching.labels import household_kind, label
from matching.results import Cell, GapDocument
from matching.vocab import MAX_CHILD_AGE, SKILL_CODES

router = APIRouter(include_in_schema=False)

CHARTS = {
    "demand_vs_supply": "Demand against supply, by profile",
    "unplaceable_by_profile": "Children no allocation of today's pool can place, by profile",
    "recruitment_targets": "Recruitment targets",
}
# The downloads by file name: the spreadsheet, the tables (one CSV per table, zipped,
# so each opens in a spreadsheet), the machines' one-stream CSV and the JSON.
DOWNLOADS: dict[str, GapFormat] = {
    "gap-report.xlsx": "xlsx",
    "gap-report-tables.zip": "csv_tables",
    "gap-report.csv": "csv",
    "gap-report.json": "json",
}
# The charts on the page show the largest profiles and targets; the tables hold them all.
CHART_ROWS = 12
# The targets shown as a list; the rest behind "smaller targets".
TARGETS_SHOWN = 8
SECTIONS = (
    ("headline", "Headline"),
    ("targets", "Recruitment targets"),
    ("charts", "Charts"),
    ("tables", "Tables"),
    ("what-if", "What if we recruited more carers"),
    ("downloads", "Downloads"),
    ("about", "About these figures"),
)


def _schedule(request: Request) -> GapSchedule:
    schedule: GapSchedule = request.app.state.settings.gap_publication
    return schedule


def _published_on(text: str) -> date | None:
    """The `published` parameter: a publication's date (anything else: the latest)."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _numeric(value: Cell | None) -> float:
    return float(value) if isinstance(value, int) else 0.0


def _charts(document: GapDocument) -> list[dict[str, Any]]:
    """The page's three charts: a title, a legend, the rows drawn (largest first)."""
    profiles = sorted(document.by_profile, key=lambda r: -_numeric(r.waiting_children))
    profiles = profiles[:CHART_ROWS]
    demand_series = ("Placed by the best allocation", "Cannot be placed")
    # a bar for a hidden count ("c") would be empty: those rows are left to the tables
    left_all = [r for r in document.by_profile if _numeric(r.children_unplaceable) > 0]
    left = sorted(left_all, key=lambda r: -_numeric(r.children_unplaceable))[:CHART_ROWS]
    targets_all = [t for t in document.recruitment_targets if _numeric(t.children_placed) > 0]
    targets = targets_all[:CHART_ROWS]
    return [
        {
            "name": "demand_vs_supply",
            "title": CHARTS["demand_vs_supply"],
            "summary": (
                "Each bar is the children of one profile who are waiting: the part the best "
                "allocation of today's carers places (the profile's share of what the pool "
                "can actually do, each vacancy counted once), then the part no allocation "
                "can place."
            ),
            "series": demand_series,
            "rows": bar_rows(
                [
                    (
                        unit_profile_words(r.profile),
                        (r.children_placed, r.children_unplaceable),
                    )
                    for r in profiles
                ],
                demand_series,
                stacked=True,
            ),
            "shown": len(profiles),
            "of": len(document.by_profile),
        },
        {
            "name": "unplaceable_by_profile",
            "title": CHARTS["unplaceable_by_profile"],
            "summary": (
                "The children no allocation of today's carers can place, by profile. "
                "Profiles with a small number (c) are not drawn: they are in the tables."
            ),
            "series": ("Children who cannot be placed",),
            "rows": bar_rows(
                [(unit_profile_words(r.profile), (r.children_unplaceable,)) for r in left],
                ("Children who cannot be placed",),
            ),
            "shown": len(left),
            "of": len(left_all),
        },
        {
            "name": "recruitment_targets",
            "title": CHARTS["recruitment_targets"],
            "summary": (
                "The children each recruitment target would place, checked by running the "
                "rules again with the households added. Targets placing a small number (c) "
                "are not drawn: they are in the list above."
            ),
            "series": ("Children they would place",),
            "rows": bar_rows(
                [(target_words(t.profile), (t.children_placed,)) for t in targets],
                ("Children they would place",),
            ),
            "shown": len(targets),
            "of": len(targets_all),
        },
    ]


def _second(pair: tuple[str, str]) -> str:
    return pair[1]


def _items(choices: list[tuple[str, str]], chosen: str, prompt: str) -> list[dict[str, Any]]:
    """A drop-down's options, `prompt` first (an empty choice), `chosen` selected."""
    return [{"value": "", "text": prompt}] + [
        {"value": value, "text": text, "selected": value == chosen} for value, text in choices
    ]


def _select_fields(form: WhatIfForm) -> list[dict[str, Any]]:
    """The what-if form's drop-downs, in the order a person fills them in."""
    ages = [(str(a), str(a)) for a in range(MAX_CHILD_AGE + 1)]
    return [
        {
            "name": "kind",
            "label": "Kind of household",
            "hint": "",
            "options": _items(
                [(k, household_kind(k)) for k in WHAT_IF_KINDS], form.kind, "Choose a kind"
            ),
        },
        {
            "name": "term",
            "label": "Fostering term (foster carers only)",
            "hint": "Leave as it is for other kinds of household.",
            "options": _items(
                [(t, label("foster_term", t)) for t in WHAT_IF_TERMS], form.term, "Not fostering"
            ),
        },
        {
            "name": "min_age",
            "label": "Youngest age they would be approved for",
            "hint": "",
            "options": _items(ages, form.min_age, "Choose an age"),
        },
        {
            "name": "max_age",
            "label": "Oldest age they would be approved for",
            "hint": "",
            "options": _items(ages, form.max_age, "Choose an age"),
        },
        {
            "name": "places",
            "label": "Children each household could take",
            "hint": "Brothers and sisters placed together count one place each.",
            "options": [
                {"value": str(n), "text": str(n), "selected": str(n) == form.places}
                for n in range(1, WHAT_IF_MAX_PLACES + 1)
            ],
        },
    ]


def _what_if_form(params: Mapping[str, Any], skills: list[str]) -> WhatIfForm:
    return WhatIfForm(
        kind=str(params.get("kind", "")),
        term=str(params.get("term", "")),
        min_age=str(params.get("min_age", "")),
        max_age=str(params.get("max_age", "")),
        places=str(params.get("places", "1")),
        count=str(params.get("count", "1")),
        skills=tuple(skills),
    )


@router.get("/gaps", response_class=HTMLResponse)
def gaps_page(
    request: Request,
    session: DbSession,
    actor: GapsPage,
    published: str = "",
    whatif: str = "",
    skills: Annotated[list[str], Query(max_length=64)] = [],  # noqa: B006 - FastAPI's default
) -> HTMLResponse:
    policy = app_policy(request)
    on = today()
    # recruitment: a publication (the latest, or the one chosen); an admin: today
    chosen = None if sees_any_date(actor) else _published_on(published)
    as_of = chosen or (on if sees_any_date(actor) else None)
    form = _what_if_form(request.query_params, skills)
    problems = form.problems() if whatif else {}
    asked = bool(whatif) and not problems
    query = GapQuery(as_of=as_of, add=(form.spec_text(),) if asked else ())
    schedule = _schedule(request)
    try:
        published_gaps_ = published_gaps(
            session, actor, query, policy=policy, schedule=schedule, today=on
        )
    except NotFoundError as error:
        return error_page(request, actor, 404, "No gap report published", str(error))
    document = published_gaps_.document
    publication = published_gaps_.publication
    download_query = f"?published={publication.as_of.isoformat()}" if publication else ""
    report = {
        "data": document,
        "publication": publication,
        "download_query": download_query,
        "charts": lambda: _charts(document),
        "targets": [
            target_sentence(t.profile, t.households_needed, t.households_band, t.children_placed)
            for t in document.recruitment_targets
        ],
        "targets_shown": TARGETS_SHOWN,
        "profile_words": unit_profile_words,
        "household_words": household_profile_words,
        "cell_words": cell_words,
    }
    key = published_gaps_.key
    form_context = {
        "form": form,
        "select_fields": _select_fields(form),
        "skill_items": [
            {"value": code, "text": text, "checked": code in form.skills}
            for code, text in sorted(((c, label("skill", c)) for c in SKILL_CODES), key=_second)
        ],
        "field_errors": problems,
    }
    return render(
        request,
        "gaps.html",
        actor,
        status_code=422 if problems else 200,
        title="Needs-gap report",
        data=document,
        publication=publication,
        publications=gap_publications(session, schedule, policy, today=on) if publication else [],
        sections=SECTIONS,
        cell_words=cell_words,
        what_if_words=what_if_words(query.specs()[0]) if asked else "",
        # the report's parts are the same for one report: rendered once (see `_fragment`)
        report_html=_fragment("_gaps_report.html", key, report),
        end_html=_fragment("_gaps_end.html", key, report),
        # the form is the same whenever nothing was asked (the page as it first opens)
        form_html=_fragment("_gaps_form.html", ("empty", download_query), form_context)
        if not whatif
        else _render_fragment("_gaps_form.html", form_context),
        errors=[{"text": text, "href": f"#{field}"} for field, text in problems.items()],
    )


# Rendered parts of the gap page, by template and the report they show. A report's parts
# are the same for one publication (never changed), or for one data fingerprint, set of
# held children, date, policy and suppression (`api.services.gaps.GapView.key`): the
# page's rendering cost (a hundred profiles, thirty targets, three charts) is paid once
# per report, not per view.
_fragments = LruCache(size=16)


def _render_fragment(name: str, context: Mapping[str, Any]) -> Markup:
    values = {k: v() if callable(v) and k in LAZY else v for k, v in context.items()}
    return Markup(templates.get_template(name).render(**values))  # our own template


def _fragment(name: str, key: tuple[str, ...], context: Mapping[str, Any]) -> Markup:
    """`name` rendered with `context`, once per `key` (no key: every time)."""
    if not key:
        return _render_fragment(name, context)
    return _fragments.get((name, *key), lambda: _render_fragment(name, context))


# Context values computed only when a part is rendered (not when it is cached).
LAZY = frozenset({"charts"})


@router.get("/gaps/download/{name}", response_model=None)
def download(
    request: Request, session: DbSession, actor: GapsPage, name: str, published: str = ""
) -> Response:
    policy = app_policy(request)
    on = today()
    as_of = on if sees_any_date(actor) else _published_on(published)
    stem, _, fmt = name.rpartition(".")
    try:
        if name in DOWNLOADS:
            fmt_ = DOWNLOADS[name]
            body = export_gaps(
                session,
                actor,
                GapQuery(as_of=as_of, suppress=True),
                policy=policy,
                fmt=fmt_,
                schedule=_schedule(request),
                today=on,
            )
            media = MEDIA_TYPES[fmt_]
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
