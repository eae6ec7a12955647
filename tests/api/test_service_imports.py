"""The import use case (issues #12 and #14): snapshots that retire, stored practice
warnings queryable per child, plan conflicts, and the child's JSON carrying them."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from api.services.imports import import_directory
from matching.errors import ConflictError
from models.orm import ChildRow
from models.store import (
    authority_counts,
    child_warnings,
    children_with_warnings,
    list_import_runs,
    load_authority,
)
from tests.api.conftest import ApiEnv

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny"
AS_OF = date(2026, 6, 1)


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "tiny"
    shutil.copytree(TINY, directory)
    return directory


def _drop_child(directory: Path, child_id: str) -> None:
    for name in ("children.csv", "sibling_links.csv"):
        path = directory / name
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text(
            "".join(line for line in lines if f"{child_id}," not in line), encoding="utf-8"
        )
    households = directory / "households.csv"
    households.write_text(
        households.read_text(encoding="utf-8").replace(f";{child_id}", ""), encoding="utf-8"
    )


def test_a_snapshot_without_a_child_retires_it_and_keeps_its_record(
    db_session: Session, tiny_copy: Path
) -> None:
    import_directory(db_session, tiny_copy, as_of=AS_OF)
    _drop_child(tiny_copy, "C004")
    summary = import_directory(db_session, tiny_copy, as_of=AS_OF, mode="snapshot", yes=True)
    assert summary.retired.children == ("C004",)
    assert summary.counts.children_retired == 1
    assert "C004" not in {c.child_id for c in load_authority(db_session).children}
    row = db_session.get(ChildRow, "C004")
    assert row is not None and row.retired_at is not None  # kept for the audit
    assert authority_counts(db_session).children == 7
    run = list_import_runs(db_session, limit=1)[0]
    assert run.mode == "snapshot" and run.report is not None
    assert run.report["retired_children"] == ["C004"]
    # An upsert of the original files brings the child back.
    import_directory(db_session, TINY, as_of=AS_OF)
    db_session.expire_all()
    assert db_session.get(ChildRow, "C004").retired_at is None  # type: ignore[union-attr]
    assert authority_counts(db_session).children == 8


def test_a_snapshot_retiring_too_much_asks_for_yes_and_writes_nothing(
    db_session: Session, tiny_copy: Path
) -> None:
    import_directory(db_session, tiny_copy, as_of=AS_OF)
    _drop_child(tiny_copy, "C004")  # 1 of 8 children: over the 10% allowed
    with pytest.raises(ConflictError, match=r"1 of 8 children \(12%\).*--yes"):
        import_directory(db_session, tiny_copy, as_of=AS_OF, mode="snapshot")
    assert authority_counts(db_session).children == 8
    summary = import_directory(
        db_session, tiny_copy, as_of=AS_OF, mode="snapshot", retire_share=0.2
    )
    assert summary.retired.children == ("C004",)


def test_a_snapshot_removes_links_the_files_no_longer_hold(
    db_session: Session, tiny_copy: Path
) -> None:
    import_directory(db_session, tiny_copy, as_of=AS_OF)
    links = tiny_copy / "sibling_links.csv"
    kept = [line for line in links.read_text().splitlines(keepends=True) if "C005,C006" not in line]
    links.write_text("".join(kept))
    summary = import_directory(db_session, tiny_copy, as_of=AS_OF, mode="snapshot")
    assert summary.retired.links == (("C005", "C006"),)
    assert len(load_authority(db_session).links) == 3


def test_practice_warnings_are_stored_per_child_and_replaced_by_the_next_import(
    db_session: Session, tiny_copy: Path
) -> None:
    children = tiny_copy / "children.csv"
    original = children.read_text(encoding="utf-8")
    children.write_text(
        original.replace(
            "C002,Ben,2018-07-01,male,WBRI,none,en,C2,long_term_foster",
            "C002,Ben,2018-07-01,male,WBRI,none,en,C2,adoption",
        ),
        encoding="utf-8",
    )
    summary = import_directory(db_session, tiny_copy, as_of=AS_OF)
    assert [str(w).split(": warning: ")[0] for w in summary.warnings] == ["children.csv:2"]
    assert children_with_warnings(db_session, "plan_conflict") == {
        "C001": ["plan_conflict"],
        "C002": ["plan_conflict"],
        "C003": ["plan_conflict"],
    }
    (warning,) = child_warnings(db_session, "C002")
    assert warning.code == "plan_conflict" and "different permanence plans" in warning.message
    # Corrected records: the warning goes away.
    children.write_text(original, encoding="utf-8")
    import_directory(db_session, tiny_copy, as_of=AS_OF)
    assert children_with_warnings(db_session) == {}


def test_the_childs_json_carries_its_warnings(api_env: ApiEnv, tmp_path: Path) -> None:
    directory = tmp_path / "contradiction"
    shutil.copytree(TINY, directory)
    links = directory / "sibling_links.csv"
    links.write_text(links.read_text().replace("C001,C003,half,together", "C001,C003,half,apart"))
    with api_env.session() as session:
        import_directory(session, directory, as_of=AS_OF)
    response = api_env.client.get("/api/children/C002", headers=api_env.headers["family_finder"])
    assert response.status_code == 200
    warnings = response.json()["warnings"]
    assert [w["code"] for w in warnings] == ["sibling_contradiction"]
    assert "C001 and C003 are assessed apart" in warnings[0]["message"]
    clean = api_env.client.get("/api/children/C005", headers=api_env.headers["family_finder"])
    assert clean.json()["warnings"] == []


SSDA903 = Path(__file__).resolve().parents[2] / "fixtures" / "ssda903"


def test_an_ssda903_return_with_plans_imports_with_locations_from_postcodes(
    db_session: Session,
) -> None:
    summary = import_directory(
        db_session,
        SSDA903 / "return_2026_27",
        as_of=date(2026, 11, 1),
        format="ssda903",
        plans=SSDA903 / "plans.csv",
    )
    assert summary.counts.children_inserted == 7 and summary.counts.links_inserted == 1
    assert summary.needs_plan == ["1009", "1010"]
    assert summary.left_out["18 or over on the reference date"] == 1
    held = {c.child_id: c for c in load_authority(db_session).children}
    # DH1 3LE from the ONS Postcode Directory (National Grid 427480, 542461 in WGS84)
    assert held["1001"].home_lat == pytest.approx(54.768, abs=0.001)
    assert held["1001"].home_lon == pytest.approx(-1.572, abs=0.001)
    assert summary.notes == []  # every postcode of the return is a full one
    link = load_authority(db_session).links[0]
    assert link.relationship == "not_recorded"  # an empty relationship in the file
    assert children_with_warnings(db_session, "plan_not_recorded") == {
        "1009": ["plan_not_recorded"],
        "1010": ["plan_not_recorded"],
    }


def test_an_ssda903_snapshot_without_a_child_retires_it(
    db_session: Session, tmp_path: Path
) -> None:
    directory = tmp_path / "return"
    shutil.copytree(SSDA903 / "return_2026_27", directory)
    options = {"as_of": date(2026, 11, 1), "format": "ssda903", "plans": SSDA903 / "plans.csv"}
    import_directory(db_session, directory, **options)  # type: ignore[arg-type]
    for name in ("header.csv", "episodes.csv"):
        path = directory / name
        path.write_text(
            "".join(x for x in path.read_text().splitlines(True) if not x.startswith("1010,"))
        )
    summary = import_directory(
        db_session,
        directory,
        mode="snapshot",
        yes=True,
        **options,  # type: ignore[arg-type]
    )
    assert summary.retired.children == ("1010",)
    assert "1010" not in {c.child_id for c in load_authority(db_session).children}


def test_retired_children_are_not_listed_but_their_record_is_kept(
    api_env: ApiEnv, tmp_path: Path
) -> None:
    directory = tmp_path / "tiny"
    shutil.copytree(TINY, directory)
    _drop_child(directory, "C004")
    with api_env.session() as session:
        import_directory(session, directory, as_of=AS_OF, mode="snapshot", yes=True)
    headers = api_env.headers["family_finder"]
    listed = api_env.client.get("/api/children?limit=50", headers=headers).json()
    assert "C004" not in {c["child_id"] for c in listed["items"]} and listed["total"] == 7
    record = api_env.client.get("/api/children/C004", headers=headers)
    assert record.status_code == 200 and record.json()["retired_at"] is not None


def test_the_child_page_shows_a_plan_conflict_as_a_decision_needed(
    api_env: ApiEnv, tmp_path: Path
) -> None:
    from tests.api.test_pages_access import sign_in

    directory = tmp_path / "tiny"
    shutil.copytree(TINY, directory)
    children = directory / "children.csv"
    children.write_text(
        children.read_text().replace(
            "C002,Ben,2018-07-01,male,WBRI,none,en,C2,long_term_foster",
            "C002,Ben,2018-07-01,male,WBRI,none,en,C2,adoption",
        )
    )
    with api_env.session() as session:
        import_directory(session, directory, as_of=AS_OF)
    page = sign_in(api_env, "family_finder").get("/children/C003").text
    assert 'data-warning="plan_conflict"' in page
    assert "Needs a decision: C001 and C002 and C003 are assessed to live together" in page
