"""`familyfinder db upgrade|downgrade|current`: the schema, made only by migrations.

On PostgreSQL, run `db upgrade` as the role that owns the schema (a superuser or a
member of familyfinder_audit), never as the service's own role: see SECURITY.md.
"""

from __future__ import annotations

from typing import Annotated

import typer

from api.commands.common import check_database_url, display_url, reporting_errors, state

db_app = typer.Typer(help="Database schema migrations (Alembic).", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Bring the database schema up to REVISION (default: the latest).

    On PostgreSQL run it as the schema's owner (see SECURITY.md), not the service's role."""
    from models.migrate import upgrade

    url = state(ctx).settings.database_url
    check_database_url(url)
    with reporting_errors():
        upgrade(url, revision)
    typer.echo(f"{display_url(url)} is at revision {revision}")


@db_app.command("downgrade")
def downgrade_command(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision; 'base' drops every table")],
) -> None:
    """Take the database schema down to REVISION (data in dropped tables is lost)."""
    from models.migrate import downgrade

    url = state(ctx).settings.database_url
    check_database_url(url)
    with reporting_errors():
        downgrade(url, revision)
    typer.echo(f"{display_url(url)} is at revision {revision}")


@db_app.command("current")
def current_command(ctx: typer.Context) -> None:
    """Show the revision the database is at and the newest one available."""
    from models.db import make_engine
    from models.migrate import current_revision, head_revision

    url = state(ctx).settings.database_url
    check_database_url(url)
    with reporting_errors():
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                revision = current_revision(connection)
        finally:
            engine.dispose()
    typer.echo(f"database: {display_url(url)}")
    typer.echo(f"current:  {revision or 'none (empty database)'}")
    typer.echo(f"head:     {head_revision()}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
