"""The fairness report's doors (issue #16): GET /api/fairness, the /fairness page and
`familyfinder fairness`, for administrators and the oversight role only; and the
reason a panel recommendation or an agency decision must give when it goes against the
system's ranking (required, validated, stored, on the pages, counted in the report)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.services.audit import audit_trail
from models.store import save_shortlist_run
from tests.api.cli_support import TINY, import_into, run
from tests.api.conftest import ApiEnv
from tests.api.test_pages_access import csrf_of, sign_in
from tests.api.test_service_proposals import propose

TODAY = date.today().isoformat()


def ranked_second(env: ApiEnv) -> tuple[dict[str, Any], str, str]:
    """A stored shortlist for C005 ranking H004 first and H001 second (the tiny
    authority's own shortlists have one household each)."""
    candidates = [
        {
            "household_id": household_id,
            "rank": rank,
            "score": score,
            "kinship": False,
            "contributions": [],
            "questions": [],
        }
        for rank, (household_id, score) in enumerate((("H004", 81.0), ("H001", 74.5)), 1)
    ]
    with env.session() as session:
        stored = save_shortlist_run(
            session,
            requested_by="family_finder",
            child_id="C005",
            unit=["C005"],
            as_of=date(2026, 6, 1),
            policy_version="test",
            inputs_fingerprint="0" * 64,
            result={"candidates": candidates, "excluded_counts": {}},
        )
        session.commit()
    return {"run_id": stored.id}, "H004", "H001"


def report(env: ApiEnv, role: str = "admin", **params: str) -> Any:
    return env.client.get("/api/fairness", params=params, headers=env.headers[role])


def test_going_against_the_ranking_needs_a_reason_and_is_counted(api_env: ApiEnv) -> None:
    run, _first, second = ranked_second(api_env)
    created = propose(api_env, run["run_id"], second)
    assert created.status_code == 201, created.text
    url = f"/api/proposals/{created.json()['id']}"
    panel = api_env.headers["panel"]

    # recommending the household ranked second, with no reason why: refused, nothing kept
    refused = api_env.client.post(
        f"{url}/recommendation",
        json={"recommendation": "recommended", "reasons": "needs met"},
        headers=panel,
    )
    assert refused.status_code == 422
    assert "ranked this household 2nd" in refused.json()["detail"]
    assert "ranking_reason" in refused.json()["detail"]
    assert api_env.client.get(url, headers=panel).json()["status"] == "proposed"
    # blanks are no reason
    blank = api_env.client.post(
        f"{url}/recommendation",
        json={"recommendation": "recommended", "reasons": "needs met", "ranking_reason": "  "},
        headers=panel,
    )
    assert blank.status_code == 422

    said = "the carers already know the child from respite care"
    recorded = api_env.client.post(
        f"{url}/recommendation",
        json={"recommendation": "recommended", "reasons": "needs met", "ranking_reason": said},
        headers=panel,
    )
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["recommendation_ranking_reason"] == said

    # the agency decision approving it goes against the ranking too
    decider = api_env.headers["decision_maker"]
    assert (
        api_env.client.post(
            f"{url}/decision", json={"decision": "approved", "reasons": "agree"}, headers=decider
        ).status_code
        == 422
    )
    approved = api_env.client.post(
        f"{url}/decision",
        json={"decision": "approved", "reasons": "agree", "ranking_reason": "as the panel said"},
        headers=decider,
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["decision_ranking_reason"] == "as the panel said"

    figures = report(api_env).json()  # as of today: both steps were taken today
    assert figures["decisions"] == 2 and figures["departures"] == 2
    # a report as of a date before them counts neither
    assert report(api_env, as_of="2026-06-01").json()["decisions"] == 0
    # the unit's children are in some group of every dimension: two steps, each counted
    # (shown as c: 1 to 5)
    for dimension in ("ethnicity", "sex", "age_band", "disability", "sibling_group", "uasc"):
        cells = [o for o in figures["overrides"] if o["dimension"] == dimension]
        assert any(o["departures"] == "c" for o in cells), dimension


def test_taking_the_top_ranked_forward_needs_no_reason_but_declining_it_does(
    api_env: ApiEnv,
) -> None:
    run, first, _second = ranked_second(api_env)
    url = f"/api/proposals/{propose(api_env, run['run_id'], first).json()['id']}"
    agreed = api_env.client.post(
        f"{url}/recommendation",
        json={"recommendation": "recommended", "reasons": "needs met"},
        headers=api_env.headers["panel"],
    )
    assert agreed.status_code == 200 and agreed.json()["recommendation_ranking_reason"] is None
    declined = api_env.client.post(
        f"{url}/decision",
        json={"decision": "declined", "reasons": "not now"},
        headers=api_env.headers["decision_maker"],
    )
    assert declined.status_code == 422
    assert "ranked this household first" in declined.json()["detail"]


def test_the_panel_page_asks_for_the_reason(api_env: ApiEnv) -> None:
    run, _first, second = ranked_second(api_env)
    proposal_id = propose(api_env, run["run_id"], second).json()["id"]
    client = sign_in(api_env, "panel")
    paper = client.get(f"/proposals/{proposal_id}")
    assert "The system ranked this household 2nd, not first" in paper.text
    data = {
        "csrf_token": csrf_of(paper.text),
        "recommendation": "recommended",
        "reasons": "Needs met.",
    }
    refused = client.post(f"/proposals/{proposal_id}/recommendation", data=data)
    assert refused.status_code == 422
    assert "Enter why this goes against the system&#39;s ranking" in refused.text
    assert 'href="#ranking-reason"' in refused.text
    done = client.post(
        f"/proposals/{proposal_id}/recommendation",
        data={**data, "ranking_reason": "Known to the child already."},
    )
    assert done.status_code == 303
    assert "Against the system's ranking, because: Known to the child already." in (
        client.get(f"/proposals/{proposal_id}").text
    )


def test_who_reads_the_report_and_for_which_date(api_env: ApiEnv) -> None:
    today = report(api_env, "oversight")
    assert today.status_code == 200
    body = today.json()
    assert body["as_of"] == TODAY
    assert {"groups", "flags", "overrides"} <= set(body)
    group = body["groups"][0]
    assert set(group) >= {"dimension", "group", "children", "metrics"}
    # oversight reads today's report only; an administrator any date
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    assert report(api_env, "oversight", as_of=yesterday).status_code == 403
    assert report(api_env, "admin", as_of="2026-06-01").json()["as_of"] == "2026-06-01"
    for role in ("family_finder", "recruitment", "panel", "decision_maker"):
        assert report(api_env, role).status_code == 403, role
    downloaded = report(api_env, "admin", as_of="2026-06-01", format="csv")
    assert downloaded.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(downloaded.text)))
    assert rows and rows[0]["dimension"] == "ethnicity"
    # one audit row per read, naming no child
    with api_env.session() as session:
        events, _total = audit_trail(session, username="oversight")
    reads = [e for e in events if e.action == "read_fairness"]
    assert len(reads) == 1 and reads[0].child_id is None


def test_the_fairness_page_for_oversight(api_env: ApiEnv) -> None:
    client = sign_in(api_env, "oversight")
    page = client.get("/fairness")
    assert page.status_code == 200
    assert "Fairness report" in page.text and 'id="figures-ethnicity"' in page.text
    # the navigation offers oversight this page and nothing with a child in it
    assert 'href="/children"' not in page.text
    assert client.get("/children").status_code == 403
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    assert client.get(f"/fairness?as_of={yesterday}").status_code == 403
    download = client.get("/fairness/download.csv")
    assert download.status_code == 200 and download.text.startswith("policy_version,")
    assert sign_in(api_env, "family_finder").get("/fairness").status_code == 403


def test_the_command_prints_json_writes_csv_and_compares(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    import_into(url, TINY)
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", url)
    from matching.policy import default_policy_text

    other = tmp_path / "needs-heavy.toml"
    other.write_text(
        default_policy_text()
        .replace('version = "2026.2"', 'version = "needs-heavy"')
        .replace("needs = 30.0 ", "needs = 90.0 ")
    )
    out = tmp_path / "fairness.csv"
    result = run(
        "fairness", "--as-of", "2026-06-01", "--json", "--csv", str(out), "--compare", str(other)
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["policy_version"] == "2026.2"
    assert body["compare"]["policy_version"] == "needs-heavy"
    header = out.read_text().splitlines()[0]
    assert "compare_value" in header
    text = run("fairness", "--as-of", "2026-06-01")
    assert text.exit_code == 0 and "Fairness report as of 2026-06-01" in text.output
    broken = tmp_path / "broken.toml"
    broken.write_text("version = 1 = 2")
    failed = run("fairness", "--policy", str(broken))
    assert failed.exit_code == 5 and "broken.toml" in failed.output


def test_the_record_reads_the_same_figures(api_env: ApiEnv) -> None:
    """`fairness_for_record` (for the transparency record) gives the report the doors
    give, under the service's policy."""
    from api.services.fairness import fairness_for_record
    from matching.policy import default_policy

    shown = report(api_env, as_of="2026-06-01").json()
    with api_env.session() as session:
        recorded = fairness_for_record(session, as_of=date(2026, 6, 1), policy=default_policy())
    assert recorded.to_json()["groups"] == shown["groups"]
    assert recorded.to_json()["flags"] == shown["flags"]
