"""Small text files read whole: decoding with the encoding detected, as the import says.

The DfE return's files, a plans list and placement referrals are small (thousands of
rows), so they are decoded in one piece: UTF-8 (with or without a BOM) when the bytes
are UTF-8, else Windows-1252 (what Excel's "CSV" saves on Windows). A NUL byte is no
text and is refused at its line.
"""

from __future__ import annotations

import csv
import io

from matching.errors import Problem, ValidationError

UTF8, UTF8_BOM, CP1252 = "UTF-8", "UTF-8 with BOM", "Windows-1252"


def decode(data: bytes, file: str) -> tuple[str, str]:
    """(text, encoding) of a whole file; ValidationError for a NUL or unreadable bytes."""
    encoding = UTF8
    if data.startswith(b"\xef\xbb\xbf"):
        data, encoding = data[3:], UTF8_BOM
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if encoding == UTF8_BOM:
            raise _unreadable(data, file, "not UTF-8, though the file starts with a BOM") from None
        try:
            text, encoding = data.decode("cp1252"), CP1252
        except UnicodeDecodeError:
            raise _unreadable(data, file, "neither UTF-8 nor Windows-1252") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ValidationError(
            [Problem(file, line, "", "a NUL byte (0x00): this is not text; remove it")]
        )
    return text, encoding


def _unreadable(data: bytes, file: str, what: str) -> ValidationError:
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            raw.decode("cp1252" if "neither" in what else "utf-8")
        except UnicodeDecodeError:
            return ValidationError([Problem(file, number, "", f"this line is {what}")])
    return ValidationError([Problem(file, 0, "", f"the file is {what}")])


def csv_rows(text: str, file: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(header, [(line, {column: stripped cell})]) of a CSV text; blank rows skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
        rows: list[tuple[int, dict[str, str]]] = []
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                padded = cells + [""] * (len(header) - len(cells))
                rows.append((line, {n: c.strip() for n, c in zip(header, padded, strict=False)}))
            line = reader.line_num + 1
    except csv.Error as error:
        raise ValidationError(
            [Problem(file, reader.line_num, "", f"cannot read as CSV: {error}")]
        ) from None
    return header, rows
