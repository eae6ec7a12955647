"""Every read of child-level data is audited, whichever route (issue #13): lists name
the children they returned, a round's result names its children, refusals are
recorded, and the recorded address is the connection's unless a trusted proxy says
otherwise."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.commands.serve import uvicorn_config
from api.proxies import TrustedProxies, parse_trusted_proxies
from tests.api.conftest import (
    TINY_AS_OF,
    ApiEnv,
    _new_database,
    build_env,
    finish_rounds,
    free_port,
)
from tests.api.test_pages_access import sign_in

AS_OF = TINY_AS_OF.isoformat()


def events(env: ApiEnv, **params: str) -> list[dict[str, Any]]:
    response = env.client.get(
        "/api/audit", params={"limit": 1000, **params}, headers=env.headers["admin"]
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def named(event: dict[str, Any]) -> list[str]:
    """The children a list event names."""
    subject = str(event["subject"])
    assert " children=" in subject, subject
    listed = subject.rsplit("children=", 1)[1]
    return listed.split(",") if listed else []


def test_a_list_of_children_is_one_row_naming_the_children_returned(api_env: ApiEnv) -> None:
    finder = api_env.headers["family_finder"]
    page = api_env.client.get("/api/children", params={"limit": 2, "offset": 2}, headers=finder)
    assert [c["child_id"] for c in page.json()["items"]] == ["C003", "C004"]
    [event] = [e for e in events(api_env) if e["action"] == "list_children"]
    assert named(event) == ["C003", "C004"]
    # "who has seen C004?" finds the list; a child it did not return is not matched
    assert [e["action"] for e in events(api_env, child_id="C004")] == ["list_children"]
    assert events(api_env, child_id="C001") == []
    assert events(api_env, child_id="C00") == [] and events(api_env, child_id="C00_") == []

    # The family finder's waiting list page (the same service): one row for its page,
    # naming every child it shows (in the page's order: longest waiting first).
    client = sign_in(api_env, "family_finder")
    assert client.get("/children").status_code == 200
    lists = [e for e in events(api_env) if e["action"] == "list_children"]
    assert len(lists) == 2
    assert sorted(named(lists[0])) == ["C001", "C002", "C003", "C004", "C005", "C006"]


def test_the_proposal_list_names_the_children_it_carries(api_env: ApiEnv) -> None:
    finder = api_env.headers["family_finder"]
    run = api_env.client.get(
        "/api/children/C004/shortlist", params={"as_of": AS_OF}, headers=finder
    ).json()["run_id"]
    made = api_env.client.post(
        "/api/proposals",
        json={"source": "shortlist", "run_id": run, "household_id": "H003"},
        headers=finder,
    )
    assert made.status_code == 201, made.text
    listed = api_env.client.get("/api/proposals", headers=api_env.headers["panel"])
    assert "records" in listed.text  # the list carries the frozen child records
    [event] = [e for e in events(api_env) if e["action"] == "list_proposals"]
    assert event["username"] == "panel" and named(event) == ["C004"]
    assert f"proposals={made.json()['id']}" in event["subject"]


def test_a_rounds_result_is_a_read_of_every_child_in_it(api_env: ApiEnv) -> None:
    finder = api_env.headers["family_finder"]
    round_id = api_env.client.post(
        "/api/rounds", json={"as_of": AS_OF, "time_limit_s": 5}, headers=finder
    ).json()["round_id"]
    finish_rounds(api_env.app)
    shown = api_env.client.get(f"/api/rounds/{round_id}", headers=finder).json()
    children = sorted(c for unit in shown["result"]["units"] for c in unit["children"])
    [event] = [e for e in events(api_env) if e["action"] == "read_round"]
    assert named(event) == children and f"round={round_id}" in event["subject"]
    # the rounds page reads the same result through the same service
    client = sign_in(api_env, "family_finder")
    assert client.get(f"/rounds/{round_id}").status_code == 200
    assert len([e for e in events(api_env) if e["action"] == "read_round"]) == 2
    assert {e["action"] for e in events(api_env, child_id="C006")} == {"read_round"}


def test_refused_reads_of_child_data_are_recorded(api_env: ApiEnv) -> None:
    recruitment = api_env.headers["recruitment"]
    assert api_env.client.get("/api/children/C001", headers=recruitment).status_code == 403
    # the panel may read only children on its agenda (none here)
    panel = api_env.headers["panel"]
    assert api_env.client.get("/api/children/C002", headers=panel).status_code == 403
    assert api_env.client.get("/api/children", headers=panel).status_code == 403
    # and through the pages
    client = sign_in(api_env, "recruitment")
    assert client.get("/children/C003").status_code == 403

    denied = [e for e in events(api_env) if e["action"] == "denied"]
    by_child = {e["child_id"]: e for e in denied if e["child_id"]}
    assert set(by_child) == {"C001", "C002", "C003"}
    assert by_child["C001"]["username"] == "recruitment"
    assert by_child["C001"]["subject"].startswith("GET /api/children/C001")
    assert "agenda" not in by_child["C001"]["subject"]
    assert by_child["C002"]["role"] == "panel"
    assert by_child["C003"]["subject"].startswith("GET /children/C003")
    assert any(e["subject"].startswith("GET /api/children:") for e in denied)
    assert [e["action"] for e in events(api_env, child_id="C002")] == ["denied"]


@dataclass
class Served:
    base_url: str
    env: ApiEnv


@pytest.fixture
def served(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Served]:
    """The tiny authority served with `familyfinder serve`'s uvicorn configuration, with
    the trusted proxies given by the test's parameter."""
    url, drop = _new_database(database_url, tmp_path, "ff_api")
    env = build_env(url, trusted_proxies=request.param)
    port = free_port()
    config = uvicorn_config(env.app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # no clock: however long a busy machine takes
        if not thread.is_alive():
            raise RuntimeError("the server stopped before it started (see its log)")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", env)
    finally:
        server.should_exit = True
        thread.join()
        env.app.state.engine.dispose()
        drop()


def _read_and_audit(served: Served, forwarded: str) -> str:
    headers = served.env.headers
    read = httpx.get(
        f"{served.base_url}/api/children/C001",
        headers={**headers["family_finder"], "X-Forwarded-For": forwarded},
        timeout=None,
    )
    assert read.status_code == 200, read.text
    audit = httpx.get(
        f"{served.base_url}/api/audit",
        params={"child_id": "C001"},
        headers=headers["admin"],
        timeout=None,
    )
    return str(audit.json()["items"][0]["client_address"])


@pytest.mark.parametrize("served", [""], indirect=True)
def test_a_forwarded_for_header_cannot_choose_the_recorded_address(served: Served) -> None:
    assert _read_and_audit(served, "203.0.113.9") == "127.0.0.1"


@pytest.mark.parametrize("served", ["127.0.0.1"], indirect=True)
def test_a_trusted_proxy_names_the_client(served: Served) -> None:
    # the proxy on 127.0.0.1 appended the client it saw; what the client wrote is ignored
    assert _read_and_audit(served, "198.51.100.1, 203.0.113.9") == "203.0.113.9"


def test_which_forwarded_address_is_believed() -> None:
    proxies = TrustedProxies(parse_trusted_proxies("10.0.0.0/8, 127.0.0.1"))
    assert proxies.client("192.0.2.5", ["203.0.113.9"]) == "192.0.2.5"  # not a proxy
    assert proxies.client("127.0.0.1", []) == "127.0.0.1"
    assert proxies.client("127.0.0.1", ["203.0.113.9"]) == "203.0.113.9"
    # two trusted hops: the right-most untrusted address is the client
    assert proxies.client("10.1.2.3", ["1.1.1.1, 203.0.113.9, 10.0.0.7"]) == "203.0.113.9"
    assert proxies.client("10.1.2.3", ["1.1.1.1", "203.0.113.9"]) == "203.0.113.9"
    assert proxies.client("127.0.0.1", ["not-an-address"]) == "127.0.0.1"
    with pytest.raises(ValueError, match="'nonsense' is not an IP address"):
        parse_trusted_proxies("127.0.0.1, nonsense")
