"""Proposals: the frozen rationale, vacancy reservation (never over-filled, also under
50 concurrent requests on PostgreSQL), child holds, the panel's agenda, decisions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from matching.synthetic import generate_authority
from models.orm import HouseholdRow
from models.store import bump_data_version, save_shortlist_run, upsert_authority
from tests.api.conftest import TINY_AS_OF, ApiEnv, LiveServer, finish_rounds

AS_OF = {"as_of": TINY_AS_OF.isoformat()}
CONTESTED = "H000002"


def shortlist_run(env: ApiEnv, child_id: str) -> dict[str, Any]:
    response = env.client.get(
        f"/api/children/{child_id}/shortlist", params=AS_OF, headers=env.headers["family_finder"]
    )
    assert response.status_code == 200, response.text
    return response.json()


def propose(env: ApiEnv, run_id: int, household_id: str, role: str = "family_finder") -> Any:
    return env.client.post(
        "/api/proposals",
        json={"source": "shortlist", "run_id": run_id, "household_id": household_id},
        headers=env.headers[role],
    )


def vacancies(env: ApiEnv, household_id: str) -> int:
    response = env.client.get(
        f"/api/households/{household_id}", headers=env.headers["family_finder"]
    )
    return int(response.json()["vacancies"])


def seed_contenders(env: ApiEnv, n: int, places: int) -> list[int]:
    """`n` synthetic children, each with a stored shortlist naming CONTESTED, which has
    `places` vacancies: more contenders than places."""
    authority = generate_authority(n, 3, seed=3, as_of=TINY_AS_OF)
    with env.session() as session:
        upsert_authority(session, authority)
        session.execute(
            update(HouseholdRow)
            .where(HouseholdRow.household_id == CONTESTED)
            .values(vacancies=places, status="available")
        )
        bump_data_version(session)
        runs = [
            save_shortlist_run(
                session,
                requested_by="family_finder",
                child_id=child.child_id,
                unit=[child.child_id],
                as_of=TINY_AS_OF,
                policy_version="test",
                inputs_fingerprint="0" * 64,
                result={
                    "candidates": [
                        {
                            "household_id": CONTESTED,
                            "rank": 1,
                            "score": 80.0,
                            "kinship": False,
                            "contributions": [],
                            "questions": [],
                        }
                    ],
                    "excluded_counts": {},
                },
            ).id
            for child in authority.children
        ]
        session.commit()
    return runs


def test_proposal_freezes_the_rationale_and_takes_the_vacancy(api_env: ApiEnv) -> None:
    shown = shortlist_run(api_env, "C004")
    best = shown["candidates"][0]
    assert vacancies(api_env, best["household_id"]) == 1

    created = propose(api_env, shown["run_id"], best["household_id"])
    assert created.status_code == 201, created.text
    proposal = created.json()
    rationale = proposal["rationale"]
    assert proposal["status"] == "proposed" and proposal["unit"] == ["C004"]
    assert rationale["score"] == best["score"]
    assert rationale["contributions"] == best["contributions"]
    assert rationale["questions"] == best["questions"]
    assert rationale["excluded_counts"] == shown["excluded_counts"]
    assert rationale["alternatives"] == [
        {
            **{k: c[k] for k in ("household_id", "rank", "score", "kinship")},
            "tiers": [t["tier"] for t in c.get("tiers", []) if t["met"]],
        }
        for c in shown["candidates"][1:]
    ]
    assert rationale["policy_version"] == shown["policy_version"]
    assert rationale["inputs_fingerprint"] == shown["inputs_fingerprint"]
    assert rationale["proposed_by"] == "family_finder" and rationale["proposed_at"]
    assert vacancies(api_env, best["household_id"]) == 0

    # The same child cannot be proposed twice while the proposal is open.
    again = propose(api_env, shown["run_id"], best["household_id"])
    assert again.status_code == 409
    assert again.json()["error"] == "ConflictError"

    # A later read shows the rationale as frozen, whatever happened since.
    read = api_env.client.get(f"/api/proposals/{proposal['id']}", headers=api_env.headers["admin"])
    assert read.json()["rationale"] == rationale

    # Withdrawn: the vacancy and the child are free again.
    withdrawn = api_env.client.post(
        f"/api/proposals/{proposal['id']}/decision",
        json={"decision": "withdrawn", "reasons": "family circumstances changed"},
        headers=api_env.headers["admin"],
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert vacancies(api_env, best["household_id"]) == 1
    assert (
        propose(api_env, shortlist_run(api_env, "C004")["run_id"], best["household_id"]).status_code
        == 201
    )


def test_a_household_with_no_vacancy_left_is_a_409(api_env: ApiEnv) -> None:
    runs = seed_contenders(api_env, 3, places=2)
    responses = [propose(api_env, run, CONTESTED) for run in runs]
    assert [r.status_code for r in responses] == [201, 201, 409]
    # issue #15: said as a person would ("no vacancy left", not "fewer than 1 vacancies")
    assert "has no vacancy left" in responses[2].json()["detail"]
    assert vacancies(api_env, CONTESTED) == 0
    # Declining one gives its vacancy back: the third unit can now be proposed. The
    # household was its shortlist's first: declining it says why (issue #16).
    declined = api_env.client.post(
        f"/api/proposals/{responses[0].json()['id']}/decision",
        json={
            "decision": "declined",
            "reasons": "not a match after introductions",
            "ranking_reason": "the child and the carers did not get on at introductions",
        },
        headers=api_env.headers["admin"],
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert vacancies(api_env, CONTESTED) == 1
    assert propose(api_env, runs[2], CONTESTED).status_code == 201


def test_unknown_run_or_household_not_on_it_is_404(api_env: ApiEnv) -> None:
    shown = shortlist_run(api_env, "C004")
    assert propose(api_env, 999_999, "H003").status_code == 404
    missing = propose(api_env, shown["run_id"], "H001")
    assert missing.status_code == 404
    assert "not on shortlist run" in missing.json()["detail"]


def test_panel_agenda_recommendation_and_decision(api_env: ApiEnv) -> None:
    panel, admin = api_env.headers["panel"], api_env.headers["admin"]
    proposal = propose(api_env, shortlist_run(api_env, "C004")["run_id"], "H003").json()
    url = f"/api/proposals/{proposal['id']}"

    agenda = api_env.client.get("/api/proposals", headers=panel).json()
    assert [p["id"] for p in agenda["items"]] == [proposal["id"]]
    assert api_env.client.get("/api/children/C004", headers=panel).status_code == 200
    assert api_env.client.get("/api/households/H003", headers=panel).status_code == 200
    assert api_env.client.get("/api/children/C005", headers=panel).status_code == 403

    early = api_env.client.post(
        f"{url}/decision", json={"decision": "approved", "reasons": "x"}, headers=admin
    )
    assert early.status_code == 409  # the panel has not recommended yet

    recommended = api_env.client.post(
        f"{url}/recommendation",
        json={"recommendation": "recommended", "reasons": "needs met; carers experienced"},
        headers=panel,
    )
    assert recommended.status_code == 200
    assert recommended.json()["recommended_by"] == "panel"
    twice = api_env.client.post(
        f"{url}/recommendation",
        json={"recommendation": "not_recommended", "reasons": "changed mind"},
        headers=panel,
    )
    assert twice.status_code == 409

    approved = api_env.client.post(
        f"{url}/decision", json={"decision": "approved", "reasons": "agree"}, headers=admin
    )
    assert approved.status_code == 200 and approved.json()["decided_by"] == "admin"
    assert vacancies(api_env, "H003") == 0  # an approved match keeps its vacancy
    # Decided: off the agenda, so the panel no longer sees it or the child's record.
    assert api_env.client.get(url, headers=panel).status_code == 403
    assert api_env.client.get("/api/children/C004", headers=panel).status_code == 403
    assert api_env.client.get("/api/proposals", headers=panel).json()["items"] == []
    final = api_env.client.post(
        f"{url}/decision", json={"decision": "declined", "reasons": "x"}, headers=admin
    )
    assert final.status_code == 409


@pytest.mark.postgres
@pytest.mark.parametrize("places", [1, 3])
def test_fifty_concurrent_proposals_never_overfill(
    api_env: ApiEnv, live_server: LiveServer, places: int
) -> None:
    runs = seed_contenders(api_env, 50, places=places)
    headers = api_env.headers["family_finder"]

    def attempt(run_id: int) -> int:
        with httpx.Client(base_url=live_server.base_url, timeout=None) as client:
            response = client.post(
                "/api/proposals",
                json={"source": "shortlist", "run_id": run_id, "household_id": CONTESTED},
                headers=headers,
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        codes = list(pool.map(attempt, runs))
    assert codes.count(201) == places, codes
    assert codes.count(409) == 50 - places, codes
    assert vacancies(api_env, CONTESTED) == 0
    listed = api_env.client.get(
        "/api/proposals", params={"limit": 100}, headers=api_env.headers["admin"]
    ).json()
    assert sum(p["household_id"] == CONTESTED for p in listed["items"]) == places


def test_proposal_from_a_round_is_explained_and_reserved(api_env: ApiEnv) -> None:
    finder = api_env.headers["family_finder"]
    started = api_env.client.post(
        "/api/rounds", json={**AS_OF, "mode": "allocate", "time_limit_s": 5}, headers=finder
    )
    round_id = started.json()["round_id"]
    finish_rounds(api_env.app)
    job = api_env.client.get(f"/api/rounds/{round_id}", headers=finder).json()
    assert job["status"] == "done", job
    unit = next(u for u in job["result"]["units"] if u["children"] == ["C001", "C002", "C003"])
    household = unit["candidates"][0]["household_id"]
    before = vacancies(api_env, household)

    created = api_env.client.post(
        "/api/proposals",
        json={
            "source": "round",
            "round_id": round_id,
            "household_id": household,
            "child_id": "C002",
        },
        headers=finder,
    )
    assert created.status_code == 201, created.text
    proposal = created.json()
    assert proposal["unit"] == ["C001", "C002", "C003"] and proposal["places"] == 3
    rationale = proposal["rationale"]
    assert rationale["source"]["kind"] == "round" and rationale["explained"] is True
    assert rationale["score"] == unit["candidates"][0]["score"]
    assert rationale["contributions"] and rationale["excluded_counts"]
    assert vacancies(api_env, household) == before - 3
    # Any child of the unit is now held.
    again = api_env.client.post(
        "/api/proposals",
        json={
            "source": "round",
            "round_id": round_id,
            "household_id": household,
            "child_id": "C003",
        },
        headers=finder,
    )
    assert again.status_code == 409
