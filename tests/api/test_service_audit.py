"""The audit trail: every read of a child's record, shortlist or proposal and every
export is recorded (who, role, what, which child or report, when, from where); no
endpoint changes it, and on PostgreSQL the table itself refuses UPDATE and DELETE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.api.conftest import TINY_AS_OF, ApiEnv


def events(env: ApiEnv, **params: str) -> list[dict[str, object]]:
    response = env.client.get("/api/audit", params=params, headers=env.headers["admin"])
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_reads_and_exports_are_recorded(api_env: ApiEnv) -> None:
    finder = api_env.headers["family_finder"]
    before = datetime.now(UTC) - timedelta(seconds=1)
    assert api_env.client.get("/api/children/C005", headers=finder).status_code == 200
    shown = api_env.client.get(
        "/api/children/C001/shortlist", params={"as_of": TINY_AS_OF.isoformat()}, headers=finder
    ).json()
    # recruitment reads published reports only (issue #13): an admin publishes the date
    api_env.client.post(
        "/api/gaps/publications",
        json={"as_of": TINY_AS_OF.isoformat()},
        headers=api_env.headers["admin"],
    )
    api_env.client.get(
        "/api/gaps",
        params={"as_of": TINY_AS_OF.isoformat(), "format": "csv"},
        headers=api_env.headers["recruitment"],
    )

    read = events(api_env, child_id="C005")
    assert len(read) == 1
    event = read[0]
    assert (event["username"], event["role"], event["action"]) == (
        "family_finder",
        "family_finder",
        "read_child",
    )
    assert event["client_address"] == "testclient"
    assert datetime.fromisoformat(str(event["occurred_at"])) >= before

    # A sibling group's shortlist is a read of every child in it.
    shortlist_reads = [e for e in events(api_env) if e["action"] == "read_shortlist"]
    assert sorted(str(e["child_id"]) for e in shortlist_reads) == ["C001", "C002", "C003"]
    assert {e["subject"] for e in shortlist_reads} == {f"shortlist as_of={shown['as_of']}"}

    export = events(api_env, username="recruitment")
    assert [e["action"] for e in export] == ["export_gaps"]
    assert "format=csv" in str(export[0]["subject"]) and "suppressed=True" in str(
        export[0]["subject"]
    )

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert events(api_env, since=tomorrow) == []
    assert len(events(api_env, until=tomorrow, child_id="C005")) == 1


def test_no_endpoint_changes_the_audit_trail(api_env: ApiEnv) -> None:
    admin = api_env.headers["admin"]
    api_env.client.get("/api/children/C005", headers=admin)
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        response = api_env.client.request(method, "/api/audit", headers=admin)
        assert response.status_code == 405
        assert response.json()["error"] == "MethodNotAllowed"
    assert len(events(api_env, child_id="C005")) == 1


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET username = 'someone else'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
    ],
)
def test_postgres_refuses_to_change_audit_events(api_env: ApiEnv, statement: str) -> None:
    api_env.client.get("/api/children/C005", headers=api_env.headers["admin"])
    with api_env.app.state.engine.connect() as connection:
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(statement))
        connection.rollback()
        count = connection.execute(
            text("SELECT count(*) FROM audit_event WHERE child_id = 'C005'")
        ).scalar()
    assert count == 1
