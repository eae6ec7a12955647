"""Sign-in, tokens, throttling, and the hardening every response gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from api import security
from api.app import create_app
from api.cli import app as cli
from api.services import children as children_service
from api.services import users as users_service
from api.services.users import MAX_FAILED_LOGINS
from api.settings import Settings
from tests.api.conftest import PASSWORDS, SECRET, ApiEnv


def login(env: ApiEnv, username: str, password: str) -> int:
    response = env.client.post("/api/token", data={"username": username, "password": password})
    assert set(response.json()) >= (
        {"access_token"} if response.status_code == 200 else {"error", "detail"}
    )
    return response.status_code


def test_health_needs_no_token_and_carries_security_headers(api_env: ApiEnv) -> None:
    response = api_env.client.get("/api/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


def test_cors_is_off_by_default(api_env: ApiEnv) -> None:
    response = api_env.client.options(
        "/api/children",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers
    get = api_env.client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in get.headers


def test_wrong_password_is_401_and_repeated_failures_are_throttled(api_env: ApiEnv) -> None:
    assert login(api_env, "panel", "wrong-password") == 401
    assert login(api_env, "nobody", "whatever-pass") == 401
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert login(api_env, "panel", "wrong-password") == 401
    # Locked now, even with the right password; other users are unaffected.
    assert login(api_env, "panel", PASSWORDS["panel"]) == 429
    assert login(api_env, "admin", PASSWORDS["admin"]) == 200


def test_guessing_across_usernames_from_one_address_is_throttled(
    api_env: ApiEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users_service, "MAX_FAILED_LOGINS_PER_ADDRESS", 4)
    for name in ("ann", "bob", "cat", "dan"):
        assert login(api_env, name, "guess-guess") == 401
    assert login(api_env, "admin", PASSWORDS["admin"]) == 429


def test_expired_forged_and_malformed_tokens_are_401(api_env: ApiEnv) -> None:
    expired, _ = security.issue_token(
        SECRET,
        "admin",
        "admin",
        lifetime=timedelta(minutes=30),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    forged, _ = security.issue_token("another-secret-" + "y" * 32, "admin", "admin")
    for token in (expired, forged, "not-a-token"):
        response = api_env.client.get("/api/audit", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.json() == {"error": "Unauthorized", "detail": "invalid or expired token"}


def test_a_token_expires_after_its_lifetime(api_env: ApiEnv) -> None:
    response = api_env.client.post(
        "/api/token", data={"username": "admin", "password": PASSWORDS["admin"]}
    )
    expires = datetime.fromisoformat(response.json()["expires_at"])
    assert timedelta(0) < expires - datetime.now(UTC) <= security.DEFAULT_TOKEN_LIFETIME


def test_no_traceback_or_sql_in_an_internal_error(
    api_env: ApiEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError('SELECT * FROM child WHERE secret = "x"  File "/srv/app.py"')

    monkeypatch.setattr(children_service, "child_record", broken)
    response = api_env.client.get("/api/children/C001", headers=api_env.headers["admin"])
    assert response.status_code == 500
    assert response.json() == {
        "error": "InternalError",
        "detail": "internal error; it has been logged",
    }
    assert "SELECT" not in response.text and "Traceback" not in response.text


def test_invalid_parameters_are_a_422_error_body(api_env: ApiEnv) -> None:
    response = api_env.client.get(
        "/api/children", params={"limit": 0}, headers=api_env.headers["admin"]
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "RequestValidationError"
    assert body["problems"][0]["column"] == "limit"


def test_every_operation_documents_the_error_body(api_env: ApiEnv) -> None:
    schema = api_env.client.get("/openapi.json").json()
    assert set(schema["components"]["schemas"]["ErrorBody"]["required"]) == {"error", "detail"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "403", "422", "500"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, (
                    method,
                    path,
                    status,
                )


def test_create_app_refuses_a_short_or_missing_secret(tmp_path: object) -> None:
    for secret in (None, "short"):
        with pytest.raises(ValueError, match="FAMILYFINDER_SECRET_KEY"):
            create_app(Settings(database_url="sqlite://", secret_key=secret))


def test_serve_without_demo_refuses_to_start_without_a_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.delenv("FAMILYFINDER_SECRET_KEY", raising=False)
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2
    assert "FAMILYFINDER_SECRET_KEY is not set" in result.output
    monkeypatch.setenv("FAMILYFINDER_SECRET_KEY", "too-short")
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2 and "at least 32 characters" in result.output


def test_users_add_from_stdin_then_sign_in(
    api_env: ApiEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", api_env.url)
    result = CliRunner().invoke(
        cli,
        ["users", "add", "alex", "--role", "panel", "--password-stdin"],
        input="a-long-passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "created user alex (panel)" in result.output
    assert login(api_env, "alex", "a-long-passphrase") == 200
    duplicate = CliRunner().invoke(
        cli, ["users", "add", "alex", "--role", "panel", "--password-stdin"], input="another-one\n"
    )
    assert duplicate.exit_code == 4 and "already exists" in duplicate.output
    bad_role = CliRunner().invoke(
        cli, ["users", "add", "sam", "--role", "superuser", "--password-stdin"], input="x" * 10
    )
    assert bad_role.exit_code == 2
