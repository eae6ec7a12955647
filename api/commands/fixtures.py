"""`familyfinder fixtures generate`: write a synthetic authority for demos and tests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.commands.common import parse_date, reporting_errors

fixtures_app = typer.Typer(
    help="Synthetic data (no real person in it) for demos, tests and benchmarks.",
    no_args_is_help=True,
)


@fixtures_app.command("generate")
def generate_command(
    directory: Annotated[Path, typer.Argument(help="Directory to write the CSV files to")],
    children: Annotated[int, typer.Option("--children", min=0, help="Number of children")],
    households: Annotated[int, typer.Option("--households", min=0, help="Number of households")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same files")] = 0,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Reference date, YYYY-MM-DD (default: today)"),
    ] = None,
    ssda903: Annotated[
        bool,
        typer.Option(
            "--ssda903",
            help="Also write its SSDA903 form: DIRECTORY/ssda903/ (the DfE return's files "
            "and sibling_links.csv) and DIRECTORY/ssda903_plans.csv",
        ),
    ] = False,
) -> None:
    """Generate a synthetic authority and write children.csv, households.csv and
    sibling_links.csv to DIRECTORY."""
    from api.services.exports import generate_fixtures

    reference = parse_date(as_of)
    with reporting_errors():
        summary = generate_fixtures(
            directory,
            n_children=children,
            n_households=households,
            seed=seed,
            as_of=reference,
            ssda903=ssda903,
        )
    typer.echo(
        f"wrote {summary.children} children, {summary.households} households and "
        f"{summary.links} sibling links to {directory} (seed {seed}, as of {reference})"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(fixtures_app, name="fixtures")
