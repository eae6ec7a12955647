"""The proposal lifecycle through the API: withdrawn by its author or an admin with a
reason, a held child left out of rounds (and said so), an approved match making the
children matched, and every step audited (issue #15)."""

from __future__ import annotations

from typing import Any

from api.services.audit import audit_trail
from api.services.users import create_user
from models.orm import ChildRow
from tests.api.conftest import TINY_AS_OF, ApiEnv, finish_rounds
from tests.api.test_service_proposals import propose, shortlist_run, vacancies

AS_OF = {"as_of": TINY_AS_OF.isoformat()}


def proposed(env: ApiEnv, child_id: str = "C004", household_id: str = "H003") -> dict[str, Any]:
    created = propose(env, shortlist_run(env, child_id)["run_id"], household_id)
    assert created.status_code == 201, created.text
    return dict(created.json())


def actions(env: ApiEnv, child_id: str) -> list[str]:
    with env.session() as session:
        events, _total = audit_trail(session, child_id=child_id, limit=1000)
    return [e.action for e in reversed(events)]


def test_only_its_author_or_an_admin_withdraws_a_proposal_and_the_reason_is_kept(
    api_env: ApiEnv,
) -> None:
    proposal = proposed(api_env)
    url = f"/api/proposals/{proposal['id']}/withdrawal"
    assert vacancies(api_env, "H003") == 0

    # Another family finder (the admin is not the author either, but may).
    with api_env.session() as session:
        create_user(session, "finder2", "finder2-password", "family_finder")
    token = api_env.client.post(
        "/api/token", data={"username": "finder2", "password": "finder2-password"}
    ).json()["access_token"]
    other = api_env.client.post(
        url, json={"reasons": "not mine"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert other.status_code == 403
    assert "family_finder, who made proposal" in other.json()["detail"]

    empty = api_env.client.post(
        url, json={"reasons": "   "}, headers=api_env.headers["family_finder"]
    )
    assert empty.status_code == 422  # a withdrawal needs its reason

    done = api_env.client.post(
        url,
        json={"reasons": "Birth mother's circumstances changed"},
        headers=api_env.headers["family_finder"],
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "withdrawn" and body["decided_by"] == "family_finder"
    assert body["decision_reasons"] == "Birth mother's circumstances changed"
    assert vacancies(api_env, "H003") == 1  # the vacancy is free again
    again = api_env.client.post(url, json={"reasons": "twice"}, headers=api_env.headers["admin"])
    assert again.status_code == 409

    # The child can be proposed again.
    assert proposed(api_env)["status"] == "proposed"
    assert actions(api_env, "C004").count("create_proposal") == 2
    assert "withdraw_proposal" in actions(api_env, "C004")


def test_an_approved_match_makes_the_children_matched_and_keeps_the_vacancy(
    api_env: ApiEnv,
) -> None:
    proposal = proposed(api_env)
    url = f"/api/proposals/{proposal['id']}"
    recommended = api_env.client.post(
        f"{url}/recommendation",
        json={"recommendation": "recommended", "reasons": "needs met"},
        headers=api_env.headers["panel"],
    )
    assert recommended.status_code == 200
    # The family finder is not the agency decision maker.
    refused = api_env.client.post(
        f"{url}/decision",
        json={"decision": "approved", "reasons": "agree"},
        headers=api_env.headers["family_finder"],
    )
    assert refused.status_code == 403
    approved = api_env.client.post(
        f"{url}/decision",
        json={"decision": "approved", "reasons": "agree with the panel"},
        headers=api_env.headers["decision_maker"],
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["decided_by"] == "decision_maker"
    child = api_env.client.get("/api/children/C004", headers=api_env.headers["admin"]).json()
    assert child["status"] == "matched" and child["placed_with"] == "H003"
    assert vacancies(api_env, "H003") == 0
    with api_env.session() as session:
        row = session.get(ChildRow, "C004")
        assert row is not None and row.status == "matched"
    steps = actions(api_env, "C004")
    for step in ("create_proposal", "record_recommendation", "record_decision"):
        assert step in steps, (step, steps)


def test_a_round_leaves_a_child_held_by_an_open_proposal_out_and_says_so(
    api_env: ApiEnv,
) -> None:
    finder = api_env.headers["family_finder"]
    proposed(api_env, "C005", "H002")

    started = api_env.client.post(
        "/api/rounds", json={**AS_OF, "mode": "allocate", "time_limit_s": 5}, headers=finder
    )
    finish_rounds(api_env.app)
    job = api_env.client.get(f"/api/rounds/{started.json()['round_id']}", headers=finder).json()
    assert job["status"] == "done", job
    result = job["result"]
    every_child = {c for u in result["units"] for c in u["children"]}
    every_child |= {c for u in result["unplaced"] for c in u["children"]}
    assert "C005" not in every_child  # not offered again, placed or not
    skipped = result["skipped_units"]
    assert skipped["units_held_by_proposals"] == 1
    assert skipped["children_held_by_proposals"] == 1
    # H002's vacancy is taken by the proposal: the round does not give it out either.
    assert all(c["household_id"] != "H002" for u in result["units"] for c in u["candidates"])


def test_an_admin_changes_a_role_over_the_api_as_on_the_page(api_env: ApiEnv) -> None:
    admin = api_env.headers["admin"]
    changed = api_env.client.patch("/api/users/panel", json={"role": "recruitment"}, headers=admin)
    assert changed.status_code == 200 and changed.json()["role"] == "recruitment"
    # the panel member's token now carries the new role's rights, at once
    assert api_env.client.get("/api/proposals", headers=api_env.headers["panel"]).status_code == 403
    assert (
        api_env.client.patch("/api/users/admin", json={"role": "panel"}, headers=admin).status_code
        == 409
    )
    assert (
        api_env.client.patch("/api/users/panel", json={"role": "king"}, headers=admin).status_code
        == 400
    )
    assert api_env.client.patch("/api/users/panel", json={}, headers=admin).status_code == 400
    with api_env.session() as session:
        events, _total = audit_trail(session, username="admin", limit=100)
    assert any(
        e.action == "change_role" and e.subject == "user:panel panel -> recruitment" for e in events
    )
