"""The `familyfinder` command line (console script `familyfinder = api.cli:app`).

Adding a command: write `api/commands/<area>.py` with its Typer functions and a
`register(app)` that adds them (`app.command("name")(fn)` for a command,
`app.add_typer(sub_app, name="name")` for a group), keep it thin (parse, one service
inside `reporting_errors()`, print), then add one `<area>.register(app)` line below.
"""

from __future__ import annotations

import typer

from api.commands import (
    data,
    db,
    fairness,
    fixtures,
    gaps,
    matching,
    replay,
    serve,
    transparency,
    users,
)
from api.commands.common import CliState

app = typer.Typer(
    name="familyfinder",
    help="Family finding and matching for children's services: import an authority's "
    "children and carers, shortlist households, run matching rounds, report gaps.\n\n"
    "Configuration comes from FAMILYFINDER_* environment variables "
    "(FAMILYFINDER_DATABASE_URL, default sqlite:///familyfinder.db).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(ctx: typer.Context) -> None:
    """Family finding and matching for children's services."""
    ctx.obj = CliState()


# One line per command module.
data.register(app)
fixtures.register(app)
db.register(app)
matching.register(app)
replay.register(app)
gaps.register(app)
fairness.register(app)
serve.register(app)
transparency.register(app)
users.register(app)
