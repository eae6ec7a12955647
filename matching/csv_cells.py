"""Cells of the CSV interchange format: strict parsing of one cell, and its writing.

A parser turns a non-empty cell into a typed value or raises `CellError` with a reason a
family finder can act on. Parsers check *syntax* (is this a date, a number, a
`code:level` list without repeats); vocabulary and cross-field rules are checked on the
typed values by `matching.csv_checks`, so in-memory records are held to the same rules.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from matching import vocab

_INT = re.compile(r"-?[0-9]{1,9}")
_FLOAT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_GRADED = re.compile(r"([^:]*):([0-9]+)")


class CellError(ValueError):
    """A cell that cannot be read; the message is the reason shown to the user."""


def parse_text(cell: str) -> str:
    return cell


def parse_int(cell: str) -> int:
    if not _INT.fullmatch(cell):
        raise CellError(f"{cell!r} is not a whole number")
    return int(cell)


def parse_float(cell: str) -> float:
    if not _FLOAT.fullmatch(cell):
        raise CellError(f"{cell!r} is not a number (use digits and a '.' point, e.g. 54.7761)")
    value = float(cell)
    if not math.isfinite(value):
        raise CellError(f"{cell!r} is not a finite number")
    return value


def parse_date(cell: str) -> date:
    if not _DATE.fullmatch(cell):
        raise CellError(f"{cell!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(cell)
    except ValueError:
        raise CellError(f"{cell!r} is not a real date") from None


def parse_bool(cell: str) -> bool:
    if cell == "true":
        return True
    if cell == "false":
        return False
    raise CellError(f"{cell!r} is not a boolean: use true or false")


def parse_recorded_bool(cell: str) -> bool | None:
    """`true`, `false`, or `not_recorded` (None: the register does not hold the fact)."""
    if cell == vocab.NOT_RECORDED:
        return None
    if cell == "true":
        return True
    if cell == "false":
        return False
    raise CellError(
        f"{cell!r} is not a boolean: use true or false (or not_recorded when the register "
        "does not hold it)"
    )


_FACT = re.compile(r"([a-z][a-z0-9_]*)=(.+)")


def parse_facts(cell: str) -> dict[str, str]:
    """`key=value;key=value` into {key: value}; a key may appear once."""
    facts: dict[str, str] = {}
    for item in _items(cell):
        match = _FACT.fullmatch(item)
        if match is None:
            raise CellError(f"{item!r} is not key=value (e.g. placement_type=U4)")
        key, value = match.group(1), match.group(2)
        if key in facts:
            raise CellError(f"{key!r} appears more than once in {cell!r}")
        facts[key] = value
    return facts


def _items(cell: str) -> list[str]:
    items = cell.split(";")
    if "" in items:
        raise CellError(f"{cell!r} has an empty item: separate items with a single ';'")
    return items


def _no_repeats(cell: str, items: Iterable[str]) -> None:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            raise CellError(f"{item!r} appears more than once in {cell!r}")
        seen.add(item)


def parse_list(cell: str) -> tuple[str, ...]:
    """A `;`-list of distinct items, order kept."""
    items = _items(cell)
    _no_repeats(cell, items)
    return tuple(items)


def parse_set(cell: str) -> frozenset[str]:
    """A `;`-list of distinct codes where order does not matter."""
    return frozenset(parse_list(cell))


def parse_int_list(cell: str) -> tuple[int, ...]:
    """A `;`-list of whole numbers; repeats are allowed (twins share an age)."""
    return tuple(parse_int(item) for item in _items(cell))


def parse_graded(cell: str) -> dict[str, int]:
    """`code:level;code:level` into {code: level}; a code may appear once."""
    graded: dict[str, int] = {}
    for item in _items(cell):
        match = _GRADED.fullmatch(item)
        if match is None:
            raise CellError(f"{item!r} is not code:level (e.g. autism:1)")
        code, level = match.group(1), int(match.group(2))
        if code in graded:
            raise CellError(f"{code!r} appears more than once in {cell!r}")
        graded[code] = level
    return graded


# ---------------------------------------------------------------- writing


def format_float(value: float) -> str:
    """Shortest text that reads back to the same float; whole numbers without '.0'."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def format_cell(value: Any) -> str:
    """One typed value as its cell text: None empty, lists `;`-joined in a stable order."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        # graded needs are code:level; facts (text values) are key=value
        return ";".join(
            f"{code}={value[code]}" if isinstance(value[code], str) else f"{code}:{value[code]}"
            for code in sorted(value)
        )
    if isinstance(value, frozenset | set):
        return ";".join(sorted(value))
    if isinstance(value, tuple | list):
        return ";".join(format_cell(item) for item in value)
    raise TypeError(f"cannot write {value!r} to a CSV cell")


# ---------------------------------------------------------------- columns


@dataclass(frozen=True)
class Column:
    """How one column is read: its parser and the value an empty cell stands for."""

    name: str
    parse: Callable[[str], Any]
    empty: Any = None


def _columns(*specs: tuple[str, Callable[[str], Any], Any]) -> dict[str, Column]:
    return {name: Column(name, parse, empty) for name, parse, empty in specs}


_EMPTY_MAP: Mapping[str, int] = {}

CHILD_COLUMNS = _columns(
    ("child_id", parse_text, None),
    ("first_name", parse_text, ""),
    ("date_of_birth", parse_date, None),
    ("sex", parse_text, None),
    ("ethnicity", parse_text, None),
    ("religion", parse_text, None),
    ("languages", parse_list, ()),
    ("legal_status", parse_text, None),
    ("plan", parse_text, None),
    ("entered_care_on", parse_date, None),
    ("plan_date", parse_date, None),
    ("home_lat", parse_float, None),
    ("home_lon", parse_float, None),
    ("school_lat", parse_float, None),
    ("school_lon", parse_float, None),
    ("family_time_max_km", parse_float, None),
    ("min_distance_km", parse_float, None),
    ("needs", parse_graded, _EMPTY_MAP),
    ("requirements", parse_set, frozenset()),
    ("wishes", parse_list, ()),
    ("status", parse_text, None),
    ("placed_with", parse_text, None),
    ("placement_order_on", parse_date, None),
    ("facts", parse_facts, _EMPTY_MAP),
)

HOUSEHOLD_COLUMNS = _columns(
    ("household_id", parse_text, None),
    ("name", parse_text, ""),
    ("kind", parse_text, None),
    ("term", parse_text, None),
    ("provider", parse_text, None),
    ("weekly_cost", parse_float, None),
    ("approved_min_age", parse_int, None),
    ("approved_max_age", parse_int, None),
    ("approved_places", parse_int, None),
    ("max_sibling_group", parse_int, None),
    ("vacancies", parse_int, None),
    ("skills", parse_set, frozenset()),
    ("will_consider", parse_graded, _EMPTY_MAP),
    ("will_not_consider", parse_set, frozenset()),
    ("children_in_home_ages", parse_int_list, ()),
    ("ethnicities", parse_list, ()),
    ("religion", parse_text, None),
    ("languages", parse_list, ()),
    ("smoker", parse_recorded_bool, None),
    ("pets", parse_recorded_bool, None),
    ("wheelchair_access", parse_recorded_bool, None),
    ("lat", parse_float, None),
    ("lon", parse_float, None),
    ("approved_on", parse_date, None),
    ("status", parse_text, None),
    ("connected_child_ids", parse_list, ()),
)

LINK_COLUMNS = _columns(
    ("child_a", parse_text, None),
    ("child_b", parse_text, None),
    ("relationship", parse_text, vocab.NOT_RECORDED),
    ("assessment", parse_text, None),
    ("assessed_on", parse_date, None),
    ("note", parse_text, ""),
)

# Postcodes a file may give instead of a latitude and longitude (vocab.POSTCODE_COLUMNS):
# read as text, looked up, and replaced by the coordinates before the record is built.
POSTCODE_COLUMNS: dict[str, dict[str, Column]] = {
    file: {name: Column(name, parse_text, None) for name in columns}
    for file, columns in vocab.POSTCODE_COLUMNS.items()
}

# The contract's column lists and these parsers must agree exactly.
assert tuple(CHILD_COLUMNS) == vocab.CHILD_COLUMNS
assert tuple(HOUSEHOLD_COLUMNS) == vocab.HOUSEHOLD_COLUMNS
assert tuple(LINK_COLUMNS) == vocab.LINK_COLUMNS
