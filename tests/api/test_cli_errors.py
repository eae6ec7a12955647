"""api/errors.py maps every domain error to one exit code and one HTTP status;
api/settings.py reads FAMILYFINDER_* when asked, not at import."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.errors import error_body, error_lines, exit_code, http_status
from api.settings import DEFAULT_DATABASE_URL, Settings
from matching.errors import (
    ConflictError,
    FamilyFinderError,
    NotFamilyFoundError,
    NotFoundError,
    PolicyError,
    Problem,
    ValidationError,
)

PROBLEMS = [
    Problem("children.csv", 4, "ethnicity", "'XXXX' is not a DfE ethnicity code"),
    Problem("households.csv", 0, "", "required file is missing"),
]


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (ValidationError(PROBLEMS), 1, 422),
        (NotFoundError("no child with id 'C9'"), 2, 404),
        (NotFamilyFoundError("return_home is not family-found"), 3, 422),
        (ConflictError("H1 has no vacancy left"), 4, 409),
        (PolicyError("weights.age_fit must be a number"), 5, 500),
        (FamilyFinderError("something else"), 1, 400),
    ],
)
def test_each_error_has_one_exit_code_and_status(
    error: FamilyFinderError, code: int, status: int
) -> None:
    assert exit_code(error) == code
    assert http_status(error) == status


def test_validation_problems_are_printed_one_per_line() -> None:
    assert error_lines(ValidationError(PROBLEMS)) == [
        "children.csv:4: ethnicity: 'XXXX' is not a DfE ethnicity code",
        "households.csv:0: -: required file is missing",
    ]
    assert error_lines(NotFoundError("no round run with id 7")) == ["error: no round run with id 7"]


def test_http_body_lists_the_problems() -> None:
    body = error_body(ValidationError(PROBLEMS))
    assert body["error"] == "ValidationError"
    assert body["problems"] == [
        {"file": "children.csv", "line": 4, "column": "ethnicity", "reason": PROBLEMS[0].reason},
        {"file": "households.csv", "line": 0, "column": "", "reason": PROBLEMS[1].reason},
    ]


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "POLICY_FILE", "SECRET_KEY", "MAX_UPLOAD_BYTES"):
        monkeypatch.delenv(f"FAMILYFINDER_{name}", raising=False)
    defaults = Settings()
    assert defaults.database_url == DEFAULT_DATABASE_URL == "sqlite:///familyfinder.db"
    assert defaults.secret_key is None and defaults.policy_file is None

    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("FAMILYFINDER_MAX_UPLOAD_BYTES", "1024")
    monkeypatch.setenv("FAMILYFINDER_POLICY_FILE", "/etc/familyfinder/policy.toml")
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.max_upload_bytes == 1024
    assert settings.policy_file == Path("/etc/familyfinder/policy.toml")


def test_a_bad_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAMILYFINDER_MAX_UPLOAD_BYTES", "0")
    with pytest.raises(ValueError, match="max_upload_bytes"):
        Settings()


def test_cli_reports_a_bad_setting_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    monkeypatch.setenv("FAMILYFINDER_MAX_UPLOAD_BYTES", "lots")
    result = CliRunner().invoke(app, ["summary"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: FAMILYFINDER_MAX_UPLOAD_BYTES:")
    assert "Traceback" not in result.output
