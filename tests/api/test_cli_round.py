"""`familyfinder round`: allocate and shortlist rounds over every waiting unit.

The tiny authority's allocation is worked by hand in fixtures/tiny/README.md; a small
synthetic authority exercises the shortlist limits K and M, and hand-edited copies of
the tiny authority make units unplaceable for each kind of reason.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from api.services.exports import write_directory
from matching.fingerprint import authority_fingerprint
from matching.synthetic import generate_authority
from models.db import make_engine
from models.round_job_store import get_round_job
from models.store import RoundRunRecord, get_round_run, list_round_runs, load_authority
from tests.api.cli_support import AS_OF, TINY, import_into, run

# fixtures/tiny/README.md: "the sibling group goes to the Harpers, the baby to the Lees
# (fostering for adoption), Dee to the Okafors, Eli to Aunt Jo (kinship first)".
TIERS = ("kinship", "needs_met", "permanence")
TINY_ALLOCATION = {
    ("C001", "C002", "C003"): "H001",
    ("C004",): "H003",
    ("C005",): "H002",
    ("C006",): "H005",
    ("C011",): "H011",  # kinship first: her grandparents, though strangers score higher
    ("C012",): "H015",  # needs first, then an approval to 18, though others score higher
}


def round_json(*args: str) -> dict[str, Any]:
    result = run("round", "--as-of", AS_OF, "--json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def stored_rounds(url: str) -> list[RoundRunRecord]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return list_round_runs(session, limit=1000)
    finally:
        engine.dispose()


@pytest.fixture
def fresh_cli(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", fresh_database_url)
    monkeypatch.delenv("FAMILYFINDER_POLICY_FILE", raising=False)
    return fresh_database_url


def placements(data: dict[str, Any]) -> dict[tuple[str, ...], list[str]]:
    return {
        tuple(unit["children"]): [c["household_id"] for c in unit["candidates"]]
        for unit in data["units"]
    }


def test_allocate_places_all_six_tiny_children_as_worked_by_hand(tiny: str) -> None:
    data = round_json("--mode", "allocate")
    for key in (
        "mode",
        "solver",
        "status",
        "objective",
        "best_bound",
        "gap",
        "wall_s",
        "children_placed",
        "units",
        "unplaced",
        "sibling_contact",
        "skipped_units",
        "round_id",
        "inputs_fingerprint",
        "policy_version",
        "seed",
    ):
        assert key in data, key
    assert data["mode"] == "allocate"
    assert data["status"] == "OPTIMAL" and data["gap"] == 0.0
    assert data["children_placed"] == 8 and data["children_waiting"] == 8
    assert {unit: hs for unit, hs in placements(data).items()} == {
        unit: [household] for unit, household in TINY_ALLOCATION.items()
    }
    assert data["unplaced"] == []
    assert data["skipped_units"]["units"] == 0
    for unit in data["units"]:
        assert 0 < unit["candidates"][0]["score"] <= 100
        assert unit["priority"] >= 1
    # Dee and Eli are half-siblings assessed apart: placed apart, their distance reported.
    [contact] = data["sibling_contact"]
    assert {contact["household_a"], contact["household_b"]} == {"H002", "H005"}
    assert contact["distance_km"] > 0


def test_the_round_is_stored_with_its_inputs(tiny: str) -> None:
    before = len(stored_rounds(tiny))
    data = round_json("--mode", "allocate", "--seed", "7", "--time-limit", "5")
    assert len(stored_rounds(tiny)) == before + 1
    engine = make_engine(tiny)
    try:
        with Session(engine) as session:
            # the round's id is its job's; the job leads to the stored run
            job = get_round_job(session, data["round_id"])
            assert job.status == "done" and job.requested_by.startswith("cli")
            assert job.round_run_id is not None
            stored = get_round_run(session, job.round_run_id)
            fingerprint = authority_fingerprint(load_authority(session))
    finally:
        engine.dispose()
    assert stored.mode == "allocate" and stored.seed == 7
    assert stored.params["time_limit_s"] == 5.0 and stored.params["seed"] == 7
    assert stored.status == "OPTIMAL" and stored.solver == data["solver"]
    assert stored.policy_version == "2026.2"
    assert stored.inputs_fingerprint == fingerprint == data["inputs_fingerprint"]
    assert stored.as_of == date(2026, 6, 1)
    assert placements(stored.result) == placements(data)


def test_readable_summary(tiny: str) -> None:
    result = run("round", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    out = result.stdout
    # issue #15: the mode and the solver's status in words, not codes
    assert "one household for each child (allocation)" in out
    assert "The best allocation possible (proven)" in out
    assert "children placed: 8 of 8" in out
    assert "C001 + C002 + C003" in out and "H001" in out
    assert "Without a household" not in out


def test_bad_mode_is_a_usage_error(tiny: str) -> None:
    result = run("round", "--mode", "lottery")
    assert result.exit_code == 2
    assert "lottery" in result.stderr


def test_progress_on_a_terminal_does_not_change_the_result(
    tiny: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("api.commands.common.stderr_is_terminal", lambda: True)
    data = round_json("--time-limit", "3")
    assert placements(data) == {unit: [h] for unit, h in TINY_ALLOCATION.items()}


def test_shortlist_mode_respects_k_and_m(fresh_cli: str, tmp_path: Path) -> None:
    authority = generate_authority(60, 90, seed=11, as_of=date(2026, 6, 1))
    write_directory(authority, tmp_path / "synthetic")
    import_into(fresh_cli, tmp_path / "synthetic")

    for k, m in ((2, 1), (3, 2), (1, 5)):
        data = round_json("--mode", "shortlist", "--per-unit", str(k), "--max-appearances", str(m))
        assert data["mode"] == "shortlist" and data["status"] == "OPTIMAL"
        assert data["params"]["per_unit"] == k and data["params"]["max_appearances"] == m
        lists = [[c["household_id"] for c in unit["candidates"]] for unit in data["units"]]
        assert all(len(hs) <= k for hs in lists)
        assert all(len(set(hs)) == len(hs) for hs in lists)
        appearances = Counter(h for hs in lists for h in hs)
        assert max(appearances.values()) <= m
        assert data["units_covered"] == sum(1 for hs in lists if hs)
        for unit in data["units"]:  # best first: the policy's tiers, then the score
            keys = [
                (tuple(t in c.get("tiers", ()) for t in TIERS), c["score"])
                for c in unit["candidates"]
            ]
            assert keys == sorted(keys, reverse=True)
    # more room per household can only cover more units
    tight = round_json("--mode", "shortlist", "--per-unit", "1", "--max-appearances", "1")
    loose = round_json("--mode", "shortlist", "--per-unit", "1", "--max-appearances", "4")
    assert loose["units_covered"] >= tight["units_covered"] > 0
    assert len(stored_rounds(fresh_cli)) == 5


def _tiny_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "tiny"
    shutil.copytree(TINY, directory)
    return directory


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_unplaced_units_say_why(fresh_cli: str, tmp_path: Path) -> None:
    directory = _tiny_copy(tmp_path)
    # The Okafors go on hold: nobody passes Dee's hard rules.
    _replace(
        directory / "households.csv",
        "54.5246,-1.5526,2019-09-12,available",
        "54.5246,-1.5526,2019-09-12,on_hold",
    )
    # The baby's twin-in-all-but-name waits longer for the Lees' single place.
    children = directory / "children.csv"
    baby = "C004,,2026-07-15,unknown,MWBC,unknown,,,ffa,,2026-05-20,54.6542,-1.6757,,,,,,,,waiting"
    text = children.read_text(encoding="utf-8")
    children.write_text(
        text + baby.replace("C004", "C007").replace("2026-05-20", "2026-05-25") + "\n"
    )
    import_into(fresh_cli, directory)

    data = round_json()
    assert data["children_placed"] == 7
    unplaced = {tuple(item["children"]): item for item in data["unplaced"]}
    assert set(unplaced) == {("C005",), ("C007",)}

    dee = unplaced[("C005",)]
    assert dee["reason"] == "no_feasible_household"
    assert dee["reasons"][0].startswith("no household passes the hard rules")
    assert dee["excluded_counts"]["status"] == 2  # Patels and now the Okafors
    assert dee["excluded_counts"]["safeguarding_distance"] == 4

    twin = unplaced[("C007",)]
    assert twin["reason"] == "taken_by_others"
    assert twin["feasible_households"] == [{"household_id": "H003", "taken_by": [["C004"]]}]
    assert twin["reasons"] == ["every feasible household went to others: H003 (C004)"]

    out = run("round", "--as-of", AS_OF).stdout
    assert "Without a household" in out
    assert "every feasible household went to others: H003 (C004)" in out
    # the sentence names the carers Dee needs, as the rounds page does
    assert "No long-term foster carer approved for a teenager with" in out
