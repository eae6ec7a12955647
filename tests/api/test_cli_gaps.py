"""`familyfinder gaps`: the recruitment team's report, its files, and what-if households."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.api.cli_support import AS_OF, TINY, import_into, run

# Every child id and first name of the tiny authority, as whole words.
IDENTIFYING = re.compile(rb"\b(C00[1-6]|Ava|Ben|Cal|Dee|Eli)\b")
# A household that would take Dee (13, harmful sexual behaviour and attachment trauma,
# no younger children, at least 30 km from her birth family): where the Okafors live.
FOR_DEE = (
    "kind=foster,term=long,ages=12-15,places=1,"
    "skills=harmful_sexual_behaviour;attachment_trauma,count=1,near=54.5246:-1.5526,radius=1"
)


def gaps_json(*args: str) -> dict[str, Any]:
    result = run("gaps", "--as-of", AS_OF, "--json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_tiny_nobody_is_unplaceable(tiny: str) -> None:
    exact = gaps_json("--no-suppress")
    assert exact["suppressed"] is False
    assert exact["children_waiting"] == 8 and exact["units_waiting"] == 6
    assert exact["children_placeable"] == 8
    assert exact["children_unplaceable"] == 0 and exact["units_unplaceable"] == 0
    assert exact["recruitment_targets"] == []
    assert "what_if" not in exact

    published = gaps_json()
    assert published["suppressed"] is True
    assert published["units_waiting"] == 6  # a count above 5 is published
    assert published["children_unplaceable"] == 0


def test_readable_summary(tiny: str) -> None:
    result = run("gaps", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "Gap report as of 2026-06-01" in result.stdout
    assert "small counts shown as c" in result.stdout
    assert "unplaceable: 0 in 0 units" in result.stdout


def test_files_are_written_and_name_no_child(tiny: str, tmp_path: Path) -> None:
    csv_file, xlsx_file, charts = tmp_path / "gaps.csv", tmp_path / "gaps.xlsx", tmp_path / "ch"
    result = run(
        "gaps",
        "--as-of",
        AS_OF,
        "--no-suppress",
        "--csv",
        str(csv_file),
        "--xlsx",
        str(xlsx_file),
        "--charts",
        str(charts),
    )
    assert result.exit_code == 0, result.output
    csv_text = csv_file.read_bytes()
    assert b"summary" in csv_text and b"children_waiting" in csv_text
    assert not IDENTIFYING.search(csv_text)

    with zipfile.ZipFile(xlsx_file) as workbook:
        parts = [workbook.read(name) for name in workbook.namelist()]
    assert any(b"Summary" in part for part in parts)
    assert not any(IDENTIFYING.search(part) for part in parts)

    written = sorted(p.name for p in charts.iterdir())
    assert {p.suffix for p in charts.iterdir()} == {".png", ".svg"}
    assert len(written) >= 2
    for path in charts.iterdir():
        data = path.read_bytes()
        assert data, path
        assert not IDENTIFYING.search(data), path
    for path in (csv_file, xlsx_file):
        assert f"wrote {path}" in result.stdout


def test_bad_add_spec_is_a_clear_error(tiny: str) -> None:
    upside_down = run("gaps", "--add", "kind=foster,term=long,ages=15-10")
    assert upside_down.exit_code == 2
    assert "--add" in upside_down.stderr and "ages" in upside_down.stderr

    unknown = run("gaps", "--add", "kind=foster,term=long,ages=1-3,colour=blue")
    assert unknown.exit_code == 2
    assert "colour" in unknown.stderr


def test_help_documents_the_add_grammar() -> None:
    result = run("gaps", "--help")
    assert result.exit_code == 0
    for word in ("kind", "term", "ages", "places", "skills", "count"):
        assert word in result.stdout


def test_add_places_a_child_the_pool_cannot(fresh_database_url: str, tmp_path: Path) -> None:
    directory = tmp_path / "tiny"
    shutil.copytree(TINY, directory)
    households = directory / "households.csv"
    text = households.read_text(encoding="utf-8")
    okafors = "54.5246,-1.5526,2019-09-12,available"
    assert okafors in text
    households.write_text(text.replace(okafors, okafors.replace("available", "on_hold")))
    import_into(fresh_database_url, directory)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FAMILYFINDER_DATABASE_URL", fresh_database_url)
        today = gaps_json("--no-suppress")
        what_if = gaps_json("--no-suppress", "--add", FOR_DEE)
        twice = gaps_json("--no-suppress", "--add", FOR_DEE, "--add", "kind=adopter,ages=0-4")
    assert today["children_placeable"] == 7 and today["children_unplaceable"] == 1
    assert today["recruitment_targets"], "a target for Dee's profile"
    assert what_if["children_placeable"] == 7  # the report itself is about today's pool
    assert what_if["what_if"]["households_added"] == 1
    assert what_if["what_if"]["children_placeable"] == 8
    assert twice["what_if"]["households_added"] == 2
    assert len(twice["what_if"]["added"]) == 2
