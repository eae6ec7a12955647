"""`familyfinder replay`: run a stored shortlist or round again from its kept inputs.

familyfinder replay shortlist RUN_ID [--json]    exit 0 identical, 9 different
familyfinder replay round ROUND_ID [--json]      exit 10: its inputs are not kept
familyfinder replay prune [--dry-run]            delete inputs past the retention
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from api.commands.common import open_session, reporting_errors, state
from api.commands.matching import requested_by
from api.errors import REPLAY_DIFFERS_EXIT_CODE

if TYPE_CHECKING:
    from matching.replay import ReplayDocument

replay_app = typer.Typer(
    help="Run a stored shortlist or round again from the inputs kept with it (the data as "
    "it was, the policy text, the seed) and say whether the result is identical. Exit "
    "codes: 0 identical, 9 different (the differences are printed), 2 no such run, 10 its "
    "inputs are no longer kept (deleted under FAMILYFINDER_REPLAY_RETENTION_DAYS, or "
    "stored before runs kept them) or were altered.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the replay as JSON")]


def render_replay(replay: ReplayDocument) -> None:
    """`identical`, or each difference on a line of its own, then any note."""
    what = f"shortlist run {replay.id}" if replay.kind == "shortlist" else f"round {replay.id}"
    seed = f", seed {replay.seed}" if replay.seed is not None else ""
    typer.echo(
        f"Replay of {what} (stored {replay.stored_at:%Y-%m-%d %H:%M} UTC by "
        f"{replay.requested_by}; data {replay.inputs_fingerprint[:16]}, policy "
        f"{replay.policy_version}{seed})"
    )
    if replay.identical:
        typer.echo("identical")
    else:
        count = len(replay.differences)
        typer.echo(f"different: {count} difference{'s' if count != 1 else ''}")
        for difference in replay.differences:
            typer.echo(f"  - {difference.text}")
    for note in replay.notes:
        typer.echo(f"note: {note}")


def _replay(ctx: typer.Context, kind: str, run_id: int, as_json: bool) -> None:
    from api.services.audit import Actor
    from api.services.replay import replay_run

    # whoever holds the database holds every run: the CLI acts as an administrator
    operator = Actor(username=requested_by(), role="admin")
    with reporting_errors(), open_session(ctx) as session:
        replay = replay_run(session, operator, kind, run_id)
    if as_json:
        typer.echo(json.dumps(replay.as_json(), indent=2, ensure_ascii=False))
    else:
        render_replay(replay)
    if not replay.identical:
        raise typer.Exit(REPLAY_DIFFERS_EXIT_CODE)


@replay_app.command("shortlist")
def replay_shortlist_command(
    ctx: typer.Context,
    run_id: Annotated[
        int, typer.Argument(help="The shortlist's run id (as `shortlist` printed it)")
    ],
    as_json: JsonOption = False,
) -> None:
    """Compute a stored shortlist again from its kept inputs and compare."""
    _replay(ctx, "shortlist", run_id, as_json)


@replay_app.command("round")
def replay_round_command(
    ctx: typer.Context,
    round_id: Annotated[int, typer.Argument(help="The round's id (as `round` printed it)")],
    as_json: JsonOption = False,
) -> None:
    """Run a stored round again from its kept inputs and compare.

    It takes as long as the round did."""
    _replay(ctx, "round", round_id, as_json)


@replay_app.command("prune")
def prune_command(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be deleted; delete nothing")
    ] = False,
) -> None:
    """Delete kept inputs past the retention setting.

    Deletes the data versions that only runs older than FAMILYFINDER_REPLAY_RETENTION_DAYS
    (default 2557: 7 years) refer to. The runs and their results stay; the inputs of a
    run a proposal was made from are kept. Schedule it (cron, a systemd timer) daily."""
    from api.services.run_inputs import prune_expired_inputs

    days = state(ctx).settings.replay_retention_days
    with reporting_errors(), open_session(ctx) as session:
        report = prune_expired_inputs(session, retention_days=days, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    typer.echo(
        f"{verb} the kept inputs of {len(report.pruned)} data "
        f"version{'s' if len(report.pruned) != 1 else ''} ({report.bytes_freed:,} bytes) "
        f"used only by runs before {report.cutoff:%Y-%m-%d} (retention {days} days)"
    )
    for item in report.pruned:
        typer.echo(f"  {item.key[:16]}  kept since {item.created_at:%Y-%m-%d}")


def register(app: typer.Typer) -> None:
    app.add_typer(replay_app, name="replay")
