"""Rounds as bounded background work (issue #13): limits, cancelling, one id, owners.

No clock anywhere: a round is held queued by occupying the one round worker with a
gate the test opens, a "running" round is a stand-in solver that waits for its cancel,
and heartbeats are stamped into the database rather than waited for.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.services import round_jobs
from api.services.users import create_user
from api.settings import Settings
from matching.errors import Cancelled
from models.round_job_store import add_round_job, get_round_job, update_round_job
from tests.api.conftest import SECRET, TINY_AS_OF, ApiEnv, LiveServer, finish_rounds
from tests.api.test_pages_access import csrf_of, sign_in

ROUND = {"as_of": TINY_AS_OF.isoformat(), "mode": "allocate", "time_limit_s": 5}


@pytest.fixture
def worker_held(api_env: ApiEnv) -> Iterator[threading.Event]:
    """The round worker busy until the test sets the event: rounds stay queued."""
    gate = threading.Event()
    api_env.app.state.round_executor.submit(gate.wait)
    try:
        yield gate
    finally:
        gate.set()
        finish_rounds(api_env.app)


def start(env: ApiEnv, role: str = "family_finder", **headers: str) -> httpx.Response:
    return env.client.post("/api/rounds", json=ROUND, headers={**env.headers[role], **headers})


def status_of(env: ApiEnv, round_id: int) -> dict[str, Any]:
    response = env.client.get(f"/api/rounds/{round_id}", headers=env.headers["admin"])
    assert response.status_code == 200, response.text
    return dict(response.json())


def signed_in(env: ApiEnv, username: str, role: str) -> dict[str, str]:
    with env.session() as session:
        create_user(session, username, f"{username}-password-long", role)
    token = env.client.post(
        "/api/token", data={"username": username, "password": f"{username}-password-long"}
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_one_round_per_person_and_a_few_in_all(
    api_env: ApiEnv, worker_held: threading.Event
) -> None:
    api_env.app.state.round_worker.limits = round_jobs.RoundLimits(per_user=1, total=2)
    first = start(api_env)
    assert first.status_code == 202, first.text
    mine = first.json()["round_id"]

    again = start(api_env)
    assert again.status_code == 429
    detail = again.json()["detail"]
    # says which round is in the way and what to do about it
    assert f"round {mine} queued" in detail and f"/api/rounds/{mine}/cancel" in detail

    assert start(api_env, "admin").status_code == 202  # another person: 2 in all now
    other = signed_in(api_env, "finder2", "family_finder")
    full = api_env.client.post("/api/rounds", json=ROUND, headers=other)
    assert full.status_code == 429
    assert "limit" in full.json()["detail"] and full.headers["Retry-After"].isdigit()

    # Cancelling the first round makes room for its owner again.
    cancelled = api_env.client.post(
        f"/api/rounds/{mine}/cancel", headers=api_env.headers["family_finder"]
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelled_by"] == "family_finder"
    assert start(api_env).status_code == 202

    worker_held.set()
    finish_rounds(api_env.app)
    # The cancelled round never ran: no result, still cancelled.
    after = status_of(api_env, mine)
    assert (after["status"], after["result"]) == ("cancelled", None)


def test_parallel_requests_cannot_all_slip_under_the_limit(
    api_env: ApiEnv, live_server: LiveServer, worker_held: threading.Event
) -> None:
    headers = api_env.headers["family_finder"]

    def post(_: int) -> int:
        response = httpx.post(
            f"{live_server.base_url}/api/rounds", json=ROUND, headers=headers, timeout=None
        )
        return response.status_code

    with ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(post, range(8)))
    assert codes == [202] + [429] * 7


def test_only_the_requester_or_an_admin_may_cancel_and_a_finished_round_stays(
    api_env: ApiEnv, worker_held: threading.Event
) -> None:
    round_id = start(api_env).json()["round_id"]
    stranger = signed_in(api_env, "finder3", "family_finder")
    refused = api_env.client.post(f"/api/rounds/{round_id}/cancel", headers=stranger)
    assert refused.status_code == 403
    assert status_of(api_env, round_id)["status"] == "queued"
    by_admin = api_env.client.post(
        f"/api/rounds/{round_id}/cancel", headers=api_env.headers["admin"]
    )
    assert by_admin.json()["status"] == "cancelled"
    twice = api_env.client.post(f"/api/rounds/{round_id}/cancel", headers=api_env.headers["admin"])
    assert twice.status_code == 409 and "already finished (cancelled)" in twice.json()["detail"]
    assert (
        api_env.client.post("/api/rounds/999999/cancel", headers=api_env.headers["admin"])
    ).status_code == 404


def _stand_in_solver(
    running: threading.Event,
) -> Any:
    """A round that runs until it is told to stop, as the solver does (it raises
    Cancelled when `should_stop` answers True)."""

    def run_round(session: Session, params: Any, **kwargs: Any) -> Any:
        progress, should_stop = kwargs["progress"], kwargs["should_stop"]
        progress("cp_sat component 1/1", 0.5)
        running.set()
        while not should_stop():
            threading.Event().wait(0.01)
        raise Cancelled("the round was cancelled")

    return run_round


def test_cancelling_a_running_round_stops_it_and_it_reads_cancelled(
    api_env: ApiEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = threading.Event()
    monkeypatch.setattr(round_jobs, "run_round", _stand_in_solver(running))
    round_id = start(api_env).json()["round_id"]
    running.wait()
    assert status_of(api_env, round_id)["status"] == "running"
    cancelled = api_env.client.post(
        f"/api/rounds/{round_id}/cancel", headers=api_env.headers["family_finder"]
    )
    assert cancelled.json()["status"] == "cancelled"
    finish_rounds(api_env.app)  # returns only once the stand-in solver has stopped
    after = status_of(api_env, round_id)
    assert (after["status"], after["stage"], after["result"]) == ("cancelled", "cancelled", None)


def test_a_cancel_made_through_another_process_reaches_the_solver_at_the_next_beat(
    api_env: ApiEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = threading.Event()
    monkeypatch.setattr(round_jobs, "run_round", _stand_in_solver(running))
    round_id = start(api_env).json()["round_id"]
    running.wait()
    # Another process cancels it: only the database says so.
    with api_env.session() as session:
        update_round_job(session, round_id, status="cancelled", cancelled_by="admin")
        session.commit()
    api_env.app.state.round_worker.beat()
    finish_rounds(api_env.app)
    assert status_of(api_env, round_id)["status"] == "cancelled"


def test_the_rounds_page_cancels_a_round_and_shows_the_limit(
    api_env: ApiEnv, worker_held: threading.Event
) -> None:
    client = sign_in(api_env, "family_finder")
    token = csrf_of(client.get("/rounds").text)
    form = {
        "csrf_token": token,
        "mode": "allocate",
        "per_unit": "3",
        "max_appearances": "3",
        "time_limit_s": "2",
    }
    started = client.post("/rounds", data=form)
    assert started.status_code == 303
    round_url = started.headers["location"]
    refused = client.post("/rounds", data=form)
    assert refused.status_code == 429
    assert "The round was not started" in refused.text and "cancel" in refused.text

    page = client.get(round_url).text
    assert "Cancel round" in page
    cancelled = client.post(round_url + "/cancel", data={"csrf_token": csrf_of(page)})
    assert cancelled.status_code == 303
    page = client.get(round_url).text
    assert "Cancelled by family_finder" in page and "Cancel round" not in page
    listed = client.get("/rounds").text
    assert f'href="{round_url}"' in listed and "Cancelled" in listed


def test_a_second_server_leaves_the_first_ones_rounds_alone_but_sweeps_a_dead_ones(
    api_env: ApiEnv,
) -> None:
    now = datetime.now(UTC)
    with api_env.session() as session:
        alive = add_round_job(
            session, requested_by="admin", params={}, owner="serve:first", now=now
        ).id
        update_round_job(session, alive, status="running", stage="solving")
        dead = add_round_job(
            session,
            requested_by="admin",
            params={},
            owner="serve:dead",
            now=now - timedelta(hours=1),  # its process last beat an hour ago
        ).id
        update_round_job(session, dead, status="running", stage="solving")
        session.commit()

    second = create_app(Settings(database_url=api_env.url, secret_key=SECRET))  # type: ignore[call-arg]
    try:
        with TestClient(second):  # the second process starts
            pass
    finally:
        second.state.engine.dispose()
    with api_env.session() as session:
        assert get_round_job(session, alive).status == "running"
        swept = get_round_job(session, dead)
        assert swept.status == "failed" and "interrupted" in (swept.error or "")

    # The first process goes silent in turn: a live process's heartbeat sweeps it.
    with api_env.session() as session:
        update_round_job(session, alive, heartbeat_at=now - timedelta(hours=1))
        session.commit()
    api_env.app.state.round_worker.beat()
    with api_env.session() as session:
        assert get_round_job(session, alive).status == "failed"


def test_the_heartbeat_keeps_this_process_rounds_alive(
    api_env: ApiEnv, worker_held: threading.Event
) -> None:
    round_id = start(api_env).json()["round_id"]
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    with api_env.session() as session:
        update_round_job(session, round_id, heartbeat_at=long_ago)
        session.commit()
    api_env.app.state.round_worker.beat()  # its own beat comes before its sweep
    with api_env.session() as session:
        job = get_round_job(session, round_id)
        assert job.status == "queued"
        assert job.heartbeat_at is not None and job.heartbeat_at > long_ago
        assert job.owner == api_env.app.state.round_worker.owner


# ----------------------------------------------------------------------------- one id


def test_a_proposal_names_the_round_by_its_one_id(api_env: ApiEnv) -> None:
    finder = api_env.headers["family_finder"]
    round_id = start(api_env).json()["round_id"]
    finish_rounds(api_env.app)
    shown = status_of(api_env, round_id)
    assert shown["status"] == "done" and "run_id" not in shown
    unit = shown["result"]["units"][0]
    proposal = {
        "source": "round",
        "household_id": unit["candidates"][0]["household_id"],
        "child_id": unit["children"][0],
    }
    # The old field is refused for a round, whatever its value: never another round.
    old = api_env.client.post("/api/proposals", json={**proposal, "run_id": 1}, headers=finder)
    assert old.status_code == 422 and "round_id" in old.json()["detail"]
    missing = api_env.client.post("/api/proposals", json=proposal, headers=finder)
    assert missing.status_code == 422
    wrong = api_env.client.post(
        "/api/proposals", json={**proposal, "round_id": round_id + 1}, headers=finder
    )
    assert wrong.status_code == 404 and f"no round with id {round_id + 1}" in wrong.text
    made = api_env.client.post(
        "/api/proposals", json={**proposal, "round_id": round_id}, headers=finder
    )
    assert made.status_code == 201, made.text
    assert made.json()["source_id"] == round_id
    assert made.json()["rationale"]["source"]["round_id"] == round_id
    listed = api_env.client.get("/api/rounds", headers=finder).json()["items"]
    assert listed[0]["round_id"] == round_id and "result" not in listed[0]


def test_a_round_not_done_cannot_be_proposed_from(
    api_env: ApiEnv, worker_held: threading.Event
) -> None:
    round_id = start(api_env).json()["round_id"]
    made = api_env.client.post(
        "/api/proposals",
        json={"source": "round", "round_id": round_id, "household_id": "H001", "child_id": "C001"},
        headers=api_env.headers["family_finder"],
    )
    assert made.status_code == 409 and f"round {round_id} is queued" in made.json()["detail"]
