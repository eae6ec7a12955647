"""`familyfinder shortlist`, run as a family finder would, on the hand-worked tiny authority.

The tiny authority is imported once per module into its own database (a SQLite file or
a throwaway PostgreSQL database); tests that change the data get a fresh database.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from matching.fingerprint import authority_fingerprint
from matching.policy import default_policy_text
from matching.rules import RULE_NAMES
from models.db import make_engine
from models.store import ShortlistRunRecord, list_shortlist_runs, load_authority
from tests.api.cli_support import AS_OF, TINY, run

# Dee's column of the hard-rule table in fixtures/tiny/README.md, counted by rule.
DEE_EXCLUDED = {
    "plan_kind": 3,  # Lees (ffa), Patels and Quinns (adopters)
    "connected_to_child": 2,  # Aunt Jo, Fay's grandparents
    "status": 1,  # Patels on hold
    "age_range": 5,  # Harpers 0-12, Lees 0-2, Patels 0-6, Quinns 0-4, Ings 0-8
    "will_not_consider": 1,  # Harpers refuse harmful sexual behaviour
    "requirement": 3,  # Browns, Jacksons and Kaurs have younger children at home
    "safeguarding_distance": 4,  # all but the Okafors and the Patels within 30 km
}


def shortlist_json(*args: str) -> dict[str, Any]:
    result = run("shortlist", *args, "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def stored_runs(url: str) -> list[ShortlistRunRecord]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return list_shortlist_runs(session, limit=1000)
    finally:
        engine.dispose()


def stored_fingerprint(url: str) -> str:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return authority_fingerprint(load_authority(session))
    finally:
        engine.dispose()


def test_dee_has_only_the_okafors_and_the_rules_count_the_others(tiny: str) -> None:
    data = shortlist_json("C005")
    for key in ("unit", "policy_version", "as_of", "candidates", "excluded_counts"):
        assert key in data
    assert data["unit"] == ["C005"]
    assert data["as_of"] == AS_OF
    assert data["policy_version"] == "2026.2"
    assert [c["household_id"] for c in data["candidates"]] == ["H002"]
    okafors = data["candidates"][0]
    assert okafors["kinship"] is False
    assert 0 < okafors["score"] <= 100
    assert okafors["contributions"], "a score comes with its reasons"
    for contribution in okafors["contributions"]:
        assert set(contribution) >= {"criterion", "points", "max_points", "reason"}
        assert 0 <= contribution["points"] <= contribution["max_points"]
        assert contribution["reason"]
    assert isinstance(okafors["questions"], list)
    assert set(data["excluded_counts"]) == set(RULE_NAMES)
    assert {rule: n for rule, n in data["excluded_counts"].items() if n} == DEE_EXCLUDED
    assert "why_not" not in data


def test_eli_gets_aunt_jo_first(tiny: str) -> None:
    data = shortlist_json("C006")
    first = data["candidates"][0]
    assert first["household_id"] == "H005"
    assert first["kinship"] is True
    assert first["rank"] == 1


def test_the_sibling_group_is_shortlisted_as_one_unit(tiny: str) -> None:
    data = shortlist_json("C002")
    assert data["unit"] == ["C001", "C002", "C003"]
    assert [c["household_id"] for c in data["candidates"]] == ["H001"]


def test_why_not_the_harpers_for_dee(tiny: str) -> None:
    data = shortlist_json("C005", "--why-not", "H001")
    assert data["why_not"] == {
        "household_id": "H001",
        "rules": ["age_range", "will_not_consider", "safeguarding_distance"],
        "rank": None,
        "score": None,
    }
    feasible = shortlist_json("C005", "--why-not", "H002")["why_not"]
    assert feasible["rules"] == [] and feasible["rank"] == 1 and feasible["score"] > 0


def test_readable_table_shows_rank_kinship_reasons_and_exclusions(tiny: str) -> None:
    result = run("shortlist", "C006", "--as-of", AS_OF, "--why-not", "H001")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Shortlist for C006" in out
    assert "H005" in out and "Aunt Jo" in out and "★" in out
    # issue #15: rules and criteria in words, not codes
    assert "Identity" in out and "identity" not in out  # a top contribution
    assert "Excluded by rule" in out and "Kind of household does not serve the plan: 9" in out
    assert "Why not H001: excluded: kind of household does not serve the plan" in out


def test_top_limits_the_list(tiny: str) -> None:
    # Ava, Ben and Cal: one feasible household, asked for at most one.
    assert len(shortlist_json("C001", "--top", "1")["candidates"]) == 1
    refused = run("shortlist", "C001", "--top", "0")
    assert refused.exit_code == 2


def test_every_shortlist_is_stored_with_fingerprint_and_policy(tiny: str) -> None:
    before = len(stored_runs(tiny))
    data = shortlist_json("C005", "--why-not", "H001")
    runs = stored_runs(tiny)
    assert len(runs) == before + 1
    newest = runs[0]
    assert newest.id == data["run_id"]
    assert newest.child_id == "C005" and newest.unit == ["C005"]
    assert newest.policy_version == "2026.2"
    assert newest.inputs_fingerprint == stored_fingerprint(tiny) == data["inputs_fingerprint"]
    assert newest.requested_by.startswith("cli")
    assert newest.as_of.isoformat() == AS_OF
    assert newest.result["candidates"] == data["candidates"]
    assert newest.result["why_not"]["rules"] == data["why_not"]["rules"]


def test_unknown_child_is_exit_2_with_a_message(tiny: str) -> None:
    before = len(stored_runs(tiny))
    result = run("shortlist", "C999", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "no child with id 'C999'" in result.stderr
    assert len(stored_runs(tiny)) == before


def test_unknown_why_not_household_is_exit_2(tiny: str) -> None:
    result = run("shortlist", "C005", "--why-not", "H999")
    assert result.exit_code == 2
    assert "H999" in result.stderr


def test_bad_policy_file_names_the_key(tiny: str, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        default_policy_text().replace("min_round_score = 0.0", "min_round_score = -3.0"),
        encoding="utf-8",
    )
    result = run("shortlist", "C005", "--policy", str(policy))
    assert result.exit_code == 5
    assert "min_round_score" in result.stderr and str(policy) in result.stderr

    missing = run("shortlist", "C005", "--policy", str(tmp_path / "nope.toml"))
    assert missing.exit_code != 0
    assert "nope.toml" in missing.stderr


def test_policy_file_from_the_environment(
    tiny: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        default_policy_text().replace('version = "2026.2"', 'version = "test-7"'), encoding="utf-8"
    )
    monkeypatch.setenv("FAMILYFINDER_POLICY_FILE", str(policy))
    assert shortlist_json("C005")["policy_version"] == "test-7"
    assert stored_runs(tiny)[0].policy_version == "test-7"
    # --policy wins over the environment
    other = tmp_path / "other.toml"
    other.write_text(
        default_policy_text().replace('version = "2026.2"', 'version = "test-8"'), encoding="utf-8"
    )
    assert shortlist_json("C005", "--policy", str(other))["policy_version"] == "test-8"


@pytest.fixture
def fresh_cli(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", fresh_database_url)
    monkeypatch.delenv("FAMILYFINDER_POLICY_FILE", raising=False)
    return fresh_database_url


def test_a_plan_that_is_not_family_found_is_a_clear_error(fresh_cli: str, tmp_path: Path) -> None:
    directory = tmp_path / "tiny"
    shutil.copytree(TINY, directory)
    children = directory / "children.csv"
    text = children.read_text(encoding="utf-8")
    old = "C005,Dee,2012-09-30,female,BCRB,christian,en,C2,long_term_foster"
    assert old in text
    children.write_text(text.replace(old, old.replace("long_term_foster", "return_home")))
    assert run("import", str(directory), "--as-of", AS_OF).exit_code == 0

    result = run("shortlist", "C005", "--as-of", AS_OF)
    assert result.exit_code == 3
    assert "return_home" in result.stderr
    assert result.stdout == ""
