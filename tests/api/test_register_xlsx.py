"""The carer register template (issue #14): written by `familyfinder template`, filled in
as people would (dates as dates, numbers as numbers, not_recorded, a postcode), and
imported as households.xlsx with problems at the worksheet's row."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app
from api.services.imports import import_directory
from matching.errors import ValidationError
from models.store import load_authority

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny"
AS_OF = date(2026, 6, 1)


def _filled_register(path: Path, edit: dict[str, dict[str, object]] | None = None) -> None:
    """The template, filled with tiny's households as typed values."""
    result = CliRunner().invoke(app, ["template", str(path)])
    assert result.exit_code == 0, result.output
    book = load_workbook(path)
    assert book.sheetnames == ["instructions", "households", "codes"]
    sheet = book["households"]
    header = [cell.value for cell in sheet[1]]
    assert sheet.data_validations.dataValidation  # drop-down lists on coded columns
    rows = list(csv.DictReader(io.StringIO((TINY / "households.csv").read_text())))
    for row in rows:
        values: list[object] = []
        for name in header:
            text = row.get(str(name), "")
            value: object = text
            if name in ("approved_min_age", "approved_max_age", "approved_places", "vacancies",
                        "max_sibling_group") and text:  # fmt: skip
                value = int(text)
            elif name in ("lat", "lon") and text:
                value = float(text)
            elif name == "approved_on" and text:
                value = datetime.fromisoformat(text)
            values.append(value)
        changes = (edit or {}).get(row["household_id"], {})
        for name, value in changes.items():
            values[header.index(name)] = value
        sheet.append(values)
    book.save(path)


def test_the_template_filled_in_imports_like_households_csv(
    db_session: Session, tmp_path: Path
) -> None:
    directory = tmp_path / "authority"
    shutil.copytree(TINY, directory)
    (directory / "households.csv").unlink()
    _filled_register(
        directory / "households.xlsx",
        {
            "H001": {"smoker": "not_recorded", "pets": None},
            "H003": {"lat": None, "lon": None, "postcode": "DH1 3LE"},
        },
    )
    summary = import_directory(db_session, directory, as_of=AS_OF)
    assert summary.counts.households_inserted == 11
    assert summary.encodings["households.xlsx"].startswith("XLSX")
    held = {h.household_id: h for h in load_authority(db_session).households}
    assert (held["H001"].smoker, held["H001"].pets) == (None, None)
    assert held["H003"].lat == pytest.approx(54.768, abs=0.001)
    assert held["H002"].approved_on == date(2019, 9, 12)  # typed as a date in the sheet


def test_a_problem_in_the_register_is_reported_at_its_row(tmp_path: Path) -> None:
    directory = tmp_path / "authority"
    shutil.copytree(TINY, directory)
    (directory / "households.csv").unlink()
    _filled_register(directory / "households.xlsx", {"H004": {"kind": "castle"}})
    from models.db import make_engine
    from models.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session, pytest.raises(ValidationError) as caught:
        import_directory(session, directory, as_of=AS_OF)
    engine.dispose()
    (problem,) = caught.value.problems
    assert str(problem).startswith("households.xlsx:5: kind: 'castle' is not a household kind")
