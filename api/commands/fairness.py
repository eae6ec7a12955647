"""`familyfinder fairness`: which groups of waiting children the policy and the pool
serve less well, and how often people went against the system's ranking."""

from __future__ import annotations

import json
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
from api.commands.matching import requested_by, resolve_policy

if TYPE_CHECKING:
    from api.services.fairness import FairnessFigures
    from matching.fairness import FairnessReport


def _value(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def _group_tables(report: FairnessReport, compared: FairnessReport | None) -> list[Table]:
    """One table per dimension: its groups as columns, the figures as rows (with the
    ratio to the other children, and the compared policy's figure after a bar)."""
    from matching import labels
    from matching.fairness import METRIC_KEYS

    tables = []
    dimensions = list(dict.fromkeys(g.dimension for g in report.groups))
    for dimension in dimensions:
        groups = [g for g in report.groups if g.dimension == dimension]
        table = Table(title=labels.label("fairness_dimension", dimension))
        table.add_column("figure")
        for g in groups:
            table.add_column(g.group, justify="right")
        table.add_row("Children waiting", *(str(g.children) for g in groups))
        for key in METRIC_KEYS:
            cells = []
            for g in groups:
                cell = _value(g.metrics[key])
                ratio = g.ratios.get(key)
                if ratio is not None:
                    cell += f" (x{ratio.ratio:.2f})"
                if compared is not None:
                    same = (g.dimension, g.group)
                    other = next(
                        (c for c in compared.groups if (c.dimension, c.group) == same), None
                    )
                    cell += f" | {_value(other.metrics[key]) if other else '-'}"
                cells.append(cell)
            table.add_row(labels.label("fairness_metric", key), *cells)
        tables.append(table)
    return tables


def _flag_lines(report: FairnessReport) -> list[str]:
    from matching import labels

    lines = []
    for f in report.flags:
        drivers = "; ".join(
            f"{labels.label('driver_kind', d.kind).lower()} "
            f"{labels.label('criterion' if d.kind == 'criterion' else 'rule', d.name)}"
            for d in f.drivers[:3]
        )
        lines.append(
            f"FLAG {labels.label('fairness_dimension', f.dimension)}: {f.group}, "
            f"{labels.label('fairness_metric', f.metric).lower()}: ratio {f.ratio:.2f} "
            f"(95% interval {f.interval[0]:.2f} to {f.interval[1]:.2f}); "
            f"drivers: {drivers or 'none found'}"
        )
    return lines


def render(figures: FairnessFigures, written: list[Path]) -> None:
    """The report as a summary, its flags and the figures by group."""
    console = Console(highlight=False, soft_wrap=True)
    report, compared = figures.report, figures.compared
    round_words = (
        f"allocation round {report.round_id}" if report.round_id else "no allocation round yet"
    )
    console.print(
        f"Fairness report as of {report.as_of.isoformat()} (policy {report.policy_version}; "
        f"{report.children_waiting} children waiting; {round_words}; "
        f"flag when the whole {report.confidence:.0%} interval of a ratio is below "
        f"{report.threshold:g}; counts 1 to 5 shown as c)"
    )
    for reported in (report, compared):
        if reported is None:
            continue
        lines = _flag_lines(reported)
        console.print(
            f"policy {reported.policy_version}: {len(lines)} flag{'' if len(lines) == 1 else 's'}"
        )
        for line in lines:
            console.print(line)
    console.print(
        f"recommendations and decisions: {report.decisions}, of which "
        f"{report.departures} went against the system's ranking"
    )
    console.print("(xR: the group's figure is R times the other children's)")
    if compared is not None:
        console.print(f"(after |: the same figure under policy {compared.policy_version})")
    for table in _group_tables(report, compared):
        console.print(table)
    for path in written:
        console.print(f"wrote {path}")


def fairness_command(
    ctx: typer.Context,
    as_of: ReportAsOfOption = None,
    as_json: ReportJsonOption = False,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            metavar="FILE",
            help="Write the figures to a CSV file, one row per group and figure",
            dir_okay=False,
        ),
    ] = None,
    policy_file: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            metavar="FILE",
            help="Scoring policy (TOML); default FAMILYFINDER_POLICY_FILE, else the shipped one",
            dir_okay=False,
        ),
    ] = None,
    compare_file: Annotated[
        Path | None,
        typer.Option(
            "--compare",
            metavar="FILE",
            help="A second policy file: its figures are shown beside the first's, so a "
            "change of weights is judged before it is used",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Show which groups of waiting children the policy and the pool serve less well.

    Children waiting are grouped by ethnicity (DfE major groups), sex, age band,
    disability, sibling group and UASC. For each group: households that could take the
    child, the score of the best one, the share placed by the last allocation round and
    placeable by today's pool, and days waiting against the scorecard thresholds; each
    compared with the other children (a ratio with its 95% interval). A group is flagged
    when the whole interval lies below the policy's threshold (0.8, the four-fifths
    convention), with the scoring criteria and hard rules behind it. Also counts the
    panel recommendations and agency decisions that went against the system's ranking,
    by group. Counts from 1 to 5 are shown as c; no output names a child.
    """
    from api.services.audit import Actor
    from api.services.fairness import fairness_figures
    from matching.fairness import write_csv

    on = parse_date(as_of)
    with reporting_errors():
        policy = resolve_policy(ctx, policy_file)
        compare = resolve_policy(ctx, compare_file) if compare_file is not None else None
        # whoever holds the database reads it as an administrator would
        operator = Actor(username=requested_by(), role="admin")
        with open_session(ctx) as session:
            figures = fairness_figures(
                session, operator, as_of=on, today=on, policy=policy, compare=compare
            )
        written: list[Path] = []
        if csv_file is not None:
            with csv_file.open("w", encoding="utf-8", newline="") as out:
                write_csv(figures.report, out, figures.compared)
            written.append(csv_file)
    if as_json:
        typer.echo(json.dumps(figures.to_json(), indent=2, ensure_ascii=False))
    else:
        render(figures, written)


def register(app: typer.Typer) -> None:
    app.command("fairness")(fairness_command)
