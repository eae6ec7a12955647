"""`familyfinder shortlist` and `familyfinder round`: the family finder's two questions.

`shortlist CHILD_ID` ranks and explains the households for one child's unit; `round`
considers every waiting unit at once, either as shortlists that share the pool fairly or
as one allocation. Both store what they computed (see `familyfinder` services).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from api.commands.common import open_session, parse_date, reporting_errors, state, validated
from api.limits import (
    ROUND_MAX_APPEARANCES,
    ROUND_MAX_PER_UNIT,
    ROUND_MAX_TIME_LIMIT_S,
    SHORTLIST_MAX_TOP,
)
from matching import labels, phrases
from matching.errors import PolicyError

if TYPE_CHECKING:
    from api.services.rounds import Progress
    from matching.policy import Policy
    from matching.results import (
        RoundDocument,
        RoundUnit,
        ScoreContribution,
        ShortlistDocument,
    )
    from matching.round_sentences import CarerProfile

AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Reference date for ages, YYYY-MM-DD (default: today)",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON")]
PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        help="Scoring policy file (TOML) to use instead of the shipped one "
        "(default: FAMILYFINDER_POLICY_FILE, else the shipped policy)",
        dir_okay=False,
        show_default=False,
    ),
]


class RoundMode(StrEnum):
    shortlist = "shortlist"
    allocate = "allocate"


# Rounds expected to take longer than this get a progress display on a terminal.
PROGRESS_MIN_SECONDS = 2.0


def requested_by() -> str:
    """Who is asking: the login name, as stored with every run."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (containers without a passwd entry)
        return "cli"


def resolve_policy(ctx: typer.Context, path: Path | None) -> Policy:
    """The policy from `--policy`, else FAMILYFINDER_POLICY_FILE, else the shipped one.

    A file that cannot be read or does not validate is a PolicyError naming the file
    (and the key at fault).
    """
    from matching.policy import default_policy, load_policy

    path = path if path is not None else state(ctx).settings.policy_file
    if path is None:
        return default_policy()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise PolicyError(f"policy file {path}: {reason}") from None
    try:
        return load_policy(text)
    except PolicyError as error:
        raise PolicyError(f"policy file {path}: {error}") from None


def _console() -> Console:
    # Resolved at call time, so output goes wherever sys.stdout points now.
    return Console(highlight=False, soft_wrap=True)


def _print_json(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _by_rule(counts: dict[str, int]) -> str:
    shown = [f"{labels.label('rule', rule)}: {n}" for rule, n in counts.items() if n]
    return "; ".join(shown) or "none"


# ----------------------------------------------------------------------------- shortlist


def _top_contributions(contributions: Sequence[ScoreContribution], n: int = 3) -> str:
    best = sorted(contributions, key=lambda c: -c.points)[:n]
    return "\n".join(
        f"{labels.label('criterion', c.criterion)} {c.points:.1f} of {c.max_points:.1f}"
        for c in best
    )


def render_shortlist(document: ShortlistDocument, run_id: int) -> None:
    """The shortlist as a readable table, then who was left out and why."""
    console = _console()
    unit = " + ".join(document.unit)
    console.print(
        f"Shortlist for {unit} (as of {phrases.long_date(document.as_of)}, "
        f"policy {document.policy_version}, run {run_id})"
    )
    console.print(
        f"{document.n_feasible} of {phrases.count(document.households_in_pool or 0, 'household')} "
        f"{'passes' if document.n_feasible == 1 else 'pass'} every hard rule; "
        "scores are out of 100; "
        "★ = connected (family and friends) household, ranked first; then households "
        "meeting every need at the child's level, then (long-term plans) approved to 18"
    )
    for warning in document.warnings:
        console.print(f"Warning: {labels.label('warning', warning.code)}. {warning.message}.")
    if document.candidates:
        table = Table(show_lines=True)
        table.add_column("#", justify="right")
        table.add_column("household")
        table.add_column("kin", justify="center")
        table.add_column("score", justify="right")
        table.add_column("top contributions")
        table.add_column("to decide, and questions to ask")
        for c in document.candidates:
            table.add_row(
                str(c.rank),
                f"{c.household_id}\n{c.name}",
                "★" if c.kinship else "",
                f"{c.score:.1f}",
                _top_contributions(c.contributions),
                "\n".join([*(f"Decide: {w.message}" for w in c.warnings), *c.questions]) or "-",
            )
        console.print(table)
    else:
        console.print("No household passes every hard rule.")
    console.print(
        f"Excluded by rule (a household may fail several): {_by_rule(document.excluded_counts)}"
    )
    why = document.why_not
    if why is not None:
        if why.rules:
            failed = phrases.join_words(
                labels.lower(labels.label("rule", rule)) for rule in why.rules
            )
            console.print(f"Why not {why.household_id}: excluded: {failed}")
        else:
            console.print(
                f"Why not {why.household_id}: passes every hard rule; "
                f"ranked {why.rank} with a score of {why.score or 0.0:.1f} out of 100"
            )
    console.print(f"inputs fingerprint {document.inputs_fingerprint}")


def shortlist_command(
    ctx: typer.Context,
    child_id: Annotated[str, typer.Argument(help="The child (their sibling unit is shortlisted)")],
    top: Annotated[
        int, typer.Option("--top", help=f"How many households to list (1-{SHORTLIST_MAX_TOP})")
    ] = 10,
    as_of: AsOfOption = None,
    why_not: Annotated[
        str | None,
        typer.Option(
            "--why-not",
            metavar="HOUSEHOLD_ID",
            help="Also explain this household: the hard rules it fails, or its rank",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
    policy_file: PolicyOption = None,
) -> None:
    """Rank and explain the households for one child and their together-siblings.

    Connected (kinship) households come first, then by score. Every shortlist is stored
    with the data's fingerprint and the policy version.
    """
    from api.requests import ShortlistQuery
    from api.services.shortlists import run_shortlist

    query = validated(
        ShortlistQuery,
        {"top": "--top", "why_not": "--why-not"},
        top=top,
        as_of=parse_date(as_of),
        why_not=why_not,
    )
    with reporting_errors():
        policy = resolve_policy(ctx, policy_file)
        with open_session(ctx) as session:
            run = run_shortlist(
                session,
                child_id,
                as_of=query.as_of or date.today(),
                top=query.top,
                why_not=query.why_not,
                policy=policy,
                requested_by=requested_by(),
            )
    if as_json:
        _print_json(run.result)
    else:
        render_shortlist(run.document, run.run_id)


# ----------------------------------------------------------------------------- round


@contextmanager
def _round_progress(time_limit_s: float) -> Iterator[Progress | None]:
    """A rich progress display on stderr, when stderr is a terminal and the round is long."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from api.commands.common import stderr_is_terminal

    if not stderr_is_terminal() or time_limit_s < PROGRESS_MIN_SECONDS:
        yield None
        return
    with Progress(
        TextColumn("{task.description:<32}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("round", total=1.0)

        def report(stage: str, fraction: float) -> None:
            bar.update(task, description=stage, completed=fraction)

        yield report


def _placement(unit: RoundUnit) -> tuple[str, str, str]:
    households = "\n".join(c.household_id for c in unit.candidates) or "-"
    scores = "\n".join(f"{c.score:.1f}" for c in unit.candidates) or "-"
    # why the household came before others whatever the scores, and what to decide
    notes = "\n".join(
        "; ".join(
            [
                *(
                    text if i == 0 else labels.lower(text)
                    for i, text in enumerate(labels.label("tier", t) for t in c.tiers)
                ),
                *(
                    f"to decide: {labels.lower(labels.label('warning', w.code))}"
                    for w in c.warnings
                ),
            ]
        )
        or "-"
        for c in unit.candidates
    )
    return households, scores, notes


def render_round(
    document: RoundDocument,
    round_id: int,
    carers: Mapping[tuple[str, ...], CarerProfile] | None = None,
) -> None:
    """The round as a summary, a table of units and their households, and the unplaced
    (`carers`: the carers each unplaced unit needs, named in its sentence)."""
    console = _console()
    allocate = document.mode == "allocate"
    console.print(
        f"Round {round_id}: {labels.lower(labels.label('round_mode', document.mode))} "
        f"(as of {phrases.long_date(document.as_of)}, policy {document.policy_version}, "
        f"seed {document.seed})"
    )
    console.print(
        f"{labels.label('solver_status', document.status)}: found by "
        f"{labels.lower(labels.label('solver', document.solver))} in {document.wall_s:.2f} s "
        f"(objective {document.objective:.1f}, bound {document.best_bound:.1f}, "
        f"gap {document.gap:.2%})"
    )
    if allocate:
        console.print(
            f"children placed: {document.children_placed} of {document.children_waiting} "
            f"waiting ({document.units_covered} of {document.units_waiting} units; "
            f"proven: at most {document.coverage_bound} children can be placed)"
        )
    else:
        params = document.params
        console.print(
            f"units with a shortlist: {document.units_covered} of {document.units_waiting} "
            f"(up to {params['per_unit']} households per unit, each household on at most "
            f"{params['max_appearances']} lists)"
        )
    skipped = document.skipped_units
    if skipped.units:
        console.print(
            f"not in the round: {phrases.count(skipped.units, 'unit')} "
            f"({phrases.count(skipped.children, 'child', 'children')}): "
            f"{skipped.units_not_waiting} not waiting, "
            f"{skipped.units_plan_not_family_found} with a plan that is not family-found, "
            f"{skipped.units_held_by_proposals or 0} held by an open proposal"
        )
    table = Table(title="Placements" if allocate else "Shortlists")
    table.add_column("unit (children)")
    table.add_column("priority", justify="right")
    table.add_column("household" if allocate else "households")
    table.add_column("score", justify="right")
    table.add_column("tiers met; to decide")
    for unit in document.placed_units():
        households, scores, notes = _placement(unit)
        table.add_row(" + ".join(unit.children), f"{unit.priority:.2f}", households, scores, notes)
    if table.row_count:
        console.print(table)
    warned = [u for u in document.units if u.warnings] + [
        u for u in document.unplaced if u.warnings
    ]
    if warned:
        decide = Table(title="Warnings: what a person must decide or know")
        decide.add_column("unit (children)")
        decide.add_column("warning")
        for item in warned:
            decide.add_row(
                " + ".join(item.children),
                "\n".join(
                    f"{labels.label('warning', w.code)}: {w.message}." for w in item.warnings
                ),
            )
        console.print(decide)
    if document.unplaced:
        unplaced = Table(title="Without a household")
        unplaced.add_column("unit (children)")
        unplaced.add_column("why")
        # loaded with the round (numpy, pydantic), not for `--help`
        from matching.round_sentences import unplaced_sentence

        for item in document.unplaced:
            why = unplaced_sentence(item, None, (carers or {}).get(item.children))
            unplaced.add_row(" + ".join(item.children), "\n".join([why, *item.reasons]))
        console.print(unplaced)
    if document.sibling_contact:
        far = [c for c in document.sibling_contact if not c.within_km]
        console.print(
            f"siblings placed apart: {phrases.count(len(document.sibling_contact), 'pair')}, "
            f"{len(far)} more than {document.sibling_contact_km:g} km apart"
        )
    console.print(f"inputs fingerprint {document.inputs_fingerprint}")


def round_command(
    ctx: typer.Context,
    mode: Annotated[
        RoundMode,
        typer.Option(
            "--mode",
            help="shortlist: up to K households per unit, each household on at most M "
            "lists; allocate: one household per unit, vacancies respected",
        ),
    ] = RoundMode.allocate,
    per_unit: Annotated[
        int,
        typer.Option(
            "--per-unit",
            metavar="K",
            help=f"Shortlist mode: households per unit (1-{ROUND_MAX_PER_UNIT})",
        ),
    ] = 3,
    max_appearances: Annotated[
        int,
        typer.Option(
            "--max-appearances",
            metavar="M",
            help=f"Shortlist mode: lists a household may appear on (1-{ROUND_MAX_APPEARANCES})",
        ),
    ] = 3,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit",
            metavar="SECONDS",
            help=f"Solver time limit, above 0 and at most {ROUND_MAX_TIME_LIMIT_S:g}",
        ),
    ] = 30.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the solver")] = 0,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    policy_file: PolicyOption = None,
) -> None:
    """Match every waiting unit at once, as shortlists or as one allocation.

    Sibling groups stay together, siblings assessed apart never share a household, and
    a unit left without a household is listed with the reason. The round is stored with
    a round id (the one the API and the pages use); cancelled from there while it runs,
    it stops and the command exits 8.
    """
    from api.requests import RoundRequest

    round_request = validated(
        RoundRequest,
        {
            "per_unit": "--per-unit",
            "max_appearances": "--max-appearances",
            "time_limit_s": "--time-limit",
            "seed": "--seed",
        },
        mode=mode.value,
        as_of=parse_date(as_of),
        per_unit=per_unit,
        max_appearances=max_appearances,
        time_limit_s=time_limit,
        seed=seed,
    )
    from api.services.children import carer_profiles
    from api.services.round_jobs import run_round_now

    with reporting_errors():
        policy = resolve_policy(ctx, policy_file)
        with open_session(ctx) as session, _round_progress(time_limit) as progress:
            # a round of its own, like one started from the service: one id, cancellable
            # from the API or the rounds page while it runs (Ctrl-C cancels it too)
            round_id, document = run_round_now(
                session,
                round_request,
                policy=policy,
                requested_by=requested_by(),
                progress=progress,
            )
            carers = (
                carer_profiles(
                    session,
                    [u.children for u in document.unplaced],
                    policy=policy,
                    as_of=document.as_of,
                )
                if not as_json
                else {}
            )
    if as_json:
        _print_json({**document.as_json(), "round_id": round_id})
    else:
        render_round(document, round_id, carers)


def cancel_round_command(
    round_id: Annotated[int, typer.Argument(help="The round's id (as `round` printed it)")],
    ctx: typer.Context,
) -> None:
    """Cancel a queued or running round, wherever it runs (a server process stops its
    solver at its next heartbeat, within FAMILYFINDER_ROUND_HEARTBEAT_S). Exit 2 for an
    unknown round, 4 for one that has already finished."""
    from api.services.audit import Actor
    from api.services.round_jobs import cancel_round

    # whoever holds the database holds every round: the CLI acts as an administrator
    operator = Actor(username=requested_by(), role="admin")
    with reporting_errors(), open_session(ctx) as session:
        job = cancel_round(session, None, operator, round_id)
    typer.echo(f"round {job.id} cancelled (it was requested by {job.requested_by})")


def register(app: typer.Typer) -> None:
    app.command("shortlist")(shortlist_command)
    app.command("round")(round_command)
    app.command("cancel-round")(cancel_round_command)
