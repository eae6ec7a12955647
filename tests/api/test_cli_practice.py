"""The sibling and legal-status practice rules through the CLI, the service and the API,
on the tiny authority's practice cases (fixtures/tiny/practice/README in ../README.md)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest

from api.services.imports import import_directory
from api.services.snapshot import clear_snapshots
from tests.api.cli_support import AS_OF, import_into, run
from tests.api.conftest import TINY_AS_OF, _new_database, build_env
from tests.api.test_pages_access import sign_in

PRACTICE = Path(__file__).resolve().parents[2] / "fixtures" / "tiny" / "practice"


@pytest.fixture
def practice(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", fresh_database_url)
    monkeypatch.delenv("FAMILYFINDER_POLICY_FILE", raising=False)
    assert run("db", "upgrade").exit_code == 0
    import_into(fresh_database_url, PRACTICE)
    return fresh_database_url


def test_the_import_warns_of_the_contradiction_and_imports_everyone(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", fresh_database_url)
    assert run("db", "upgrade").exit_code == 0
    result = run("import", str(PRACTICE), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "sibling_links.csv:" in result.output and ": warning:" in result.output


def test_the_round_shows_warnings_and_holds_the_contradiction(practice: str) -> None:
    result = run("round", "--as-of", AS_OF, "--json", "--mode", "allocate")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    by_unit = {tuple(u["children"]): u for u in data["units"]}
    pending = by_unit[("C007", "C008")]
    assert [c["household_id"] for c in pending["candidates"]] == ["H007"]
    assert [w["code"] for w in pending["warnings"]] == ["pending_assessment"]
    hal = by_unit[("C012",)]
    assert [c["household_id"] for c in hal["candidates"]] == ["H008"]
    assert hal["warnings"][0]["code"] == "sibling_reunification"
    assert "warnings" not in by_unit[("C005",)]  # only where there is one
    (held,) = data["unplaced"]
    assert held["children"] == ["C009", "C010", "C011"]
    assert held["reason"] == "sibling_contradiction"
    assert "assessed apart" in held["reasons"][0]
    # never silently dropped: the held children count as waiting
    assert (data["children_waiting"], data["children_placed"]) == (13, 10)


def test_a_held_child_cannot_be_shortlisted(practice: str) -> None:
    refused = run("shortlist", "C010", "--as-of", AS_OF, "--json")
    assert refused.exit_code == 4
    assert "cannot be shortlisted until a person resolves" in refused.stderr
    shown = run("shortlist", "C008", "--as-of", AS_OF, "--json")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["unit"] == ["C007", "C008"]
    assert data["warnings"][0]["code"] == "pending_assessment"


def test_the_api_and_the_child_page_refuse_a_held_child(database_url: str, tmp_path: Path) -> None:
    url, drop = _new_database(database_url, tmp_path, "ff_practice")
    env = build_env(url, load_tiny=False)
    try:
        with env.session() as session:
            import_directory(session, PRACTICE, as_of=TINY_AS_OF, requested_by="test")
        clear_snapshots()
        with env.client:
            refused = env.client.get(
                "/api/children/C010/shortlist",
                params={"as_of": TINY_AS_OF.isoformat()},
                headers=env.headers["family_finder"],
            )
            assert refused.status_code == 409
            assert "cannot be shortlisted until a person resolves" in refused.json()["detail"]
            finder = sign_in(env, "family_finder")
            page = finder.get("/children/C010")
            assert page.status_code == 200
            assert "cannot be shortlisted until a person resolves" in html.unescape(page.text)
            pending = finder.get("/children/C007").text
            assert 'data-shortlist-warning="pending_assessment"' in pending

            # proposals carry the sibling decision and the kind of placement to the paper
            def propose(child_id: str, household_id: str) -> dict[str, Any]:
                shown = env.client.get(
                    f"/api/children/{child_id}/shortlist",
                    params={"as_of": TINY_AS_OF.isoformat()},
                    headers=env.headers["family_finder"],
                ).json()
                made = env.client.post(
                    "/api/proposals",
                    json={
                        "source": "shortlist",
                        "run_id": shown["run_id"],
                        "household_id": household_id,
                    },
                    headers=env.headers["family_finder"],
                )
                assert made.status_code == 201, made.text
                proposal: dict[str, Any] = made.json()
                return proposal

            sisters = propose("C007", "H007")
            assert sisters["rationale"]["sibling_warnings"][0]["code"] == "pending_assessment"
            baby = propose("C004", "H003")
            assert baby["rationale"]["placement"] == "fostering_for_adoption"
            admin = sign_in(env, "admin")
            paper = html.unescape(admin.get(f"/proposals/{baby['id']}").text)
            assert "Proposed as a fostering-for-adoption placement" in paper
            paper = admin.get(f"/proposals/{sisters['id']}").text
            assert 'data-paper-warning="pending_assessment"' in paper
    finally:
        env.app.state.engine.dispose()
        drop()
