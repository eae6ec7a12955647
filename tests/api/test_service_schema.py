"""Property tests against the live OpenAPI schema (schemathesis), signed in as admin and
as a family finder: no 5xx, and every response matches its documented status, content
type and schema. Bounded: a few examples per operation. Plus: the API answers health
checks promptly while a large round runs in the background."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from matching.synthetic import generate_authority
from models.store import bump_data_version, upsert_authority
from tests.api.conftest import TINY_AS_OF, ApiEnv, LiveServer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 6


@pytest.mark.parametrize("role", ["admin", "family_finder"])
def test_live_schema_holds_for_generated_requests(
    api_env: ApiEnv, live_server: LiveServer, role: str
) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server.base_url}/openapi.json")
    headers = api_env.headers[role]
    # Long rounds would only slow the run down; the imports endpoint replaces the data;
    # signing out would end the session the rest of the run signs in with.
    skipped = {("POST", "/api/imports"), ("POST", "/api/logout")}
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if (result.ok().method.upper(), result.ok().path) not in skipped
    ]
    assert len(operations) >= 18
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            if case.method.upper() == "POST" and case.path == "/api/rounds":
                body = dict(case.body) if isinstance(case.body, dict) else {}
                case.body = {**body, "time_limit_s": 0.5}
            case.call_and_validate(base_url=live_server.base_url, headers=headers, checks=CHECKS)

        try:
            check()
        except Exception as error:  # collect every failing operation, then report
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def large_authority(api_env: ApiEnv) -> Iterator[None]:
    authority = generate_authority(1500, 900, seed=11, as_of=TINY_AS_OF)
    with Session(api_env.app.state.engine) as session:
        upsert_authority(session, authority)
        bump_data_version(session)
        session.commit()
    yield


def test_health_answers_while_a_large_round_runs(
    api_env: ApiEnv, large_authority: None, live_server: LiveServer
) -> None:
    """The solver runs beside the requests, not instead of them: health checks are
    answered while the round is running. (How fast is measured in benchmarks/, not
    asserted here: issue #13.)"""
    base = live_server.base_url
    headers = api_env.headers["family_finder"]
    started = httpx.post(
        f"{base}/api/rounds",
        json={"as_of": TINY_AS_OF.isoformat(), "mode": "allocate", "time_limit_s": 4},
        headers=headers,
        timeout=None,
    )
    assert started.status_code == 202
    round_url = f"{base}/api/rounds/{started.json()['round_id']}"
    answered_while_running = 0
    with httpx.Client(timeout=None) as client:
        while True:
            health = client.get(f"{base}/api/health").status_code
            state = client.get(round_url, headers=headers).json()["status"]
            if state == "running" and health == 200:
                answered_while_running += 1
            if state in ("done", "failed"):
                break
            time.sleep(0.05)
    assert state == "done"
    assert answered_while_running > 0
