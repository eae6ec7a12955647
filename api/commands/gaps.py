"""`familyfinder gaps`: which carers the authority lacks, for the recruitment team."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.commands.common import (
    ReportAsOfOption,
    ReportJsonOption,
    open_session,
    parse_date,
    reporting_errors,
)
from api.commands.matching import resolve_policy
from api.limits import MAX_WHAT_IF_SPECS

if TYPE_CHECKING:
    from api.requests import GapQuery
    from matching.gaps import GapReport
    from matching.results import GapDocument

ADD_HELP = (
    f"A what-if household profile, repeatable (at most {MAX_WHAT_IF_SPECS}): "
    "comma-separated key=value pairs. "
    "kind (required: foster, adopter, ffa or residential); term (short, long or both; "
    "foster only, and required for it); ages=MIN-MAX (required, whole years 0-17); "
    "places (1-10, default 1: approved places, largest sibling group and vacancies); "
    "skills (;-separated need or skill codes, also considered at the complex level); "
    "count (1-1000, default 1); near=LAT:LON and radius (km, default 25) to place them, "
    "else at the centre of the pool. Example: "
    "--add 'kind=foster,term=long,ages=10-15,places=2,skills=emotional_behavioural,count=3'"
)


def _gap_query(as_of: date, add: list[str], suppress: bool) -> GapQuery:
    """The request, validated as the API and the pages validate it."""
    from pydantic import ValidationError

    try:
        from api.requests import GapQuery

        return GapQuery(as_of=as_of, suppress=suppress, add=tuple(add))
    except ValidationError as error:
        reason = str(error.errors()[0]["msg"])
        raise typer.BadParameter(reason, param_hint="'--add'") from None


def _write_files(
    report: GapReport, csv_file: Path | None, xlsx_file: Path | None, charts: Path | None
) -> list[Path]:
    """Write the requested exports; returns the paths written."""
    from matching.gaps import render_charts, write_csv, write_xlsx

    written: list[Path] = []
    if csv_file is not None:
        with csv_file.open("w", encoding="utf-8", newline="") as out:
            write_csv(report, out)
        written.append(csv_file)
    if xlsx_file is not None:
        with xlsx_file.open("wb") as binary:
            write_xlsx(report, binary)
        written.append(xlsx_file)
    if charts is not None:
        charts.mkdir(parents=True, exist_ok=True)
        for name, data in render_charts(report).items():
            path = charts / name
            path.write_bytes(data)
            written.append(path)
    return written


def render_gaps(document: GapDocument, written: list[Path]) -> None:
    """The published report as a summary and its main tables."""
    # loaded with the report, not for `--help`
    from matching.gaps.words import unit_profile_words

    console = Console(highlight=False, soft_wrap=True)
    shown = "small counts shown as c" if document.suppressed else "NOT suppressed: internal use"
    console.print(
        f"Gap report as of {document.as_of.isoformat()} (policy {document.policy_version}, {shown})"
    )
    exact = "" if document.placeable_exact else " (best found; not proven the most)"
    console.print(
        f"children waiting: {document.children_waiting} in {document.units_waiting} units; "
        f"placeable by today's pool: {document.children_placeable}{exact}; "
        f"unplaceable: {document.children_unplaceable} in {document.units_unplaceable} units"
    )
    rows = [r for r in document.by_profile if r.units_unplaceable != 0]
    if rows:
        table = Table(title="Unplaceable by profile")
        table.add_column("profile")
        table.add_column("waiting", justify="right")
        table.add_column("unplaceable", justify="right")
        table.add_column("feasible households", justify="right")
        for r in rows:
            table.add_row(
                unit_profile_words(r.profile),
                str(r.waiting_children),
                str(r.children_unplaceable),
                str(r.feasible_households),
            )
        console.print(table)
    if document.recruitment_targets:
        table = Table(title="Recruitment targets")
        table.add_column("household profile")
        table.add_column("households", justify="right")
        table.add_column("children placed", justify="right")
        table.add_column("verified", justify="center")
        for t in document.recruitment_targets:
            table.add_row(
                t.profile.label,
                str(t.households_needed),
                str(t.children_placed),
                "yes" if t.verified else "no",
            )
        console.print(table)
        console.print(
            f"with these households: {document.children_placeable_with_targets} children placeable"
        )
    what_if = document.what_if
    if what_if is not None:
        console.print(
            f"what if {what_if.households_added} households were added "
            f"({' | '.join(what_if.added)}): {what_if.children_placeable} children "
            "placeable"
        )
    for note in document.notes:
        console.print(f"note: {note}")
    for path in written:
        console.print(f"wrote {path}")


def gaps_command(
    ctx: typer.Context,
    as_of: ReportAsOfOption = None,
    as_json: ReportJsonOption = False,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv", metavar="FILE", help="Write every table to one CSV file", dir_okay=False
        ),
    ] = None,
    xlsx_file: Annotated[
        Path | None,
        typer.Option(
            "--xlsx", metavar="FILE", help="Write a workbook, one sheet per table", dir_okay=False
        ),
    ] = None,
    charts: Annotated[
        Path | None,
        typer.Option(
            "--charts", metavar="DIR", help="Write the charts (PNG and SVG) here", file_okay=False
        ),
    ] = None,
    add: Annotated[
        list[str] | None, typer.Option("--add", metavar="SPEC", help=ADD_HELP, show_default=False)
    ] = None,
    no_suppress: Annotated[
        bool,
        typer.Option(
            "--no-suppress",
            help="Show exact small counts (1-5) instead of c: for internal use only, "
            "never for publication",
        ),
    ] = False,
    publish: Annotated[
        bool,
        typer.Option(
            "--publish",
            help="Publish the report as of --as-of for the recruitment team (suppressed, "
            "rounded to the nearest 10, stored for good: one report per date), then print "
            "what they will see",
        ),
    ] = False,
) -> None:
    """Report which children today's pool cannot place and which carers would place them.

    Children are counted by coarse profile (age band, group size, need level, key needs,
    plan); counts from 1 to 5 are shown as c, with enough other cells hidden that none
    can be worked back. No output names a child. The policy comes from
    FAMILYFINDER_POLICY_FILE when set. The recruitment team reads published reports
    only (see --publish and FAMILYFINDER_GAP_PUBLICATION); this command, for whoever
    holds the database, shows any date.
    """
    from api.services.gaps import gap_report_for

    if publish:
        _publish(ctx, as_of, as_json=as_json, refused=bool(add or no_suppress))
        return
    query = _gap_query(parse_date(as_of), add or [], not no_suppress)
    with reporting_errors():
        policy = resolve_policy(ctx, None)
        with open_session(ctx) as session:
            report = gap_report_for(
                session,
                as_of=query.as_of or date.today(),
                policy=policy,
                add=query.specs(),
                suppress=query.suppress,
            )
        written = _write_files(report, csv_file, xlsx_file, charts)
    from matching.results import GapDocument

    document = GapDocument.from_report(report)
    if as_json:
        typer.echo(json.dumps(document.as_json(), indent=2, ensure_ascii=False))
    else:
        render_gaps(document, written)


def _publish(ctx: typer.Context, as_of: str | None, *, as_json: bool, refused: bool) -> None:
    """`--publish`: store the recruitment team's report as of the date and show it."""
    if refused:
        raise typer.BadParameter(
            "a published report has no what-if households and is always suppressed",
            param_hint="'--publish'",
        )
    from api.commands.matching import requested_by
    from api.services.gaps import publish_gap_report

    on = parse_date(as_of)
    with reporting_errors():
        policy = resolve_policy(ctx, None)
        with open_session(ctx) as session:
            published = publish_gap_report(session, requested_by(), as_of=on, policy=policy)
    if as_json:
        typer.echo(json.dumps(published.document.as_json(), indent=2, ensure_ascii=False))
        return
    render_gaps(published.document, [])
    typer.echo(
        f"published gap report {published.id} as of {on.isoformat()} for the recruitment team"
    )


def register(app: typer.Typer) -> None:
    app.command("gaps")(gaps_command)
