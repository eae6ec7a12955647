"""`familyfinder transparency`: the tool's algorithmic transparency record."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from api.commands.common import open_session, reporting_errors, state
from api.commands.matching import PolicyOption, requested_by, resolve_policy


class RecordFormat(StrEnum):
    md = "md"
    html = "html"


def transparency_command(
    ctx: typer.Context,
    format: Annotated[
        RecordFormat, typer.Option("--format", help="md (Markdown) or html (a whole page)")
    ] = RecordFormat.md,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file (default: print)", dir_okay=False),
    ] = None,
    fairness: Annotated[
        Path | None,
        typer.Option(
            "--fairness",
            help="A fairness report as JSON (`familyfinder fairness --json`): its figures "
            "go in the record (default: the report of the database's authority as of "
            "today, or 'not yet computed' when it holds no child)",
            dir_okay=False,
            exists=True,
        ),
    ] = None,
    policy_file: PolicyOption = None,
) -> None:
    """Write the tool's algorithmic transparency record (Markdown or HTML).

    In the shape of the UK Algorithmic Transparency Recording Standard: a tier 1
    summary; tier 2 owner, scope, human oversight, data, every hard
    rule with its source, the criteria and weights of the policy in force, fairness
    figures, risks. Made from the policy and the code's rule table, so it cannot drift.
    The owner comes from FAMILYFINDER_TRANSPARENCY_ORGANISATION, _TEAM and _CONTACT."""
    from api.services.transparency import transparency_record
    from matching.transparency import FairnessSummary, to_html, to_markdown

    with reporting_errors():
        policy = resolve_policy(ctx, policy_file)
        summary = None
        if fairness is not None:
            try:
                summary = FairnessSummary.from_report_json(
                    json.loads(fairness.read_text(encoding="utf-8"))
                )
            except (ValueError, KeyError, TypeError, IndexError) as error:
                typer.echo(f"error: {fairness}: not a fairness report ({error})", err=True)
                raise typer.Exit(1) from None
        if fairness is None:
            from api.services.audit import Actor
            from api.services.transparency import current_record

            # whoever holds the database reads it as an administrator would
            operator = Actor(username=requested_by(), role="admin")
            with open_session(ctx) as session:
                record = current_record(
                    session, operator, state(ctx).settings, policy, as_of=date.today()
                )
        else:
            record = transparency_record(state(ctx).settings, policy, fairness=summary)
        text = to_html(record) if format == RecordFormat.html else to_markdown(record)
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
            typer.echo(f"wrote {output}")


def register(app: typer.Typer) -> None:
    app.command("transparency")(transparency_command)
