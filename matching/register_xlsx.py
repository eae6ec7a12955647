"""A carer register people can fill in: an XLSX template, and reading it back.

No public standard exists for foster carer and adopter registers (shared/domain.md), so
familyfinder publishes one: `households.csv`'s columns as a worksheet `households`, a
sheet of instructions, a sheet of every code, and drop-down lists on the coded columns
(`template_workbook`). An authority fills one row per household and imports the
workbook as `households.xlsx` in place of `households.csv`: `register_as_csv` turns the
worksheet into the CSV text the interchange reader validates, row for row, so every
problem is reported at the worksheet's own row number.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any, BinaryIO

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from matching import csv_cells, vocab

SHEET = "households"
_MAX_ROWS = 5000  # rows the drop-downs cover in the template

# Column -> (what it holds, the codes a drop-down offers or None).
_CODED: dict[str, tuple[str, ...]] = {
    "kind": tuple(sorted(vocab.HOUSEHOLD_KINDS)),
    "term": tuple(sorted(vocab.FOSTER_TERMS)),
    "provider": tuple(sorted(vocab.PROVIDERS)),
    "status": tuple(sorted(vocab.HOUSEHOLD_STATUSES)),
    "religion": tuple(sorted(vocab.RELIGIONS)),
    "smoker": ("true", "false", vocab.NOT_RECORDED),
    "pets": ("true", "false", vocab.NOT_RECORDED),
    "wheelchair_access": ("true", "false", vocab.NOT_RECORDED),
}
_LISTS: dict[str, tuple[str, ...]] = {
    "skills": tuple(sorted(vocab.SKILL_CODES)),
    "will_consider (code:level, level 1 additional, 2 complex)": vocab.NEED_CODES,
    "will_not_consider": vocab.NEED_CODES,
    "ethnicities": tuple(sorted(vocab.ETHNICITIES)),
}
INSTRUCTIONS = (
    "familyfinder carer register: one row per approved household on the 'households' sheet.",
    "Columns are those of households.csv (docs/csv-format.md); the header row must stay.",
    "Required: household_id, kind, provider, approved_min_age, approved_max_age,",
    "approved_places, max_sibling_group, vacancies, status, and lat and lon or a postcode.",
    "Coded columns have drop-down lists; the 'codes' sheet lists every code.",
    "Lists inside a cell are separated by ';' (e.g. en;pl). Needs are code:level (autism:2).",
    "smoker, pets, wheelchair_access: true, false, or not_recorded when the register does not",
    "hold it - never guessed: it becomes a question on the shortlist. Languages and religion",
    "may be left empty when not recorded (also asked on the shortlist).",
    "postcode: a full UK postcode, or a district (e.g. DH1) placed at its centroid.",
    "Dates as dates, or text YYYY-MM-DD. Save as .xlsx and import it as households.xlsx",
    "in the authority's directory, in place of households.csv.",
)


def template_workbook(out: BinaryIO) -> None:
    """Write the empty register template (instructions, codes, drop-downs) to `out`."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    columns = [*vocab.HOUSEHOLD_COLUMNS, "postcode"]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    codes = book.create_sheet("codes")
    lists = {**{name: values for name, values in _CODED.items()}, **_LISTS}
    for index, (name, values) in enumerate(lists.items(), start=1):
        codes.cell(row=1, column=index, value=name).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            codes.cell(row=row, column=index, value=value)
        if name in _CODED:
            letter = codes.cell(row=1, column=index).column_letter
            rule = DataValidation(
                type="list",
                formula1=f"codes!${letter}$2:${letter}${len(values) + 1}",
                allow_blank=True,
                showErrorMessage=True,
                error=f"Choose one of the {name} codes (see the codes sheet)",
            )
            target = sheet.cell(row=1, column=columns.index(name) + 1).column_letter
            rule.add(f"{target}2:{target}{_MAX_ROWS}")
            sheet.add_data_validation(rule)
    notes = book.create_sheet("instructions", 0)
    for line in INSTRUCTIONS:
        notes.append([line])
    book.save(out)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | int | float):
        return csv_cells.format_cell(value)
    return str(value).strip()


def register_as_csv(stream: BinaryIO) -> BinaryIO:
    """The `households` worksheet of a filled register as CSV bytes (UTF-8), one CSV line
    per worksheet row, so a problem's line is the row number people see in Excel."""
    book = load_workbook(stream, read_only=True, data_only=True)
    sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[-1]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in sheet.iter_rows(values_only=True):
        cells = [_cell_text(value) for value in row]
        while cells and cells[-1] == "":
            cells.pop()
        writer.writerow(cells)  # an empty row stays a (blank) line: numbering kept
    book.close()
    text = out.getvalue()
    # Rows shorter than the header (trailing empty cells) are padded to its width.
    lines = text.split("\n")
    width = len(next(csv.reader([lines[0]]))) if lines and lines[0] else 0
    padded = []
    for line in lines:
        if line:
            count = len(next(csv.reader([line])))
            line += "," * max(0, width - count)
        padded.append(line)
    return io.BytesIO("\n".join(padded).encode("utf-8"))
