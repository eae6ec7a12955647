"""What the CLI tests share: running a command in process, importing a directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from api.cli import app

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny"
AS_OF = "2026-06-01"  # the tiny authority's reference date


def run(*args: str) -> Result:
    """`familyfinder ARGS...` in process, with the environment as it is."""
    return CliRunner().invoke(app, list(args))


def import_into(url: str, directory: Path, as_of: str = AS_OF) -> None:
    """`familyfinder import DIRECTORY` into the database at `url`; it must succeed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FAMILYFINDER_DATABASE_URL", url)
        result = run("import", str(directory), "--as-of", as_of)
    assert result.exit_code == 0, result.output
