"""The pages' sign-in, roles, CSRF protection and audit, through a TestClient.

Each role gets its own client (its own cookie jar); usernames are the role names (see
tests/api/conftest.py). The browser tests drive the same pages in Chromium.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.pages import SESSION_COOKIE
from api.services.audit import audit_trail
from models.orm import ChildRow, HouseholdRow
from models.store import bump_data_version
from tests.api.conftest import PASSWORDS, ROLES, ApiEnv

PAGES = (
    "/children",
    "/children/C001",
    "/rounds",
    "/panel",
    "/decisions",
    "/gaps",
    "/fairness",
    "/admin",
)
ALLOWED = {
    "family_finder": {"/children", "/children/C001", "/rounds", "/panel"},
    "recruitment": {"/gaps"},
    "panel": {"/panel"},
    "decision_maker": {"/decisions"},  # issue #15: the agency decision maker's page
    # issue #16: panel chairs and the corporate parenting panel see the fairness report
    # (aggregate figures) and no child's record
    "oversight": {"/fairness"},
    "admin": set(PAGES),
}
START = {
    "family_finder": "/children",
    "recruitment": "/gaps",
    "panel": "/panel",
    "decision_maker": "/decisions",
    "oversight": "/fairness",
    "admin": "/children",
}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def client_for(env: ApiEnv) -> TestClient:
    return TestClient(env.app, raise_server_exceptions=False, follow_redirects=False)


def sign_in(env: ApiEnv, role: str) -> TestClient:
    client = client_for(env)
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": role, "password": PASSWORDS[role], "csrf_token": token, "next": ""},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == START[role]
    return client


@pytest.mark.parametrize("path", [*PAGES, "/", "/proposals/1", "/rounds/1"])
def test_signed_out_visitor_is_redirected_to_login(api_env: ApiEnv, path: str) -> None:
    response = client_for(api_env).get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=" + path


def test_login_page_has_the_pinned_fields(api_env: ApiEnv) -> None:
    html = client_for(api_env).get("/login").text
    assert 'name="username"' in html and 'name="password"' in html
    assert "GOV.UK" not in html  # no GOV.UK branding on a council's own service
    assert "/static/govuk/govuk-frontend.min.css" in html


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_its_pages(api_env: ApiEnv, role: str) -> None:
    client = sign_in(api_env, role)
    for path in PAGES:
        response = client.get(path)
        if path in ALLOWED[role]:
            assert response.status_code == 200, (role, path, response.text[:500])
        else:
            assert response.status_code == 403, (role, path)
            assert "You cannot see this page" in response.text
            assert "This page is only for" in response.text


def test_wrong_password_stays_on_login_with_a_message(api_env: ApiEnv) -> None:
    client = client_for(api_env)
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"username": "admin", "password": "nope-nope", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "The username or password is not right" in response.text
    assert client.get("/admin").status_code == 303


def test_login_goes_back_to_a_local_page_only(api_env: ApiEnv) -> None:
    client = client_for(api_env)
    token = csrf_of(client.get("/login?next=/children/C001").text)
    data = {"username": "admin", "password": PASSWORDS["admin"], "csrf_token": token}
    response = client.post("/login", data={**data, "next": "/children/C001"})
    assert response.headers["location"] == "/children/C001"
    other = client_for(api_env)
    token = csrf_of(other.get("/login").text)
    response = other.post("/login", data={**data, "csrf_token": token, "next": "//evil.test/x"})
    assert response.headers["location"] == "/children"


def test_session_cookie_is_http_only_and_same_site(api_env: ApiEnv) -> None:
    client = client_for(api_env)
    response = client.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(SESSION_COOKIE)
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_a_forged_session_cookie_is_not_a_session(api_env: ApiEnv) -> None:
    client = sign_in(api_env, "admin")
    value = client.cookies[SESSION_COOKIE]
    client.cookies.set(SESSION_COOKIE, value[:-4] + ("AAAA" if value[-4:] != "AAAA" else "BBBB"))
    assert client.get("/admin").status_code == 303


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_login_without_the_csrf_token_is_rejected(api_env: ApiEnv, token: str | None) -> None:
    client = client_for(api_env)
    client.get("/login")
    data = {"username": "admin", "password": PASSWORDS["admin"]}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/login", data=data)
    assert response.status_code == 403
    assert "The form could not be sent" in response.text
    assert client.get("/admin").status_code == 303


def test_sign_out_needs_the_csrf_token(api_env: ApiEnv) -> None:
    client = sign_in(api_env, "admin")
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/admin").status_code == 200
    token = csrf_of(client.get("/admin").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/admin").status_code == 303


def _first_candidate(html: str) -> tuple[str, str]:
    run_id = re.search(r'name="run_id" value="(\d+)"', html)
    household = re.search(r'data-household-id="([^"]+)"', html)
    assert run_id and household, "the shortlist shows no household"
    return run_id.group(1), household.group(1)


def test_a_proposal_needs_the_csrf_token(api_env: ApiEnv) -> None:
    client = sign_in(api_env, "family_finder")
    run_id, household = _first_candidate(client.get("/children/C005").text)
    response = client.post(
        "/children/C005/proposals", data={"run_id": run_id, "household_id": household}
    )
    assert response.status_code == 403
    assert "empty-agenda" in client.get("/panel").text  # nothing was proposed


def test_propose_then_a_second_proposal_gets_the_conflict_message(api_env: ApiEnv) -> None:
    first = sign_in(api_env, "family_finder")
    second = sign_in(api_env, "admin")
    page_one = first.get("/children/C005").text
    page_two = second.get("/children/C005").text
    run_one, household = _first_candidate(page_one)
    run_two, _ = _first_candidate(page_two)

    response = first.post(
        "/children/C005/proposals",
        data={"run_id": run_one, "household_id": household, "csrf_token": csrf_of(page_one)},
    )
    assert response.status_code == 303
    proposal = response.headers["location"]
    assert re.fullmatch(r"/proposals/\d+\?created=1", proposal)
    assert "Proposal made" in first.get(proposal).text

    response = second.post(
        "/children/C005/proposals",
        data={"run_id": run_two, "household_id": household, "csrf_token": csrf_of(page_two)},
    )
    assert response.status_code == 409
    assert "another family finder got there first" in response.text


def _propose_dee_first_candidate(api_env: ApiEnv) -> tuple[str, str]:
    """A family finder proposes C005's first shortlisted household: (paper URL, household)."""
    finder = sign_in(api_env, "family_finder")
    page = finder.get("/children/C005").text
    run_id, household = _first_candidate(page)
    location = finder.post(
        "/children/C005/proposals",
        data={"run_id": run_id, "household_id": household, "csrf_token": csrf_of(page)},
    ).headers["location"]
    return location.split("?")[0], household


def test_panel_records_a_recommendation(api_env: ApiEnv) -> None:
    paper_url, _household = _propose_dee_first_candidate(api_env)

    panel = sign_in(api_env, "panel")
    assert paper_url in panel.get("/panel").text
    paper = panel.get(paper_url).text
    assert "Hard rules passed" in paper and "Alternatives considered" in paper
    action = paper_url + "/recommendation"
    token = csrf_of(paper)
    missing = panel.post(action, data={"csrf_token": token})
    assert missing.status_code == 422
    assert "Enter the panel&#39;s reasons" in missing.text or "Enter the panel's reasons" in (
        missing.text
    )
    done = panel.post(
        action,
        data={"csrf_token": token, "recommendation": "recommended", "reasons": "Needs met."},
    )
    assert done.status_code == 303
    assert "Needs met." in panel.get(paper_url).text
    again = panel.post(
        action,
        data={"csrf_token": token, "recommendation": "not_recommended", "reasons": "Changed."},
    )
    assert again.status_code == 409  # already recommended: not recorded twice


def test_reading_a_child_page_is_audited(api_env: ApiEnv) -> None:
    client = sign_in(api_env, "family_finder")
    assert client.get("/children/C001").status_code == 200
    with api_env.session() as session:
        events, _total = audit_trail(session, username="family_finder", child_id="C001")
    actions = {e.action for e in events}
    assert {"read_child", "read_shortlist"} <= actions


def test_panel_cannot_open_a_child_page(api_env: ApiEnv) -> None:
    client = sign_in(api_env, "panel")
    response = client.get("/children/C001")
    assert response.status_code == 403


def test_gap_page_names_no_child(api_env: ApiEnv) -> None:
    client = sign_in(api_env, "recruitment")
    html = client.get("/gaps").text
    assert "Needs-gap report" in html
    assert not re.search(r"C00\d", html)
    download = client.get("/gaps/download/gap-report.csv")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert not re.search(r"C00\d", download.text)


def test_unknown_child_is_a_404_page(api_env: ApiEnv) -> None:
    client = sign_in(api_env, "family_finder")
    response = client.get("/children/C999")
    assert response.status_code == 404
    assert "Child not found" in response.text


def test_panel_paper_shows_the_records_as_they_were_when_proposed(api_env: ApiEnv) -> None:
    paper_url, household = _propose_dee_first_candidate(api_env)

    # The records change after the proposal (a later import corrects them).
    with api_env.session() as session:
        child = session.get(ChildRow, "C005")
        home = session.get(HouseholdRow, household)
        assert child is not None and home is not None
        child.first_name = "Renamed"
        child.legal_status = "E1"
        home.name = "Renamed household"
        bump_data_version(session)
        session.commit()

    paper = sign_in(api_env, "panel").get(paper_url).text
    assert "Dee (C005)" in paper and "Renamed" not in paper
    assert "The Okafors (H002)" in paper
    assert "Vacancies when proposed" in paper and "1 (this proposal reserves 1)" in paper
    # issue #15: codes and ISO dates in words on the paper
    assert "Dee (C005) and C006: half siblings, assessed to live apart on 10 January 2026" in paper
    frozen = api_env.client.get(
        "/api/proposals/" + paper_url.rsplit("/", 1)[1], headers=api_env.headers["panel"]
    ).json()
    assert frozen["rationale"]["records"]["children"][0]["first_name"] == "Dee"


def test_pages_carry_a_content_security_policy_that_lets_only_their_own_script_run(
    api_env: ApiEnv,
) -> None:
    client = sign_in(api_env, "admin")
    nonces = set()
    for path in ("/login", *PAGES):
        response = client.get(path)
        assert response.status_code == 200, path
        policies = response.headers.get_list("content-security-policy")
        assert len(policies) == 1, (path, policies)  # two would both apply
        policy = policies[0]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";")[0]
        nonce = re.search(r"'nonce-([^']+)'", policy)
        assert nonce, policy
        # every inline script on the page carries this response's nonce, and only it
        scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.text)
        assert scripts, path
        assert all(f'nonce="{nonce.group(1)}"' in attrs for attrs in scripts), (path, scripts)
        nonces.add(nonce.group(1))
    assert len(nonces) == 1 + len(PAGES)  # a fresh nonce per response
    # responses that are not rendered pages get the policy without a nonce
    static = client.get("/static/familyfinder.css")
    assert static.status_code == 200
    assert "script-src 'self';" in static.headers["content-security-policy"]
    # the API keeps its stricter policy; the interactive docs (Swagger UI from the
    # package, issue #13: no CDN) run under the pages' policy, scripts from the service only
    assert (
        client.get("/api/health")
        .headers["content-security-policy"]
        .startswith("default-src 'none'")
    )
    docs = client.get("/docs")
    assert "script-src 'self';" in docs.headers["content-security-policy"]
