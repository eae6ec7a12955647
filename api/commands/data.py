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
    from api.services.imports import ProgressCallback
    from api.services.summary import AuthorityCounts

# Below this many bytes an import takes about a second: no bar, just the summary.
PROGRESS_MIN_BYTES = 1_000_000

DirArgument = Annotated[
    Path,
    typer.Argument(
        help="Directory holding children.csv, households.csv and optionally sibling_links.csv",
        file_okay=False,
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


def import_command(ctx: typer.Context, directory: DirArgument, as_of: AsOfOption = None) -> None:
    """Validate an authority's CSV files and save them in one transaction.

    Every problem is reported as FILE:LINE: COLUMN: reason and nothing is written if
    there is any. Records whose id is already stored are updated.
    """
    from api.services.imports import import_directory

    reference = parse_date(as_of)
    settings = state(ctx).settings
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
        )
    c = summary.counts
    typer.echo(f"imported {directory} (as of {reference.isoformat()})")
    typer.echo(f"  {'':<14}{'inserted':>10}{'updated':>10}")
    typer.echo(f"  {'children':<14}{c.children_inserted:>10}{c.children_updated:>10}")
    typer.echo(f"  {'households':<14}{c.households_inserted:>10}{c.households_updated:>10}")
    typer.echo(f"  {'sibling links':<14}{c.links_inserted:>10}{c.links_updated:>10}")
    typer.echo(f"  fingerprint {summary.inputs_fingerprint}")


def export_command(ctx: typer.Context, directory: DirArgument) -> None:
    """Write everything stored as children.csv, households.csv and sibling_links.csv."""
    from api.services.exports import export_directory

    with reporting_errors(), open_session(ctx) as session:
        summary = export_directory(session, directory)
    typer.echo(
        f"exported {summary.children} children, {summary.households} households and "
        f"{summary.links} sibling links to {directory}"
    )


def _by(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {n}" for key, n in counts.items()) or "-"


def render_summary(counts: AuthorityCounts) -> list[str]:
    return [
        f"children: {counts.children}",
        f"  by plan:       {_by(counts.children_by_plan)}",
        f"  by status:     {_by(counts.children_by_status)}",
        f"households: {counts.households} "
        f"({counts.available_vacancies} vacancies in available households)",
        f"  by kind:       {_by(counts.households_by_kind)}",
        f"  by status:     {_by(counts.households_by_status)}",
        f"sibling links: {counts.links}",
        f"  by assessment: {_by(counts.links_by_assessment)}",
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


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("export")(export_command)
    app.command("summary")(summary_command)
