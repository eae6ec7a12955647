"""Sessions end server-side (issue #13): after sign-out a copied bearer token or page
cookie no longer works, and deactivating a user (API or CLI) ends every session they
have. Pages carry Cache-Control: no-store; cookies are Secure behind TLS."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from api.pages import SESSION_COOKIE
from tests.api.conftest import PASSWORDS, ApiEnv, _new_database, build_env
from tests.api.test_pages_access import sign_in


def token_for(env: ApiEnv, role: str) -> dict[str, str]:
    response = env.client.post("/api/token", data={"username": role, "password": PASSWORDS[role]})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_a_copied_token_stops_working_after_sign_out(api_env: ApiEnv) -> None:
    headers = token_for(api_env, "family_finder")
    copy = dict(headers)
    assert api_env.client.get("/api/children", headers=copy).status_code == 200
    out = api_env.client.post("/api/logout", headers=headers)
    assert out.status_code == 200 and out.json() == {"signed_out": True}
    refused = api_env.client.get("/api/children", headers=copy)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "the session has ended or the account is disabled"
    # other sessions of the same user are untouched
    assert (
        api_env.client.get("/api/children", headers=api_env.headers["family_finder"]).status_code
        == 200
    )


def test_a_copied_page_cookie_stops_working_after_sign_out(api_env: ApiEnv) -> None:
    browser = sign_in(api_env, "admin")
    cookie = browser.cookies.get(SESSION_COOKIE)
    assert cookie
    thief = TestClient(api_env.app, follow_redirects=False)
    thief.cookies.set(SESSION_COOKIE, cookie)
    assert thief.get("/admin").status_code == 200
    page = browser.get("/admin").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 303
    after = thief.get("/admin")
    assert after.status_code == 303 and after.headers["location"].startswith("/login")


def test_deactivating_a_user_ends_their_sessions_and_reactivating_needs_a_new_sign_in(
    api_env: ApiEnv,
) -> None:
    panel = api_env.headers["panel"]
    page = sign_in(api_env, "panel")
    assert api_env.client.get("/api/proposals", headers=panel).status_code == 200
    admin = api_env.headers["admin"]
    off = api_env.client.patch("/api/users/panel", json={"active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["active"] is False
    assert api_env.client.get("/api/proposals", headers=panel).status_code == 401
    assert page.get("/panel").status_code == 303
    assert (
        api_env.client.post(
            "/api/token", data={"username": "panel", "password": PASSWORDS["panel"]}
        ).status_code
        == 401
    )
    on = api_env.client.patch("/api/users/panel", json={"active": True}, headers=admin)
    assert on.status_code == 200 and on.json()["active"] is True
    assert api_env.client.get("/api/proposals", headers=panel).status_code == 401  # still ended
    assert (
        api_env.client.get("/api/proposals", headers=token_for(api_env, "panel")).status_code == 200
    )


def test_deactivation_is_for_admins_and_not_of_oneself(api_env: ApiEnv) -> None:
    finder = api_env.headers["family_finder"]
    assert (
        api_env.client.patch("/api/users/panel", json={"active": False}, headers=finder).status_code
        == 403
    )
    admin = api_env.headers["admin"]
    own = api_env.client.patch("/api/users/admin", json={"active": False}, headers=admin)
    assert own.status_code == 409 and "your own account" in own.json()["detail"]
    missing = api_env.client.patch("/api/users/nobody", json={"active": False}, headers=admin)
    assert missing.status_code == 404


def test_cli_deactivate_ends_every_session(
    api_env: ApiEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", api_env.url)
    second = token_for(api_env, "recruitment")
    result = CliRunner().invoke(cli, ["users", "deactivate", "recruitment"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "deactivated recruitment; ended 2 sessions"
    for headers in (api_env.headers["recruitment"], second):
        assert api_env.client.get("/api/gaps", headers=headers).status_code == 401
    listed = CliRunner().invoke(cli, ["users", "list"])
    assert "recruitment" in listed.output and "disabled" in listed.output
    assert CliRunner().invoke(cli, ["users", "activate", "recruitment"]).exit_code == 0
    assert CliRunner().invoke(cli, ["users", "deactivate", "nobody"]).exit_code == 2


def test_pages_and_api_answers_are_not_stored_by_browsers_static_files_may_be(
    api_env: ApiEnv,
) -> None:
    admin = sign_in(api_env, "admin")
    for path in ("/login", "/children", "/children/C001", "/admin", "/gaps", "/docs"):
        assert admin.get(path).headers["cache-control"] == "no-store", path
    download = admin.get("/gaps/download/gap-report.csv")
    assert download.status_code == 200, download.text
    assert download.headers["cache-control"] == "no-store"
    assert (
        api_env.client.get("/api/children", headers=api_env.headers["admin"]).headers[
            "cache-control"
        ]
        == "no-store"
    )
    assert "no-store" not in admin.get("/static/familyfinder.css").headers.get("cache-control", "")


@pytest.mark.parametrize("behind_tls", [False, True])
def test_cookies_are_secure_behind_tls(database_url: str, tmp_path: Path, behind_tls: bool) -> None:
    url, drop = _new_database(database_url, tmp_path, "ff_tls")
    env = build_env(url, behind_tls=behind_tls)
    try:
        with env.client:
            client = TestClient(env.app, base_url="https://testserver", follow_redirects=False)
            page = client.get("/login")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            signed = client.post(
                "/login",
                data={"username": "admin", "password": PASSWORDS["admin"], "csrf_token": token},
            )
            cookie = signed.headers["set-cookie"].lower()
            assert ("; secure" in cookie) is behind_tls
            hsts = env.client.get("/api/health").headers.get("strict-transport-security")
            assert (hsts == "max-age=31536000") is behind_tls
    finally:
        env.app.state.engine.dispose()
        drop()
