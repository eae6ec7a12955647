"""`familyfinder users add|list|deactivate|activate`: accounts of the REST service."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from api.commands.common import open_session, reporting_errors
from models.roles import ROLES

users_app = typer.Typer(help="Accounts of the REST service.", no_args_is_help=True)
UsernameArgument = Annotated[str, typer.Argument(help="Login name")]


@users_app.command("add")
def add_command(
    ctx: typer.Context,
    username: UsernameArgument,
    role: Annotated[str, typer.Option(help="One of: " + ", ".join(ROLES))],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create a user; the password is prompted for (twice) unless --password-stdin.

    A password is at least 12 characters and not a common or easily guessed one."""
    from api.services.users import create_user

    if role not in ROLES:
        raise typer.BadParameter(f"{role!r} is not one of {', '.join(ROLES)}", param_hint="--role")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with reporting_errors(), open_session(ctx) as session:
        user = create_user(session, username, password, role)
    typer.echo(f"created user {user.username} ({user.role})")


@users_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Show every user with its role."""
    from api.services.users import all_users

    with reporting_errors(), open_session(ctx) as session:
        users = all_users(session)
    for user in users:
        typer.echo(f"{user.username:<24} {user.role:<14} {'active' if user.active else 'disabled'}")


@users_app.command("deactivate")
def deactivate_command(ctx: typer.Context, username: UsernameArgument) -> None:
    """Disable an account and end every session it has (its tokens and page sign-ins
    stop working at once)."""
    from api.services.users import set_active

    with reporting_errors(), open_session(ctx) as session:
        user, ended = set_active(session, username, False)
    typer.echo(f"deactivated {user.username}; ended {ended} session" + ("s" if ended != 1 else ""))


@users_app.command("activate")
def activate_command(ctx: typer.Context, username: UsernameArgument) -> None:
    """Enable a deactivated account again (it must sign in afresh)."""
    from api.services.users import set_active

    with reporting_errors(), open_session(ctx) as session:
        user, _ended = set_active(session, username, True)
    typer.echo(f"activated {user.username}")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
