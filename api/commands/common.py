"""What every CLI command shares: settings, a session, dates, and error reporting.

A command is thin: parse its arguments, open a session with `open_session`, call one
service inside `reporting_errors()`, and print the result.

Nothing heavy is imported at module level (SQLAlchemy, pydantic, the services): Typer
imports every command module to build `familyfinder --help`, which should answer at
once; a command loads what it needs when it runs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from api.errors import (
    CANCELLED_EXIT_CODE,
    CONFIGURATION_EXIT_CODE,
    DATABASE_EXIT_CODE,
    error_lines,
    exit_code,
)
from matching.errors import Cancelled, FamilyFinderError

if TYPE_CHECKING:
    import pydantic
    from sqlalchemy.orm import Session

    from api.settings import Settings

Request = TypeVar("Request", bound="pydantic.BaseModel")


@dataclass
class CliState:
    """Per-invocation state kept on the Click context (`ctx.obj`)."""

    _settings: Settings | None = field(default=None)

    @property
    def settings(self) -> Settings:
        # Read on first use, when the command runs: `--help` works whatever the env holds.
        if self._settings is None:
            import pydantic

            from api.settings import Settings

            try:
                self._settings = Settings()
            except pydantic.ValidationError as error:
                for item in error.errors():
                    name = "FAMILYFINDER_" + "_".join(str(p) for p in item["loc"]).upper()
                    typer.echo(f"error: {name}: {item['msg']}", err=True)
                raise typer.Exit(CONFIGURATION_EXIT_CODE) from None
        return self._settings


# the reports' (gaps, fairness) date and JSON options, one wording for both
ReportAsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Reference date, YYYY-MM-DD (default: today)", show_default=False),
]
ReportJsonOption = Annotated[bool, typer.Option("--json", help="Print the report as JSON")]


def state(ctx: typer.Context) -> CliState:
    if not isinstance(ctx.obj, CliState):
        ctx.obj = CliState()
    return ctx.obj


def display_url(url: str) -> str:
    """The database URL with any password hidden, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)


def check_database_url(url: str) -> None:
    """Exit 6 with a message when `url` cannot name a database this program can open."""
    from models.db import database_url_problem

    problem = database_url_problem(url)
    if problem is not None:
        typer.echo(f"error: FAMILYFINDER_DATABASE_URL: {problem}", err=True)
        raise typer.Exit(DATABASE_EXIT_CODE)


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn expected errors into messages on stderr and an exit code, never a traceback."""
    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    try:
        yield
    except FamilyFinderError as error:
        for line in error_lines(error):
            typer.echo(line, err=True)
        raise typer.Exit(exit_code(error)) from None
    except Cancelled as cancelled:
        typer.echo(f"cancelled: {cancelled}", err=True)
        raise typer.Exit(CANCELLED_EXIT_CODE) from None
    except OperationalError as error:
        typer.echo(f"error: database: {_first_line(error.orig or error)}", err=True)
        raise typer.Exit(DATABASE_EXIT_CODE) from None
    except (PoolTimeout, DBAPIError) as error:
        # a driver refusing the connection in its own words (bad option in the URL, ...)
        orig = getattr(error, "orig", None) or error
        typer.echo(f"error: database: {_first_line(orig)}", err=True)
        raise typer.Exit(DATABASE_EXIT_CODE) from None
    except OSError as error:  # a directory that cannot be read or written
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@contextmanager
def open_session(ctx: typer.Context, *, migrate: bool = True) -> Iterator[Session]:
    """A session on the configured database, brought up to date first by default."""
    from models.db import make_engine, make_session_factory, session_scope
    from models.migrate import upgrade

    url = state(ctx).settings.database_url
    check_database_url(url)
    if migrate:
        upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def parse_date(value: str | None) -> date:
    """An ISO date from an option, or today when it was not given."""
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def validated(model: type[Request], options: Mapping[str, str], **values: Any) -> Request:
    """`model` (a request of `api.requests`) made from a command's options, validated as
    the API and the pages validate it; a refusal is a usage error (exit 2) naming the
    option (`options` maps field names to option names) with the model's message."""
    import pydantic

    from api.requests import field_messages

    try:
        return model(**values)
    except pydantic.ValidationError as error:
        field, message = next(iter(field_messages(error).items()))
        raise typer.BadParameter(message, param_hint=f"'{options.get(field, field)}'") from None


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
