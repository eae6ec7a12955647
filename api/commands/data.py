"""`familyfinder import`, `export` and `summary`: getting an authority in and out."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from api.commands.common import (
    display_url,
    open_session,
    parse_date,
    reporting_errors,
    state,
    stderr_is_terminal,
)

# The services (and numpy, SQLAlchemy...) load when a command runs, not for `--help`.
if TYPE_CHECKING:
    from api.services.imports import ImportSummary, ProgressCallback
    from api.services.summary import AuthorityCounts

# Below this many bytes an import takes about a second: no bar, just the summary.
PROGRESS_MIN_BYTES = 1_000_000

DirArgument = Annotated[
    Path,
    typer.Argument(
        help="Directory holding children.csv and optionally households.csv (or the carer "
        "register households.xlsx) and sibling_links.csv; with --format ssda903 the "
        "return's CSV files; with --format placements referrals.csv or referrals.json",
        file_okay=False,
    ),
]
ExportDirArgument = Annotated[
    Path,
    typer.Argument(help="Directory to write the files to (created if missing)", file_okay=False),
]
FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="csv (familyfinder's files), ssda903 (the DfE children-looked-after return, "
        "with --plans) or placements (SocialCareData placements standard v2 referrals)",
    ),
]
ModeOption = Annotated[
    str,
    typer.Option(
        "--mode",
        help="upsert: add and update records; snapshot: also retire the records the files "
        "no longer hold (kept for the audit, out of matching) and remove absent links",
    ),
]
PlansOption = Annotated[
    Path | None,
    typer.Option(
        "--plans",
        help="With --format ssda903: permanence plans, a CSV of CHILD, plan, plan_date, "
        "status or an Ofsted Annex A list 8 export (see docs/ssda903.md)",
        dir_okay=False,
    ),
]
YesOption = Annotated[
    bool,
    typer.Option(
        "--yes",
        help="Let a snapshot retire more than FAMILYFINDER_SNAPSHOT_RETIRE_SHARE of the records",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Reference date for ages and unborn children, YYYY-MM-DD (default: today)",
        show_default=False,
    ),
]


@contextmanager
def _progress_bar(directory: Path) -> Iterator[ProgressCallback | None]:
    """A rich progress bar on stderr for large files when stderr is a terminal."""
    from api.services.imports import input_files

    files = input_files(directory) if directory.is_dir() else {}
    if not stderr_is_terminal() or sum(p.stat().st_size for p in files.values()) < (
        PROGRESS_MIN_BYTES
    ):
        yield None
        return
    # read_authority reports (file name, bytes read so far): the file sizes are the totals.
    totals = {name: path.stat().st_size for name, path in files.items()}
    with Progress(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def report(name: str, bytes_read: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=totals.get(name))
            bar.update(tasks[name], completed=bytes_read)

        yield report


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for one bulk import.

    An import allocates millions of small acyclic objects, and the collector would scan
    them again and again (measured: a third of the time of a 100,000-child import).
    Reference counting still frees everything; the command's process ends soon after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_command(
    ctx: typer.Context,
    directory: DirArgument,
    as_of: AsOfOption = None,
    format: FormatOption = "csv",
    plans: PlansOption = None,
    mode: ModeOption = "upsert",
    yes: YesOption = False,
) -> None:
    """Validate an authority's files and save them in one transaction.

    Every problem is reported as FILE:LINE: COLUMN: reason and nothing is written if
    there is any. A practice contradiction (sibling assessments that disagree, a
    together group with different plans) is imported and reported as FILE:LINE:
    warning: ... on stderr. Records whose id is already stored are updated.
    """
    from api.services.imports import import_directory

    reference = parse_date(as_of)
    settings = state(ctx).settings
    if plans is not None and format != "ssda903":
        raise typer.BadParameter("--plans goes with --format ssda903", param_hint="--plans")
    with (
        reporting_errors(),
        open_session(ctx) as session,
        _progress_bar(directory) as progress,
        _without_cyclic_gc(),
    ):
        summary = import_directory(
            session,
            directory,
            as_of=reference,
            progress=progress,
            max_upload_bytes=settings.max_upload_bytes,
            format=format,
            mode=mode,
            plans=plans,
            yes=yes,
            retire_share=settings.snapshot_retire_share,
        )
    for line in render_import(summary):
        typer.echo(line)
    for notice in summary.warnings:
        typer.echo(str(notice), err=True)


def render_import(summary: ImportSummary) -> list[str]:
    """The import's summary as the CLI prints it (warnings go to stderr apart)."""
    c = summary.counts
    mode = "" if summary.mode == "upsert" else f", {summary.mode}"
    from matching.phrases import long_date

    as_of = long_date(summary.as_of)
    lines = [f"imported {summary.directory} ({summary.format}{mode}, as of {as_of})"]
    for name, encoding in summary.encodings.items():
        lines.append(f"  read {name} as {encoding}")
    lines.append(f"  {'':<14}{'inserted':>10}{'updated':>10}{'retired':>10}")
    lines.append(
        f"  {'children':<14}{c.children_inserted:>10}{c.children_updated:>10}"
        f"{c.children_retired:>10}"
    )
    lines.append(
        f"  {'households':<14}{c.households_inserted:>10}{c.households_updated:>10}"
        f"{c.households_retired:>10}"
    )
    lines.append(
        f"  {'sibling links':<14}{c.links_inserted:>10}{c.links_updated:>10}{c.links_removed:>10}"
    )
    if summary.retired.children or summary.retired.households:
        retired = [*summary.retired.children, *summary.retired.households]
        shown = ", ".join(retired[:20]) + (" ..." if len(retired) > 20 else "")
        lines.append(f"  retired (kept for the audit, out of matching): {shown}")
    for reason, count in summary.left_out.items():
        lines.append(f"  left out: {count} {reason}")
    if summary.needs_plan:
        shown = ", ".join(summary.needs_plan[:20]) + (
            " ..." if len(summary.needs_plan) > 20 else ""
        )
        lines.append(
            f"  needs a permanence plan recorded: {len(summary.needs_plan)} children ({shown})"
        )
    for field_name in summary.unmapped:
        lines.append(f"  not mapped: {field_name}")
    for note in summary.notes:
        lines.append(f"  {note}")
    if summary.warnings:
        lines.append(
            f"  warnings: {len(summary.warnings)} practice contradictions imported as "
            "recorded (listed on stderr and on the children's records)"
        )
    lines.append(f"  fingerprint {summary.inputs_fingerprint}")
    return lines


def export_command(
    ctx: typer.Context,
    directory: ExportDirArgument,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="csv: children.csv, households.csv and sibling_links.csv; placements: agreed "
            "proposals as the placements standard's ActualPlacement records",
        ),
    ] = "csv",
) -> None:
    """Write everything stored as children.csv, households.csv and sibling_links.csv, or
    (--format placements) the agreed placements as actual_placements.csv."""
    from api.services.exports import export_directory, export_placements

    if format not in ("csv", "placements"):
        raise typer.BadParameter("use csv or placements", param_hint="--format")
    if format == "placements":
        with reporting_errors(), open_session(ctx) as session:
            placements = export_placements(session, directory)
        typer.echo(f"exported {placements.records} agreed placements to {placements.path}")
        for reason in placements.left_out:
            typer.echo(f"  not exported: {reason}")
        return
    with reporting_errors(), open_session(ctx) as session:
        summary = export_directory(session, directory)
    typer.echo(
        f"exported {summary.children} children, {summary.households} households and "
        f"{summary.links} sibling links to {directory}"
    )


def _by(counts: dict[str, int], vocabulary: str) -> str:
    from matching.labels import label

    return ", ".join(f"{label(vocabulary, key)} {n}" for key, n in counts.items()) or "-"


def render_summary(counts: AuthorityCounts) -> list[str]:
    """The stored counts, each code in words (matching.labels)."""
    return [
        f"children: {counts.children}",
        f"  by plan:       {_by(counts.children_by_plan, 'plan')}",
        f"  by status:     {_by(counts.children_by_status, 'child_status')}",
        f"households: {counts.households} "
        f"({counts.available_vacancies} vacancies in available households)",
        f"  by kind:       {_by(counts.households_by_kind, 'household_kind')}",
        f"  by status:     {_by(counts.households_by_status, 'household_status')}",
        f"sibling links: {counts.links}",
        f"  by assessment: {_by(counts.links_by_assessment, 'assessment')}",
        f"imports: {counts.imports}",
    ]


def summary_command(ctx: typer.Context) -> None:
    """Count what is stored: children by plan and status, households by kind and status."""
    from api.services.summary import authority_summary

    with reporting_errors(), open_session(ctx) as session:
        counts = authority_summary(session)
    typer.echo(f"database: {display_url(state(ctx).settings.database_url)}")
    for line in render_summary(counts):
        typer.echo(line)


def template_command(
    path: Annotated[
        Path,
        typer.Argument(help="Where to write the carer register template, e.g. households.xlsx"),
    ],
) -> None:
    """Write the carer register template: an XLSX workbook with a sheet of instructions,
    the households sheet (the columns of households.csv, drop-down lists on every coded
    column) and a sheet of every code. Fill it in and import it as households.xlsx."""
    from matching.register_xlsx import template_workbook

    with reporting_errors():
        if path.suffix.lower() != ".xlsx":
            raise typer.BadParameter("the template is an .xlsx workbook", param_hint="PATH")
        partial = path.with_name(f".{path.name}.partial")
        with partial.open("wb") as out:
            template_workbook(out)
        partial.replace(path)
    typer.echo(f"wrote the carer register template to {path}")


def register(app: typer.Typer) -> None:
    app.command("template")(template_command)
    app.command("import")(import_command)
    app.command("export")(export_command)
    app.command("summary")(summary_command)
