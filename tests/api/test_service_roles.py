"""The role matrix: every endpoint × every role (allowed, or 403) and without a token (401).

A guard test checks the matrix names every route of the OpenAPI schema, so a new
endpoint cannot be added without deciding who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from httpx import Response

from matching.policy import default_policy_text
from tests.api.conftest import TINY, ApiEnv, finish_rounds

ALL = ("family_finder", "recruitment", "panel", "decision_maker", "oversight", "admin")
FINDER = ("family_finder", "admin")


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # as in the OpenAPI schema
    allowed: tuple[str, ...]
    url: str = ""  # the concrete URL (defaults to path)
    json: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    files: bool = False
    toml: str | None = None  # a policy file sent as the body


def _files() -> dict[str, tuple[str, bytes, str]]:
    return {
        name: (f"{name}.csv", (TINY / f"{name}.csv").read_bytes(), "text/csv")
        for name in ("children", "households", "sibling_links")
    }


def _send(env: ApiEnv, call: Call, headers: dict[str, str]) -> Response:
    kwargs: dict[str, Any] = {"headers": headers, "params": call.params}
    if call.json is not None:
        kwargs["json"] = call.json
    if call.files:
        kwargs["files"] = _files()
        kwargs["data"] = {"as_of": "2026-06-01"}
    if call.toml is not None:
        kwargs["content"] = call.toml.encode()
        kwargs["headers"] = {**headers, "Content-Type": "application/toml"}
    return env.client.request(call.method, call.url or call.path, **kwargs)


def _prepare(env: ApiEnv) -> tuple[int, int, int, int]:
    """A shortlist run, a proposal on the panel's agenda (C004 → H003) and the run it
    was made from, and a round."""
    finder = env.headers["family_finder"]
    run = env.client.get(
        "/api/children/C005/shortlist", params={"as_of": "2026-06-01"}, headers=finder
    ).json()["run_id"]
    agenda_run = env.client.get(
        "/api/children/C004/shortlist", params={"as_of": "2026-06-01"}, headers=finder
    ).json()["run_id"]
    proposal = env.client.post(
        "/api/proposals",
        json={"source": "shortlist", "run_id": agenda_run, "household_id": "H003"},
        headers=finder,
    )
    assert proposal.status_code == 201, proposal.text
    job = env.client.post(
        "/api/rounds", json={"as_of": "2026-06-01", "time_limit_s": 2}, headers=finder
    )
    assert job.status_code == 202, job.text
    # one round at a time per person: the matrix starts another once this one is done
    finish_rounds(env.app)
    return run, agenda_run, proposal.json()["id"], job.json()["round_id"]


def _matrix(run_id: int, agenda_run_id: int, proposal_id: int, round_id: int) -> list[Call]:
    panel_finder = ("panel", *FINDER)
    # panel papers: the panel, family finders, the agency decision maker, admin
    readers = ("panel", "family_finder", "decision_maker", "admin")
    return [
        Call("GET", "/api/health", ALL),
        Call("GET", "/api/users", ("admin",)),
        Call(
            "POST",
            "/api/users",
            ("admin",),
            json={"username": "newcomer", "password": "long-enough-1", "role": "panel"},
        ),
        Call("GET", "/api/children", FINDER),
        Call("GET", "/api/children/{child_id}", FINDER, url="/api/children/C001"),
        # on the panel's agenda: the panel may read it
        Call("GET", "/api/children/{child_id}", panel_finder, url="/api/children/C004"),
        Call(
            "GET",
            "/api/children/{child_id}/shortlist",
            FINDER,
            url="/api/children/C001/shortlist",
            params={"as_of": "2026-06-01"},
        ),
        Call("GET", "/api/households", FINDER),
        Call("GET", "/api/households/{household_id}", FINDER, url="/api/households/H001"),
        Call("GET", "/api/households/{household_id}", panel_finder, url="/api/households/H003"),
        Call("POST", "/api/imports", ("admin",), files=True),
        Call("POST", "/api/rounds", FINDER, json={"as_of": "2026-06-01", "time_limit_s": 1}),
        Call("GET", "/api/rounds", FINDER),
        Call("GET", "/api/rounds/{round_id}", FINDER, url=f"/api/rounds/{round_id}"),
        # done already: heard and refused on state (409) by those who may cancel
        Call(
            "POST",
            "/api/rounds/{round_id}/cancel",
            FINDER,
            url=f"/api/rounds/{round_id}/cancel",
        ),
        Call(
            "GET",
            "/api/runs/{kind}/{run_id}/replay",
            FINDER,
            url=f"/api/runs/shortlist/{run_id}/replay",
        ),
        # the run a proposal on the panel's agenda was made from: its readers replay it
        Call(
            "GET",
            "/api/runs/{kind}/{run_id}/replay",
            readers,
            url=f"/api/runs/shortlist/{agenda_run_id}/replay",
        ),
        Call(
            "GET",
            "/api/runs/{kind}/{run_id}/replay",
            FINDER,
            url=f"/api/runs/round/{round_id}/replay",
        ),
        # recruitment: the latest published report (the month end's, published on demand)
        Call("GET", "/api/gaps", ("recruitment", "admin")),
        Call("GET", "/api/gaps/publications", ("recruitment", "admin")),
        # issue #16: the fairness report, as of today, for oversight and administrators
        Call("GET", "/api/fairness", ("oversight", "admin")),
        Call("GET", "/api/fairness", ("oversight", "admin"), params={"compare": "shipped"}),
        Call("GET", "/api/fairness/policies", ("oversight", "admin")),
        Call("POST", "/api/fairness/compare", ("oversight", "admin"), toml=default_policy_text()),
        Call("POST", "/api/gaps/publications", ("admin",), json={"as_of": "2026-06-01"}),
        Call(
            "POST",
            "/api/proposals",
            FINDER,
            json={"source": "shortlist", "run_id": run_id, "household_id": "H002"},
        ),
        Call("GET", "/api/proposals", readers),
        Call("GET", "/api/proposals/{proposal_id}", readers, url=f"/api/proposals/{proposal_id}"),
        Call(
            "POST",
            "/api/proposals/{proposal_id}/recommendation",
            ("panel", "admin"),
            url=f"/api/proposals/{proposal_id}/recommendation",
            json={"recommendation": "recommended", "reasons": "meets every need"},
        ),
        Call(
            "POST",
            "/api/proposals/{proposal_id}/withdrawal",
            FINDER,
            url=f"/api/proposals/{proposal_id}/withdrawal",
            json={"reasons": "test"},
        ),
        Call(
            "POST",
            "/api/proposals/{proposal_id}/decision",
            ("decision_maker", "admin"),
            url=f"/api/proposals/{proposal_id}/decision",
            json={"decision": "withdrawn", "reasons": "test"},
        ),
        Call("GET", "/api/audit", ("admin",)),
        Call(
            "PATCH",
            "/api/users/{username}",
            ("admin",),
            url="/api/users/panel",
            json={"active": True},
        ),
        # last: signing out ends the session the calls above were made with
        Call("POST", "/api/logout", ALL),
    ]


def test_matrix_covers_every_route_in_the_schema(api_env: ApiEnv) -> None:
    schema = api_env.client.get("/openapi.json").json()
    routes = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    assert {(c.method, c.path) for c in _matrix(1, 2, 1, 1)} | {("POST", "/api/token")} == routes


def test_every_endpoint_by_every_role(api_env: ApiEnv) -> None:
    calls = _matrix(*_prepare(api_env))
    seen: list[tuple[str, str, str, int]] = []
    for call in calls:
        for role in ALL:
            response = _send(api_env, call, api_env.headers[role])
            seen.append((call.method, call.url or call.path, role, response.status_code))
            if role in call.allowed:
                # allowed: served (a 409 means the request was heard and refused on state)
                assert response.status_code in (200, 201, 202, 409), (call, role, response.text)
            else:
                assert response.status_code == 403, (call, role, response.text)
                assert response.json()["error"] == "Forbidden"
    assert len(seen) == len(calls) * len(ALL)


def test_every_endpoint_without_a_token_is_401(api_env: ApiEnv) -> None:
    for call in _matrix(1, 2, 1, 1):
        response = _send(api_env, call, {})
        if call.path == "/api/health":
            assert response.status_code == 200
            continue
        assert response.status_code == 401, (call, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert set(response.json()) >= {"error", "detail"}


@pytest.mark.parametrize("role", ["recruitment", "panel"])
def test_roles_without_child_lists_see_no_child_data(api_env: ApiEnv, role: str) -> None:
    headers = api_env.headers[role]
    for url in (
        "/api/children",
        "/api/children/C001",
        "/api/children/C001/shortlist",
        "/api/households",
    ):
        response = api_env.client.get(url, headers=headers)
        assert response.status_code == 403
        assert "C001" not in response.text
