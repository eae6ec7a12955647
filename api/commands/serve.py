"""`familyfinder serve`: run the REST service (uvicorn), migrating the database first."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer

from api.commands.common import display_url, open_session, parse_date, reporting_errors, state
from api.errors import CONFIGURATION_EXIT_CODE
from api.security import secret_key_problem
from api.services.demo import DEMO_AS_OF, DEMO_DIR, prepare_demo
from api.services.snapshot import get_snapshot


def serve_command(
    ctx: typer.Context,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Load the demo authority into an empty database, create one demo user per "
            "role and print their logins; a random secret key is used if none is set.",
        ),
    ] = False,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    demo_dir: Annotated[
        Path, typer.Option(help="Authority directory loaded by --demo", hidden=True)
    ] = DEMO_DIR,
    demo_as_of: Annotated[
        str | None, typer.Option(help="Reference date of the --demo import", hidden=True)
    ] = None,
) -> None:
    """Serve the REST API (docs at /docs). Needs FAMILYFINDER_SECRET_KEY (32+ characters)
    unless --demo."""
    import uvicorn

    from api.app import create_app

    settings = state(ctx).settings
    problem = secret_key_problem(settings.secret_key)
    if problem is not None:
        if not demo:
            typer.echo(f"error: {problem}; refusing to start without it", err=True)
            raise typer.Exit(CONFIGURATION_EXIT_CODE)
        # Demo only: tokens signed with a throwaway key lapse when the server stops.
        settings = settings.model_copy(update={"secret_key": secrets.token_urlsafe(48)})
    with reporting_errors(), open_session(ctx) as session:  # migrates first
        as_of = parse_date(demo_as_of) if demo_as_of else DEMO_AS_OF
        setup = prepare_demo(session, demo_dir, as_of=as_of) if demo else None
        app = create_app(settings)
        # Load the pool once now, so the first shortlist does not wait for it.
        get_snapshot(session, app.state.policy)
    typer.echo(f"database: {display_url(settings.database_url)}")
    if setup is not None:
        loaded = "imported" if setup.imported else "already loaded"
        typer.echo(f"demo data {loaded}: {setup.children} children, {setup.households} households")
        typer.echo("demo logins (username / password, role):")
        for username, role, password in setup.logins:
            typer.echo(f"  {username:<10} {password:<22} {role}")
    typer.echo(f"serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
