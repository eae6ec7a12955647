"""The placements standard v2 (issue #14): referrals built to its placements.json are
validated against it and added to the children held; what has no place is listed; agreed
proposals export as its ActualPlacement records."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from api.services.exports import export_placements
from api.services.imports import import_directory
from matching.errors import ValidationError
from matching.placements_standard import ACTUAL_PLACEMENT_COLUMNS, load_standard
from models.accounts import ProposalRow
from models.store import load_authority

ROOT = Path(__file__).resolve().parents[2]
TINY, REFERRALS = ROOT / "fixtures" / "tiny", ROOT / "fixtures" / "placements"
AS_OF = date(2026, 6, 1)


def test_the_standard_is_kept_with_its_licence_and_read() -> None:
    standard = load_standard()
    assert standard.version == "v2"
    assert standard.fields["pets"].options == ("Yes - must", "Yes - can", "No", "Not Known")
    assert (
        (ROOT / "matching" / "standards" / "LICENSE-placements-standard")
        .read_text()
        .count("MIT License")
    )
    assert {f.name for f in standard.referral_fields()} >= {"childId", "riskMissing"}


def test_referrals_add_needs_requirements_and_facts_and_list_the_rest(
    db_session: Session,
) -> None:
    import_directory(db_session, TINY, as_of=AS_OF)
    summary = import_directory(db_session, REFERRALS, as_of=AS_OF, format="placements")
    assert summary.counts.children_updated == 2
    held = {c.child_id: c for c in load_authority(db_session).children}
    dee, eli = held["C005"], held["C006"]
    assert dee.needs["missing_episodes"] == 1
    assert dee.needs["harmful_sexual_behaviour"] == 2  # already complex: never lowered
    assert {"no_younger_children", "no_pets"} <= dee.requirements
    assert dee.facts["placement_needed_by"] == "in more than 5 days"
    assert dee.facts["referral_date"] == "2026-05-20"
    assert "bsl" in eli.languages and "pets" in eli.wishes
    assert eli.facts["referral_date"] == "2026-05-21"  # DD/MM/YYYY read too
    unmapped = "\n".join(summary.unmapped)
    for name in ("riskEatingDisorder", "specificCommunicationRequirements=Makaton",
                 "fosterCareSuitability", "culturalNeeds"):  # fmt: skip
        assert name in unmapped


def test_referrals_as_the_standards_json_by_entity(db_session: Session, tmp_path: Path) -> None:
    import_directory(db_session, TINY, as_of=AS_OF)
    rows = list(csv.DictReader((REFERRALS / "referrals.csv").open()))
    standard = load_standard()
    grouped = []
    for row in rows:
        item: dict[str, dict[str, object]] = {}
        for name, value in row.items():
            entity = standard.fields[name].entity
            item.setdefault(entity, {})[name] = value.split(";") if ";" in value else value
        grouped.append(item)
    directory = tmp_path / "json"
    directory.mkdir()
    (directory / "referrals.json").write_text(json.dumps(grouped))
    summary = import_directory(db_session, directory, as_of=AS_OF, format="placements")
    assert summary.counts.children_updated == 2
    assert "bsl" in {c.child_id: c for c in load_authority(db_session).children}["C006"].languages


def test_a_referral_off_the_standard_is_refused_at_its_line(
    db_session: Session, tmp_path: Path
) -> None:
    import_directory(db_session, TINY, as_of=AS_OF)
    directory = tmp_path / "bad"
    shutil.copytree(REFERRALS, directory)
    path = directory / "referrals.csv"
    path.write_text(path.read_text().replace("Yes - must", "Maybe").replace("C005,", "C999,"))
    with pytest.raises(ValidationError) as caught:
        import_directory(db_session, directory, as_of=AS_OF, format="placements")
    found = {(p.line, p.column) for p in caught.value.problems}
    assert found == {(2, "childId"), (3, "pets")}


def test_agreed_proposals_export_as_actual_placements(db_session: Session, tmp_path: Path) -> None:
    import_directory(db_session, TINY, as_of=AS_OF)
    db_session.add(
        ProposalRow(
            created_by="finder",
            unit=["C001", "C002", "C003"],
            household_id="H001",
            places=3,
            source_kind="shortlist",
            source_id=1,
            status="approved",
            rationale={},
            decided_by="dm",
        )
    )
    db_session.flush()
    export = export_placements(db_session, tmp_path / "out")
    rows = list(csv.DictReader(export.path.open()))
    assert tuple(rows[0]) == ACTUAL_PLACEMENT_COLUMNS
    assert [r["childId"] for r in rows] == ["C001", "C002", "C003"]
    assert {r["placementType"] for r in rows} == {"Foster"}
    assert {r["siblingsPlacedTogether"] for r in rows} == {"3"}
    assert rows[0]["placementOfficerName"] == "dm"
