"""Replay (issue 16, item 2): a stored shortlist or round computed again from the inputs
kept with it is identical even after the data changed; a tampered stored result is
reported as different, in words; kept inputs that were altered or deleted are refused;
retention deletes only what it should. Runs on SQLite and, with
FAMILYFINDER_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from api.requests import RoundRequest
from api.services.imports import import_directory
from api.services.round_jobs import run_round_now
from api.services.run_inputs import prune_expired_inputs
from matching.policy import default_policy
from models.accounts import AuditEventRow
from models.orm import RoundRunRow, RunInputRow, ShortlistRunRow
from tests.api.cli_support import run
from tests.api.conftest import TINY, TINY_AS_OF, ApiEnv
from tests.api.test_pages_access import sign_in

AS_OF = TINY_AS_OF.isoformat()
# C005's shortlist has one household, H002; with H002 on hold it has none.
CHILD = "C005"


def _changed_tiny(tmp_path: Path) -> Path:
    """The tiny authority with H002 no longer available and a child's needs changed."""
    directory = tmp_path / "changed"
    shutil.copytree(TINY, directory)
    households = directory / "households.csv"
    rows = list(csv.DictReader(households.open(encoding="utf-8")))
    for row in rows:
        if row["household_id"] == "H002":
            row["status"] = "on_hold"
            row["name"] = "The Okafor-Smiths"
    with households.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return directory


def _reimport(env: ApiEnv, directory: Path) -> None:
    with env.session() as session:
        import_directory(session, directory, as_of=TINY_AS_OF, requested_by="test")


def _shortlist(env: ApiEnv) -> dict[str, Any]:
    response = env.client.get(
        f"/api/children/{CHILD}/shortlist?as_of={AS_OF}", headers=env.headers["family_finder"]
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _round(env: ApiEnv) -> int:
    with env.session() as session:
        round_id, _document = run_round_now(
            session,
            RoundRequest(as_of=TINY_AS_OF, time_limit_s=5),
            policy=default_policy(),
            requested_by="family_finder",
        )
    return round_id


def _replay(env: ApiEnv, kind: str, run_id: int, role: str = "family_finder") -> Any:
    return env.client.get(f"/api/runs/{kind}/{run_id}/replay", headers=env.headers[role])


def test_a_shortlist_replays_identical_after_the_data_changed(
    api_env: ApiEnv, tmp_path: Path
) -> None:
    stored = _shortlist(api_env)
    assert [c["household_id"] for c in stored["candidates"]] == ["H002"]
    _reimport(api_env, _changed_tiny(tmp_path))
    # today's data gives another answer: a replay on today's data could not be identical
    assert _shortlist(api_env)["candidates"] == []

    response = _replay(api_env, "shortlist", stored["run_id"])
    assert response.status_code == 200, response.text
    replay = response.json()
    assert replay["identical"] is True and replay["differences"] == []
    assert replay["inputs_fingerprint"] == stored["inputs_fingerprint"]
    assert replay["kind"] == "shortlist" and replay["id"] == stored["run_id"]


def test_a_round_replays_identical_after_the_data_changed(api_env: ApiEnv, tmp_path: Path) -> None:
    round_id = _round(api_env)
    _reimport(api_env, _changed_tiny(tmp_path))
    response = _replay(api_env, "round", round_id)
    assert response.status_code == 200, response.text
    assert response.json()["identical"] is True, response.json()["differences"]
    assert response.json()["seed"] == 0


def test_inputs_are_kept_once_per_data_version(api_env: ApiEnv, tmp_path: Path) -> None:
    _shortlist(api_env)
    _shortlist(api_env)
    _round(api_env)
    with api_env.session() as session:
        assert len(session.scalars(select(RunInputRow)).all()) == 1
        kept = session.scalars(select(RunInputRow)).one()
        assert kept.data is not None and kept.stored_bytes < kept.raw_bytes
    _reimport(api_env, _changed_tiny(tmp_path))
    _shortlist(api_env)
    with api_env.session() as session:
        keys = set(session.scalars(select(ShortlistRunRow.inputs_key)))
        assert len(keys) == 2 == len(session.scalars(select(RunInputRow)).all())


def test_a_tampered_shortlist_is_reported_as_different_in_words(api_env: ApiEnv) -> None:
    stored = _shortlist(api_env)
    result = dict(stored)
    result.pop("run_id")
    result["candidates"][0]["score"] = stored["candidates"][0]["score"] + 3.0
    result["excluded_counts"]["status"] = 9
    with api_env.session() as session:
        session.execute(
            update(ShortlistRunRow)
            .where(ShortlistRunRow.id == stored["run_id"])
            .values(result=result)
        )
        session.commit()
    response = _replay(api_env, "shortlist", stored["run_id"])
    replay = response.json()
    assert replay["identical"] is False
    texts = [d["text"] for d in replay["differences"]]
    assert any(t.startswith("H002 (The Okafors) score:") and "in the replay" in t for t in texts)
    assert any(
        "households left out (not available): 9 when run, 1 in the replay" in t for t in texts
    )


def test_a_tampered_round_names_the_units_whose_households_differ(api_env: ApiEnv) -> None:
    round_id = _round(api_env)
    with api_env.session() as session:
        row = session.scalars(select(RoundRunRow)).one()
        result = json.loads(json.dumps(row.result))
        units = result["units"]
        units[0]["candidates"], units[1]["candidates"] = (
            units[1]["candidates"],
            units[0]["candidates"],
        )
        session.execute(update(RoundRunRow).where(RoundRunRow.id == row.id).values(result=result))
        session.commit()
    replay = _replay(api_env, "round", round_id).json()
    assert replay["identical"] is False
    about = {d["about"] for d in replay["differences"]}
    assert " + ".join(units[0]["children"]) in about and " + ".join(units[1]["children"]) in about


def test_altered_kept_inputs_are_refused(api_env: ApiEnv) -> None:
    stored = _shortlist(api_env)
    with api_env.session() as session:
        kept = session.scalars(select(RunInputRow)).one()
        import zlib

        raw = zlib.decompress(kept.data or b"").replace(b"The Harpers", b"The Harpies")
        session.execute(update(RunInputRow).values(data=zlib.compress(raw)))
        session.commit()
    response = _replay(api_env, "shortlist", stored["run_id"])
    assert response.status_code == 410
    assert "altered" in response.json()["detail"]


def test_replay_is_audited_and_the_panel_only_replays_a_proposals_run(api_env: ApiEnv) -> None:
    stored = _shortlist(api_env)
    assert _replay(api_env, "shortlist", stored["run_id"], role="panel").status_code == 403
    assert _replay(api_env, "shortlist", stored["run_id"], role="recruitment").status_code == 403
    proposal = api_env.client.post(
        "/api/proposals",
        json={"source": "shortlist", "run_id": stored["run_id"], "household_id": "H002"},
        headers=api_env.headers["family_finder"],
    )
    assert proposal.status_code == 201, proposal.text
    assert _replay(api_env, "shortlist", stored["run_id"], role="panel").status_code == 200
    assert _replay(api_env, "shortlist", stored["run_id"], role="decision_maker").status_code == 200
    with api_env.session() as session:
        events = session.scalars(select(AuditEventRow).where(AuditEventRow.child_id == CHILD)).all()
    actions = [(e.username, e.action) for e in events]
    assert ("panel", "denied") in actions
    assert ("panel", "replay_shortlist") in actions
    assert ("decision_maker", "replay_shortlist") in actions


def test_unknown_runs_and_runs_stored_before_replay(api_env: ApiEnv) -> None:
    assert _replay(api_env, "shortlist", 999).status_code == 404
    assert _replay(api_env, "round", 999).status_code == 404
    assert _replay(api_env, "bundle", 1).status_code == 422
    stored = _shortlist(api_env)
    with api_env.session() as session:
        session.execute(update(ShortlistRunRow).values(inputs_key=None, policy_sha256=None))
        session.commit()
    response = _replay(api_env, "shortlist", stored["run_id"])
    assert response.status_code == 410
    assert "stored before runs kept their inputs" in response.json()["detail"]


def _age(env: ApiEnv, days: int) -> None:
    """Make every run and kept input so many days old."""
    then = datetime.now(UTC) - timedelta(days=days)
    with env.session() as session:
        for model in (ShortlistRunRow, RoundRunRow, RunInputRow):
            session.execute(update(model).values(created_at=then))
        session.commit()


def test_retention_prunes_only_inputs_no_recent_run_or_proposal_needs(
    api_env: ApiEnv, tmp_path: Path
) -> None:
    old = _shortlist(api_env)  # data version 1, soon old
    proposed_round = _round(api_env)
    _reimport(api_env, _changed_tiny(tmp_path))
    _shortlist(api_env)  # data version 2, soon old
    _age(api_env, 400)
    _reimport(api_env, TINY)  # back to version 1's data: a new run refers to it again
    with api_env.session() as session:
        stamp = session.scalars(select(RunInputRow.key)).all()
    assert len(stamp) == 2

    # version 1 is referenced by a recent run; version 2 only by old ones
    recent = _shortlist(api_env)
    assert recent["inputs_fingerprint"] == old["inputs_fingerprint"]
    with api_env.session() as session:
        report = prune_expired_inputs(session, retention_days=365, dry_run=True)
        assert len(report.pruned) == 1
        assert report.pruned[0].key != old["inputs_fingerprint"]
        assert session.scalars(select(RunInputRow.data.is_not(None))).all() == [True, True]
        report = prune_expired_inputs(session, retention_days=365)
        assert len(report.pruned) == 1
        # nothing more to prune; a recent run keeps version 1
        assert prune_expired_inputs(session, retention_days=365).pruned == ()

    # the old run on version 1 still replays (its inputs are shared with the recent run)
    assert _replay(api_env, "shortlist", old["run_id"]).json()["identical"] is True
    # the runs on version 2 cannot: their inputs are deleted, and the replay says when
    pruned_run = old["run_id"] + 1
    response = _replay(api_env, "shortlist", pruned_run)
    assert response.status_code == 410
    assert "deleted on" in response.json()["detail"]
    assert "FAMILYFINDER_REPLAY_RETENTION_DAYS" in response.json()["detail"]

    # once every run is old, the proposal's round keeps version 1's inputs
    proposal = api_env.client.post(
        "/api/proposals",
        json={
            "source": "round",
            "round_id": proposed_round,
            "child_id": CHILD,
            "household_id": "H002",
        },
        headers=api_env.headers["family_finder"],
    )
    assert proposal.status_code == 201, proposal.text
    _age(api_env, 400)
    with api_env.session() as session:
        assert prune_expired_inputs(session, retention_days=365).pruned == ()
        session.execute(update(RunInputRow).values(created_at=datetime.now(UTC)))
        session.commit()
    assert _replay(api_env, "round", proposed_round).json()["identical"] is True


def test_the_cli_prints_identical_or_the_differences_with_its_exit_codes(
    api_env: ApiEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = _shortlist(api_env)
    round_id = _round(api_env)
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", api_env.url)
    result = run("replay", "shortlist", str(stored["run_id"]))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == "identical"
    result = run("replay", "round", str(round_id), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["identical"] is True

    with api_env.session() as session:
        row = session.get(ShortlistRunRow, stored["run_id"])
        assert row is not None
        in_pool = row.result["households_in_pool"]  # what the run really saw
        changed = {**row.result, "households_in_pool": in_pool + 1}
        session.execute(
            update(ShortlistRunRow).where(ShortlistRunRow.id == row.id).values(result=changed)
        )
        session.commit()
    result = run("replay", "shortlist", str(stored["run_id"]))
    assert result.exit_code == 9, result.output
    assert f"households in the pool: {in_pool + 1} when run, {in_pool} in the replay" in (
        result.output
    )
    assert run("replay", "shortlist", "999").exit_code == 2

    monkeypatch.setenv("FAMILYFINDER_REPLAY_RETENTION_DAYS", "30")
    _age(api_env, 31)
    result = run("replay", "prune", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("would delete the kept inputs of 1 data version")
    assert run("replay", "prune").output.startswith("deleted the kept inputs of 1 data version")
    result = run("replay", "round", str(round_id))
    assert result.exit_code == 10
    assert "cannot be replayed" in result.output


def test_the_panel_paper_links_to_its_replay_page(api_env: ApiEnv) -> None:
    stored = _shortlist(api_env)
    proposal = api_env.client.post(
        "/api/proposals",
        json={"source": "shortlist", "run_id": stored["run_id"], "household_id": "H002"},
        headers=api_env.headers["family_finder"],
    ).json()
    client = sign_in(api_env, "panel")
    paper = client.get(f"/proposals/{proposal['id']}")
    link = f"/runs/shortlist/{stored['run_id']}/replay?proposal={proposal['id']}"
    assert link.replace("&", "&amp;") in paper.text
    replay = client.get(link)
    assert replay.status_code == 200
    assert "Identical" in replay.text
    assert f"Panel paper {proposal['id']}" in replay.text
    assert client.get("/runs/shortlist/999/replay").status_code == 404


def test_kept_inputs_read_back_as_the_same_authority() -> None:
    from matching.fingerprint import authority_fingerprint
    from matching.run_inputs import decode_authority, encode_authority
    from matching.synthetic import generate_authority

    authority = generate_authority(120, 60, seed=3, as_of=date(2026, 6, 1))
    kept = encode_authority(authority)
    assert kept.key == authority_fingerprint(authority)
    again = decode_authority(kept.data, kept.key)
    assert authority_fingerprint(again) == kept.key
    assert sorted(again.children, key=lambda c: c.child_id) == sorted(
        authority.children, key=lambda c: c.child_id
    )
    assert sorted(again.households, key=lambda h: h.household_id) == sorted(
        authority.households, key=lambda h: h.household_id
    )
