"""Exports: JSON, CSV, XLSX and charts carry no child identifier and the right tables."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook

from matching.domain import Authority
from matching.gaps import (
    gap_report,
    render_charts,
    write_csv,
    write_csv_tables,
    write_json,
    write_xlsx,
)
from matching.gaps.report import GapReport
from matching.synthetic import generate_authority

AS_OF = date(2026, 6, 1)


@pytest.fixture(scope="module")
def authority() -> Authority:
    return generate_authority(300, 400, seed=5, as_of=AS_OF)


@pytest.fixture(scope="module")
def report(authority: Authority) -> GapReport:
    return gap_report(authority, as_of=AS_OF)


@pytest.fixture(scope="module")
def charts(report: GapReport) -> dict[str, bytes]:
    return render_charts(report)


def _export_texts(report: GapReport, charts: dict[str, bytes] | None = None) -> dict[str, str]:
    texts: dict[str, str] = {}
    out = io.StringIO()
    write_json(report, out)
    texts["report.json"] = out.getvalue()
    out = io.StringIO()
    write_csv(report, out)
    texts["report.csv"] = out.getvalue()
    binary = io.BytesIO()
    write_xlsx(report, binary)
    with zipfile.ZipFile(io.BytesIO(binary.getvalue())) as archive:
        for name in archive.namelist():
            texts[f"xlsx:{name}"] = archive.read(name).decode("utf-8", errors="replace")
    for name, data in (charts or {}).items():
        if name.endswith(".svg"):
            texts[name] = data.decode("utf-8")
        else:
            texts[name] = data.decode("latin-1")
    return texts


def test_no_child_identifier_in_any_export(
    authority: Authority, report: GapReport, charts: dict[str, bytes]
) -> None:
    assert report.children_unplaceable > 0  # so targets and personas are exported too
    texts = _export_texts(report, charts)
    assert texts["report.json"] and texts["unplaceable_by_profile.svg"]
    ids = {c.child_id for c in authority.children}
    names = {c.first_name for c in authority.children if c.first_name}
    births = {c.date_of_birth.isoformat() for c in authority.children} - {AS_OF.isoformat()}
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(x) for x in sorted(ids | names | births)) + r")\b"
    )
    for name, text in texts.items():
        found = pattern.search(text)
        assert found is None, f"{found.group(0) if found else ''} in {name}"


def test_unsuppressed_export_still_names_nobody(authority: Authority) -> None:
    report = gap_report(authority, as_of=AS_OF, suppress=False)
    texts = _export_texts(report)  # tables carry every label a chart shows
    ids = sorted(c.child_id for c in authority.children)
    for text in texts.values():
        assert not any(child_id in text for child_id in ids)


def test_json_and_csv_hold_the_report(report: GapReport) -> None:
    out = io.StringIO()
    write_json(report, out)
    data = json.loads(out.getvalue())
    assert data == json.loads(json.dumps(report.to_dict()))
    out = io.StringIO()
    write_csv(report, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    tables = {row[0].removesuffix(":header") for row in rows}
    assert {
        "summary",
        "demand_vs_supply",
        "unplaceable",
        "recruitment_targets",
        "personas",
        "method_and_notes",
    } <= tables
    summary = {row[1]: row[2] for row in rows if row[0] == "summary"}
    assert summary["children_unplaceable"] == str(data["children_unplaceable"])
    assert "c" in {cell for row in rows for cell in row}


SHEETS = [
    "Summary",
    "Demand and supply by profile",
    "Carers in the pool",
    "Recruitment targets",
    "Who is waiting",
    "About these figures",
]
# What a spreadsheet for people must not hold: vocabulary codes, the solver's words,
# coordinates.
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\bfoster/|\bCP-SAT\b|\bmax-flow\b|\bOPTIMAL\b")
COORDINATES = re.compile(r"-?\d{1,2}\.\d{2,}\s*[,:]\s*-?\d{1,3}\.\d{2,}")


def test_xlsx_has_labelled_frozen_headers_and_no_jargon(report: GapReport) -> None:
    binary = io.BytesIO()
    write_xlsx(report, binary)
    workbook = load_workbook(io.BytesIO(binary.getvalue()))
    assert workbook.sheetnames == SHEETS
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title  # the header row stays in view
        header = [cell.value for cell in sheet[1]]
        assert all(isinstance(h, str) and h[:1].isupper() and "_" not in h for h in header)
        assert all(cell.font.bold for cell in sheet[1])
        for row in sheet.iter_rows(min_row=2, values_only=True):
            for value in row:
                if isinstance(value, str):
                    assert not CODE.search(value), (sheet.title, value)
                    assert not COORDINATES.search(value), (sheet.title, value)
    targets = list(workbook["Recruitment targets"].values)
    assert targets[0][0] == "Carers to recruit"
    assert len(targets) - 1 == len(report.targets)
    summary = {row[0]: row[1] for row in workbook["Summary"].values}
    assert summary["Small numbers hidden (c)"] == "Yes"
    assert summary["Children waiting"] == report.to_dict()["children_waiting"]


def test_csv_tables_are_one_table_per_file_and_each_parses(report: GapReport) -> None:
    binary = io.BytesIO()
    write_csv_tables(report, binary)
    with zipfile.ZipFile(io.BytesIO(binary.getvalue())) as archive:
        names = archive.namelist()
        assert len(names) == len(SHEETS) and all(n.endswith(".csv") for n in names)
        tables = {}
        for name in names:
            text = archive.read(name).decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text)))
            # one table: one header, then rows as wide as it
            assert rows and all(len(row) == len(rows[0]) for row in rows), name
            tables[name] = rows
    profiles = tables["2-demand-and-supply-by-profile.csv"]
    assert profiles[0][6:9] == [
        "Children waiting",
        "Children the best allocation places",
        "Children who cannot be placed",
    ]
    assert len(profiles) - 1 == len(report.by_profile)


def test_charts_are_png_and_svg(charts: dict[str, bytes]) -> None:
    assert set(charts) == {
        f"{name}.{fmt}"
        for name in ("demand_vs_supply", "unplaceable_by_profile", "recruitment_targets")
        for fmt in ("png", "svg")
    }
    for name, data in charts.items():
        if name.endswith(".png"):
            assert data.startswith(b"\x89PNG")
        else:
            assert b"<svg" in data[:500]
    assert b"Recruitment targets" in charts["recruitment_targets.svg"]
