"""`familyfinder serve`: run the REST service (uvicorn), migrating the database first."""

from __future__ import annotations

import errno
import secrets
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.commands.common import (
    check_database_url,
    display_url,
    open_session,
    parse_date,
    reporting_errors,
    state,
)
from api.errors import CONFIGURATION_EXIT_CODE, LISTEN_EXIT_CODE

if TYPE_CHECKING:
    from api.settings import Settings


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, or exit 7 with a message saying why it cannot be.

    Bound before anything else is done, so a busy port is reported at once and never
    after "serving on"; uvicorn then serves on this very socket.
    """
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        typer.echo(f"error: cannot listen on {host}:{port}: {error}", err=True)
        raise typer.Exit(LISTEN_EXIT_CODE) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            typer.echo(
                f"error: port {port} on {host} is already in use (another familyfinder "
                "serve?); stop it or choose another port with --port",
                err=True,
            )
        else:
            typer.echo(f"error: cannot listen on {host}:{port}: {error.strerror}", err=True)
        raise typer.Exit(LISTEN_EXIT_CODE) from None
    return sock


def uvicorn_config(app: Any, *, host: str, port: int, log_level: str = "info") -> Any:
    """How the service is served. uvicorn's own X-Forwarded-For handling is off (by
    default it believes the header from 127.0.0.1, so anyone on the host could pick the
    address the audit trail records): the app decides, from FAMILYFINDER_TRUSTED_PROXIES."""
    import uvicorn

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        server_header=False,
        proxy_headers=False,
    )


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
        Path | None,
        typer.Option(help="Authority directory loaded by --demo", hidden=True),
    ] = None,
    demo_as_of: Annotated[
        str | None, typer.Option(help="Reference date of the --demo import", hidden=True)
    ] = None,
) -> None:
    """Serve the REST API (docs at /docs). Needs FAMILYFINDER_SECRET_KEY (32+ characters)
    unless --demo. Exits 7 when the port is in use."""
    from api.security import secret_key_problem

    settings = state(ctx).settings
    problem = secret_key_problem(settings.secret_key)
    if problem is not None:
        if not demo:
            typer.echo(f"error: {problem}; refusing to start without it", err=True)
            raise typer.Exit(CONFIGURATION_EXIT_CODE)
        # Demo only: tokens signed with a throwaway key lapse when the server stops.
        settings = settings.model_copy(update={"secret_key": secrets.token_urlsafe(48)})
    check_database_url(settings.database_url)
    sock = listening_socket(host, port)
    try:
        _serve(ctx, settings, sock, host, port, demo, demo_dir, demo_as_of)
    finally:
        sock.close()


def _serve(
    ctx: typer.Context,
    settings: Settings,
    sock: socket.socket,
    host: str,
    port: int,
    demo: bool,
    demo_dir: Path | None,
    demo_as_of: str | None,
) -> None:
    import uvicorn

    from api.app import create_app
    from api.services.demo import DEMO_AS_OF, DEMO_DIR, prepare_demo
    from api.services.snapshot import get_snapshot

    with reporting_errors(), open_session(ctx) as session:  # migrates first
        as_of = parse_date(demo_as_of) if demo_as_of else DEMO_AS_OF
        setup = prepare_demo(session, demo_dir or DEMO_DIR, as_of=as_of) if demo else None
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
    server = uvicorn.Server(uvicorn_config(app, host=host, port=port))
    server.run(sockets=[sock])
    if not server.started:
        typer.echo("error: the server did not start (its log is above)", err=True)
        raise typer.Exit(LISTEN_EXIT_CODE)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
