"""The CSV interchange format: strict streaming reading, validation, and writing.

`read_authority` reads `children.csv`, `households.csv` and `sibling_links.csv` from
binary streams, checks everything (header, encoding, every cell, every record, and the
records against each other) and either returns the file's records or raises one
`ValidationError` listing every problem found, each located as FILE:LINE: COLUMN.
Nothing is half-imported: a caller saves the result only when no problem was found.

Input is streamed in bounded reads (the header line, then blocks cut at line ends), so
junk (a binary file, a file with no line ends) is refused after reading at most a
header's worth of bytes, no line may exceed LINE_LIMIT, and a large valid file is never
held in memory as text.

Cell syntax lives in `matching.csv_cells`, per-record rules in `matching.csv_checks`.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import gc
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, pairwise
from typing import Any, BinaryIO, TextIO, TypeVar

from matching import csv_cells, csv_checks, vocab
from matching.csv_cells import CellError, Column, parse_float
from matching.domain import Authority, Child, Household, SiblingLink
from matching.errors import Notice, Problem, ValidationError
from matching.postcodes import Geocoder
from matching.practice import plan_conflicts
from matching.siblings import find_contradictions

__all__ = [
    "ReadReport",
    "read_authority",
    "read_files",
    "validate_authority",
    "write_authority",
    "write_links",
]

HEADER_LIMIT = 64 * 1024  # a header line longer than this is not one of our files
LINE_LIMIT = 1024 * 1024  # longest physical line accepted
PROGRESS_EVERY = 1000  # rows between progress reports
_BLOCK = 256 * 1024  # bytes read at a time after the header
_BATCH = 1000  # rows parsed together, a column at a time
_BOM = b"\xef\xbb\xbf"
# Encodings a file may be in, as the import reports them. A file with a BOM, or whose
# text so far held UTF-8 characters, is UTF-8; one whose first non-ASCII byte is not
# UTF-8 is read as Windows-1252 (what Excel's "CSV" saves on Windows) from then on.
UTF8, UTF8_BOM, CP1252 = "UTF-8", "UTF-8 with BOM", "Windows-1252"
_CODECS = {UTF8: "utf-8", UTF8_BOM: "utf-8", CP1252: "cp1252"}
_FILE_ORDER = {vocab.CHILDREN_FILE: 0, vocab.HOUSEHOLDS_FILE: 1, vocab.LINKS_FILE: 2}
_MANY_UNKNOWN = 5  # more unknown header columns than this: the file is not ours

_CACHE_SIZE = 4096  # distinct parsed cells remembered per column
_MISSING = object()

Progress = Callable[[str, int], None]
_Record = TypeVar("_Record", Child, Household, SiblingLink)


class _TooManyProblems(Exception):
    """Raised to stop reading once enough problems are known to be worth no more."""


class _Problems:
    """Collects problems; stops the read when far more have been found than are shown."""

    def __init__(self, max_problems: int) -> None:
        self.max_problems = max(1, max_problems)
        # Keep counting past the cap so the report can say how many more there are,
        # but not forever: a gigabyte of bad rows would otherwise be read in full.
        self.ceiling = max(10 * self.max_problems, 1000)
        self.found: list[Problem] = []
        self.stopped_at: tuple[str, int] | None = None

    def add(self, file: str, line: int, column: str, reason: str) -> None:
        self.found.append(Problem(file, line, column, reason))
        if len(self.found) >= self.ceiling:
            self.stopped_at = (file, line)
            raise _TooManyProblems

    def report(self) -> list[Problem]:
        ordered = sorted(self.found, key=lambda p: (_FILE_ORDER.get(p.file, 3), p.line))
        if len(ordered) <= self.max_problems:
            return ordered
        shown, hidden = ordered[: self.max_problems], ordered[self.max_problems :]
        per_file: dict[str, int] = {}
        for problem in hidden:
            per_file[problem.file] = per_file.get(problem.file, 0) + 1
        counts = ", ".join(f"{name}: {count}" for name, count in per_file.items())
        if self.stopped_at is None:
            reason = f"{len(hidden)} more problems not shown ({counts})"
        else:
            file, line = self.stopped_at
            reason = (
                f"at least {len(hidden)} more problems not shown ({counts}); "
                f"checking stopped at {file} line {line}"
            )
        return [*shown, Problem(hidden[0].file, 0, "", reason)]


class _CsvFile:
    """One CSV stream read with bounded lines: header check, then rows of cells."""

    def __init__(
        self,
        stream: BinaryIO,
        file: str,
        columns: Mapping[str, Column],
        required: frozenset[str],
        problems: _Problems,
        progress: Progress | None,
    ) -> None:
        self.stream = stream
        self.file = file
        self.base_columns = columns  # the file's own columns, named in messages
        self.columns = {**columns, **csv_cells.POSTCODE_COLUMNS.get(file, {})}
        self.encoding = UTF8
        self.non_ascii = False  # whether some text before was not plain ASCII
        self.required = required
        self.problems = problems
        self.progress = progress
        self.bytes_read = 0
        self.line = 0  # physical lines read so far
        self.undecodable: set[int] = set()  # lines that were not UTF-8
        # False once some row could not be read at all: its id is unknown, so checks
        # that need every id of this file (links to missing children) would mislead.
        self.complete = True
        self.position: dict[str, int] = {}  # column name -> index in the file's rows
        self.text_columns: list[tuple[str, Any]] = []  # (name, empty value)
        # (name, parser, empty value, cache of parsed cells or None)
        self.parsed_columns: list[tuple[str, Callable[[str], Any], Any, dict[str, Any] | None]] = []
        self.defaults: dict[str, Any] = {}
        self.width = 0

    def _add(self, line: int, column: str, reason: str) -> None:
        self.problems.add(self.file, line, column, reason)

    def _may_switch(self, raw: bytes, error: UnicodeDecodeError) -> bool:
        """Whether a UTF-8 failure means the file is Windows-1252 rather than broken."""
        return self.encoding == UTF8 and not self.non_ascii and raw[: error.start].isascii()

    def _decode(self, raw: bytes, nul_check: bool = True) -> str:
        """One line's text in the file's encoding; a line that cannot be read, or that
        holds a NUL byte, is reported and marked unreadable."""
        text: str | None = None
        if self.encoding != CP1252:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                if not self._may_switch(raw, error):
                    bad = raw[error.start : error.start + 1].hex()
                    self._unreadable(
                        f"not UTF-8: byte 0x{bad} at position {error.start + 1} of the line "
                        f"cannot be read (the file's earlier text is {self.encoding}, so it is "
                        "not Windows-1252 either); save the whole file as UTF-8"
                    )
                    return raw.decode("utf-8", errors="replace")
                self.encoding = CP1252
        if text is None:
            try:
                text = raw.decode("cp1252")
            except UnicodeDecodeError as error:
                bad = raw[error.start : error.start + 1].hex()
                self._unreadable(
                    f"byte 0x{bad} at position {error.start + 1} of the line is not UTF-8 "
                    "and not Windows-1252 either; save the file as UTF-8"
                )
                return raw.decode("cp1252", errors="replace")
        if not self.non_ascii and not raw.isascii():
            self.non_ascii = True
        if nul_check and "\x00" in text:
            # A NUL is no text: PostgreSQL refuses it in a string, and no cell means it.
            position = text.index("\x00") + 1
            self._unreadable(
                f"a NUL byte (0x00) at position {position} of the line: this is not text; "
                "remove it (was the file saved as UTF-16, or copied from a binary file?)"
            )
            return text.replace("\x00", "")
        return text

    def _unreadable(self, reason: str) -> None:
        self._add(self.line, "", reason)
        self.undecodable.add(self.line)

    def read_header(self) -> bool:
        """Read and check the header line; False when the file cannot be read further."""
        raw = self.stream.readline(HEADER_LIMIT + 1)
        self.bytes_read += len(raw)
        expected = ",".join(self.base_columns)
        if not raw:
            self._add(0, "", f"the file is empty; expected a header row: {expected}")
            return False
        self.line = 1
        if raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
            self.encoding = UTF8_BOM
        if len(raw) >= HEADER_LIMIT and not raw.endswith(b"\n"):
            self._add(
                1,
                "",
                f"no line end in the first {HEADER_LIMIT // 1024} KiB: this is not a CSV file",
            )
            return False
        undecodable = len(self.undecodable)
        # A NUL in the header is junk, which the header check names as such.
        text = self._decode(raw, nul_check=False)
        if len(self.undecodable) > undecodable:
            return False
        try:
            names = next(csv.reader([text], strict=True), [])
        except csv.Error as error:
            self._add(1, "", f"the header row cannot be read as CSV: {error}")
            return False
        if not names or names == [""]:
            self._add(1, "", f"the header row is empty; expected: {expected}")
            return False
        return self._check_header(names, expected)

    def _check_header(self, names: list[str], expected: str) -> bool:
        ok = True
        unknown = [name for name in names if name not in self.columns]
        if len(unknown) > _MANY_UNKNOWN or len(unknown) == len(names):
            shown = ", ".join(repr(name[:40]) for name in unknown[:3])
            self._add(
                1,
                "",
                f"this is not a {self.file} header: {len(unknown)} unknown columns "
                f"({shown}, ...); expected: {expected}",
            )
            return False
        for name in unknown:
            close = difflib.get_close_matches(name, list(self.columns), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self._add(1, name, f"unknown column {name!r}{hint}; expected: {expected}")
            ok = False
        seen: set[str] = set()
        for name in names:
            if name in seen and name in self.columns:
                self._add(1, name, f"column {name!r} appears more than once in the header")
                ok = False
            seen.add(name)
        # A location's postcode column stands in for its latitude and longitude columns.
        located = {
            coordinate
            for postcode, pair in vocab.POSTCODE_COLUMNS.get(self.file, {}).items()
            if postcode in seen
            for coordinate in pair
        }
        for name in self.columns:
            if name in self.required and name not in seen and name not in located:
                self._add(1, name, f"required column {name!r} is missing from the header")
                ok = False
        if not ok:
            return False
        # Columns may come in any order; optional columns may be left out entirely.
        present = set(names)
        self.position = {name: index for index, name in enumerate(names)}
        self.text_columns = [
            (name, column.empty)
            for name, column in self.columns.items()
            if name in present and column.parse is csv_cells.parse_text
        ]
        # Codes, dates and lists repeat across rows, so each distinct cell is parsed once;
        # coordinates and costs rarely repeat and are parsed directly.
        self.parsed_columns = [
            (name, column.parse, column.empty, None if column.parse is parse_float else {})
            for name, column in self.columns.items()
            if name in present and column.parse is not csv_cells.parse_text
        ]
        self.defaults = {n: c.empty for n, c in self.columns.items() if n not in present}
        self.width = len(names)
        return True

    def _too_long(self, line: int) -> None:
        self._add(
            line,
            "",
            f"line longer than {LINE_LIMIT // (1024 * 1024)} MiB; reading of this file stopped",
        )
        self.complete = False

    def _line_batches(self) -> Iterator[list[str]]:
        """The physical lines after the header, decoded, a block of bytes at a time.

        Blocks are cut after their last line end, so no line (and no UTF-8 character,
        which never contains a newline byte) is split; a line that is still open after
        LINE_LIMIT bytes stops the read.
        """
        pending = b""
        while True:
            block = self.stream.read(_BLOCK)
            self.bytes_read += len(block)
            data = pending + block if pending else block
            if not block:
                if data:  # a last line without a line end
                    yield [self._decode_line(data)]
                return
            first_end = data.find(b"\n")
            if first_end > LINE_LIMIT or (first_end < 0 and len(data) > LINE_LIMIT):
                self._too_long(self.line + 1)
                return
            cut = data.rfind(b"\n") + 1
            pending = data[cut:]
            if cut:
                yield self._decode_block(data[:cut])

    def _decode_block(self, data: bytes) -> list[str]:
        try:
            text = data.decode(_CODECS[self.encoding])
        except UnicodeDecodeError:
            # Rare: decode line by line, which finds a Windows-1252 file's first
            # non-ASCII byte or reports each undecodable line, with its number.
            return self._decode_lines(data)
        if "\x00" in text:
            return self._decode_lines(data)  # to report each line holding a NUL
        if not self.non_ascii and not data.isascii():
            self.non_ascii = True
        # Split on "\n" only: str.splitlines would also split on \r, \x85 and \u2028,
        # which may sit inside a quoted cell and are not physical line ends here.
        lines = text.split("\n")
        lines.pop()  # the empty string after the final line end
        self.line += len(lines)
        return [line + "\n" for line in lines]

    def _decode_line(self, raw: bytes) -> str:
        self.line += 1
        return self._decode(raw)

    def _decode_lines(self, data: bytes) -> list[str]:
        return [self._decode_line(raw + b"\n") for raw in data.split(b"\n")[:-1]]

    def rows(self) -> Iterator[tuple[int, list[str], bool]]:
        """(first physical line, cells, readable) for each data row after the header."""
        reader = csv.reader(chain.from_iterable(self._line_batches()), strict=True)
        count = 0
        while True:
            start = reader.line_num + 2  # the header is line 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                self._add(reader.line_num + 1, "", f"cannot read this row as CSV: {error}")
                self.complete = False
                continue
            if not cells:
                continue  # a blank line
            count += 1
            if self.progress is not None and count % PROGRESS_EVERY == 0:
                self.progress(self.file, self.bytes_read)
            if len(cells) != self.width:
                self._add(
                    start,
                    "",
                    f"{len(cells)} cells, but the header has {self.width} columns",
                )
                self.complete = False
                continue
            end = reader.line_num + 1
            readable = not self.undecodable or not any(
                line in self.undecodable for line in range(start, end + 1)
            )
            yield start, cells, readable
        if self.progress is not None:
            self.progress(self.file, self.bytes_read)

    def batch_values(
        self, rows: list[tuple[int, list[str], bool]]
    ) -> tuple[list[dict[str, Any]], set[int]]:
        """Typed values of each row's readable cells, and the indexes of rows with a bad cell.

        Works a column at a time over a batch of rows: each distinct cell is parsed once
        and the rest is list building, which on 100,000 rows is much faster than going
        cell by cell. A cell that cannot be parsed is left out of its row's values, and
        reported unless its row is marked unreadable (already reported as not UTF-8).
        """
        columns = list(zip(*(cells for _, cells, _ in rows), strict=True))
        names: list[str] = []
        lists: list[list[Any]] = []
        failed: dict[int, list[str]] = {}  # row index -> names of its unreadable cells
        for name, empty in self.text_columns:
            names.append(name)
            lists.append([cell or empty for cell in columns[self.position[name]]])
        for name, parse, empty, cache in self.parsed_columns:
            column = columns[self.position[name]]
            parsed: dict[str, Any] = {"": empty}
            bad: dict[str, str] = {}
            for cell in set(column).difference(parsed):
                value = _MISSING if cache is None else cache.get(cell, _MISSING)
                if value is _MISSING:
                    try:
                        value = parse(cell)
                    except CellError as error:
                        bad[cell] = str(error)
                        continue
                    if cache is not None and len(cache) < _CACHE_SIZE:
                        cache[cell] = value
                parsed[cell] = value
            if bad:
                for index, cell in enumerate(column):
                    if cell in bad:
                        line, _, readable = rows[index]
                        if readable:
                            self._add(line, name, bad[cell])
                        failed.setdefault(index, []).append(name)
            get = parsed.get
            values = [get(cell) for cell in column]
            if parse is csv_cells.parse_graded or parse is csv_cells.parse_facts:
                values = [dict(value or ()) for value in values]  # no shared mutable maps
            names.append(name)
            lists.append(values)
        records = [dict(zip(names, values, strict=True)) for values in zip(*lists, strict=True)]
        if self.defaults:
            for record in records:
                record.update(self.defaults)
        for index, bad_names in failed.items():
            for name in bad_names:
                del records[index][name]
        return records, set(failed)


def _fast_init_ok(cls: type, columns: Iterable[str]) -> bool:
    """Whether `_instantiate` may fill a record's __dict__ directly."""
    return (
        dataclasses.is_dataclass(cls)
        and {f.name for f in dataclasses.fields(cls)} == set(columns)
        and not hasattr(cls, "__post_init__")
        and not hasattr(cls, "__slots__")
    )


# A frozen dataclass sets each field through object.__setattr__, about 20 µs for a
# child; with 100,000 rows that is seconds. Rows are complete and checked, so when the
# class is a plain dataclass whose fields are exactly the columns, fill it directly.
_FAST_INIT = {
    Child: _fast_init_ok(Child, vocab.CHILD_COLUMNS),
    Household: _fast_init_ok(Household, vocab.HOUSEHOLD_COLUMNS),
    SiblingLink: _fast_init_ok(SiblingLink, vocab.LINK_COLUMNS),
}


def _instantiate(cls: type[_Record], values: dict[str, Any]) -> _Record:
    if not _FAST_INIT[cls]:
        return cls(**values)
    record = object.__new__(cls)
    record.__dict__.update(values)
    return record


def _note_id(
    lines: dict[str, int], column: str, value: Any, line: int, found: list[tuple[int, str, str]]
) -> None:
    """Remember an id's first line; a later line with the same id is a duplicate."""
    if not isinstance(value, str) or not value:
        return
    first = lines.setdefault(value, line)
    if first != line:
        found.append((line, column, f"duplicate {column} {value!r}: already on line {first}"))


def _pair_key(a: Any, b: Any) -> str | None:
    if not (isinstance(a, str) and isinstance(b, str) and a and b) or a == b:
        return None
    first, second = sorted((a, b))
    return f"{first}\x00{second}"


@dataclass
class _Parsed:
    """What the rows of the three files gave: records and what cross-checks need."""

    children: list[Child] = field(default_factory=list)
    households: list[tuple[int, Household]] = field(default_factory=list)
    links: list[tuple[int, SiblingLink]] = field(default_factory=list)
    child_lines: dict[str, int] = field(default_factory=dict)
    pair_lines: dict[str, int] = field(default_factory=dict)
    # (line, column, child id) for every child a link or a connected household names
    link_ends: list[tuple[int, str, str]] = field(default_factory=list)
    connected_ids: list[tuple[int, str]] = field(default_factory=list)


def _note_child(
    parsed: _Parsed, values: Mapping[str, Any], line: int, found: list[tuple[int, str, str]]
) -> None:
    _note_id(parsed.child_lines, "child_id", values.get("child_id"), line, found)


def _note_household(
    seen: dict[str, int],
    parsed: _Parsed,
    values: Mapping[str, Any],
    line: int,
    found: list[tuple[int, str, str]],
) -> None:
    _note_id(seen, "household_id", values.get("household_id"), line, found)
    for child_id in values.get("connected_child_ids", ()):
        parsed.connected_ids.append((line, child_id))


def _note_link(
    parsed: _Parsed, values: Mapping[str, Any], line: int, found: list[tuple[int, str, str]]
) -> None:
    a, b = values.get("child_a"), values.get("child_b")
    for column, child_id in (("child_a", a), ("child_b", b)):
        if isinstance(child_id, str) and child_id:
            parsed.link_ends.append((line, column, child_id))
    key = _pair_key(a, b)
    if key is None:
        return
    first = parsed.pair_lines.setdefault(key, line)
    if first != line:
        found.append(
            (
                line,
                "child_a",
                f"the pair {a} and {b} is already linked on line {first}; "
                "a pair appears once, in either order",
            )
        )


def _cross_record(
    parsed: _Parsed,
    existing: Authority | None,
    problems: _Problems,
    where: str,
    warnings: list[Notice],
    households_given: bool,
) -> None:
    """Links, connected ids and placed_with against the records; practice warnings."""
    child_ids = set(parsed.child_lines)
    file_pairs = {link.pair for _, link in parsed.links}
    links = [link for _, link in parsed.links]
    children = {child.child_id: child for child in parsed.children}
    household_ids = {household.household_id for _, household in parsed.households}
    if existing is not None:
        child_ids.update(child.child_id for child in existing.children)
        # A file link replaces an existing link for the same pair.
        links = [link for link in existing.links if link.pair not in file_pairs] + links
        children = {child.child_id: child for child in existing.children} | children
        household_ids.update(household.household_id for household in existing.households)
    for line, column, child_id in parsed.link_ends:
        if child_id not in child_ids:
            problems.add(vocab.LINKS_FILE, line, column, f"no child {child_id!r} in {where}")
    for line, child_id in parsed.connected_ids:
        if child_id not in child_ids:
            problems.add(
                vocab.HOUSEHOLDS_FILE,
                line,
                "connected_child_ids",
                f"no child {child_id!r} in {where}",
            )
    # placed_with names a household whenever households are known (a children-only
    # import into an empty store cannot check it).
    if households_given or household_ids:
        for child in parsed.children:
            if child.placed_with and child.placed_with not in household_ids:
                problems.add(
                    vocab.CHILDREN_FILE,
                    parsed.child_lines[child.child_id],
                    "placed_with",
                    f"no household {child.placed_with!r} in households.csv"
                    + ("" if existing is None else " or the records held"),
                )
    # Practice contradictions are imported and reported, never refused (practice.py).
    lines = {link.pair: line for line, link in parsed.links}
    # Only linked children can be in a contradiction (a graph of every child is slow).
    linked = sorted({c for link in links for c in (link.child_a, link.child_b)} & child_ids)
    for contradiction in find_contradictions(linked, links):
        path = contradiction.together_path
        together = [lines.get(frozenset(step)) for step in pairwise(path)]
        together_lines = [line for line in together if line is not None]
        apart_line = lines.get(contradiction.apart_link.pair)
        located = [
            f"apart on line {apart_line}" if apart_line else "apart link already recorded",
            (
                "together on lines " + ", ".join(str(line) for line in together_lines)
                if together_lines
                else "together links already recorded"
            ),
        ]
        if not apart_line and not together_lines:
            continue  # held as it is: stored on the children's records, not news here
        line = apart_line or together_lines[0]
        warnings.append(
            Notice(
                vocab.LINKS_FILE,
                line,
                "warning",
                f"{contradiction.describe()} ({'; '.join(located)}); imported as recorded, "
                "these children are not matched until it is resolved",
            )
        )
    for conflict in plan_conflicts(children.values(), links):
        file_lines = [parsed.child_lines[c] for c in conflict.unit if c in parsed.child_lines]
        link_lines = [
            lines[frozenset(pair)] for pair in pairwise(conflict.unit) if frozenset(pair) in lines
        ]
        if file_lines:
            file, line = vocab.CHILDREN_FILE, min(file_lines)
        elif link_lines:
            file, line = vocab.LINKS_FILE, min(link_lines)
        else:
            continue  # already held as it is: reported by the import that brought it
        warnings.append(
            Notice(
                file,
                line,
                "warning",
                f"{conflict.describe()}; imported as recorded, not matched until resolved",
            )
        )


def _read_rows(
    source: _CsvFile,
    check: Callable[[dict[str, Any], int], Iterable[tuple[str, str]]],
    note: Callable[[Mapping[str, Any], int, list[tuple[int, str, str]]], None],
    build: Callable[[int, dict[str, Any]], None],
) -> None:
    """Parse, check and keep each row of one file, a batch of rows at a time."""
    batch: list[tuple[int, list[str], bool]] = []
    for row in source.rows():
        batch.append(row)
        if len(batch) == _BATCH:
            _read_batch(source, batch, check, note, build)
            batch = []
    if batch:
        _read_batch(source, batch, check, note, build)


def _read_batch(
    source: _CsvFile,
    batch: list[tuple[int, list[str], bool]],
    check: Callable[[dict[str, Any], int], Iterable[tuple[str, str]]],
    note: Callable[[Mapping[str, Any], int, list[tuple[int, str, str]]], None],
    build: Callable[[int, dict[str, Any]], None],
) -> None:
    problems = source.problems
    records, failed = source.batch_values(batch)
    for index, ((line, _, readable), values) in enumerate(zip(batch, records, strict=True)):
        if not readable:
            # Already reported as not UTF-8: its cells would only add noise, but its id
            # is still noted so links to it and duplicates of it are judged rightly.
            note(values, line, [])
            continue
        ok = index not in failed
        for column, reason in check(values, line):
            problems.add(source.file, line, column, reason)
            ok = False
        found: list[tuple[int, str, str]] = []
        note(values, line, found)
        for at, column, reason in found:
            problems.add(source.file, at, column, reason)
        if ok:
            build(line, values)


@dataclass
class ReadReport:
    """What a read found besides the records: how each file was decoded, the practice
    warnings (imported as recorded) and notes (postcodes read as district centroids)."""

    encodings: dict[str, str] = field(default_factory=dict)
    warnings: list[Notice] = field(default_factory=list)
    notes: list[Notice] = field(default_factory=list)


@dataclass(frozen=True)
class ReadResult:
    authority: Authority
    report: ReadReport


def _locate(
    values: dict[str, Any],
    file: str,
    line: int,
    geocoder: Geocoder | None,
    notes: list[Notice],
) -> list[tuple[str, str]]:
    """Replace each postcode of the row by its coordinates (vocab.POSTCODE_COLUMNS)."""
    found: list[tuple[str, str]] = []
    for column, (lat_column, lon_column) in vocab.POSTCODE_COLUMNS.get(file, {}).items():
        given = column in values
        text = values.pop(column, None)
        if not text:
            required = lat_column in vocab.HOUSEHOLD_REQUIRED and file == vocab.HOUSEHOLDS_FILE
            if given and required and values.get(lat_column) is None:
                # say what is missing in the file's own terms, once, not "lat is empty"
                found.append((column, f"give a postcode, or {lat_column} and {lon_column}"))
                values.pop(lat_column, None)
                values.pop(lon_column, None)
            continue
        if values.get(lat_column) is not None or values.get(lon_column) is not None:
            found.append((column, f"give {column} or {lat_column} and {lon_column}, not both"))
            continue
        located = None if geocoder is None else geocoder.locate(text)
        if located is None:
            reason = (
                "postcodes cannot be looked up without the ONS Postcode Directory"
                if geocoder is None
                else "is not a UK postcode or postcode district in the ONS Postcode Directory"
            )
            found.append((column, f"{text!r} {reason}"))
            # unreadable, like a cell that failed to parse: no rule about it fires again
            values.pop(lat_column, None)
            values.pop(lon_column, None)
            continue
        values[lat_column], values[lon_column] = located.lat, located.lon
        if located.precision != "postcode":
            notes.append(Notice(file, line, "note", f"{column}: {located.describe()}"))
    return found


def read_authority(
    children: BinaryIO, households: BinaryIO | None, links: BinaryIO | None, **options: Any
) -> Authority:
    """Read and validate the interchange files; return exactly their records.

    As `read_files` (the same keyword options), without its report.
    """
    return read_files(children, households, links, **options).authority


def read_files(
    children: BinaryIO,
    households: BinaryIO | None,
    links: BinaryIO | None,
    *,
    as_of: date,
    existing: Authority | None = None,
    max_problems: int = 200,
    progress: Progress | None = None,
    geocoder: Geocoder | None = None,
) -> ReadResult:
    """Read and validate the interchange files; return their records and a report.

    The streams are binary text, each in UTF-8 (a BOM is accepted) or Windows-1252,
    detected per file and reported. `households` and `links` may be None (a
    children-only import). Every problem is collected, up to `max_problems` plus a
    final one saying how many more were not shown, and raised together as
    `ValidationError`. `existing` holds records already stored: links, connected ids and
    placed_with may name its records, and practice contradictions are looked for in the
    merge where the file's records replace existing ones with the same id (a file link
    replaces an existing link for the same pair); they are reported in the report's
    warnings, not refused. Postcode columns are looked up with `geocoder`. `progress`
    is called with (file name, bytes read so far) every ~1000 rows and at each file's end.
    """
    problems = _Problems(max_problems)
    parsed = _Parsed()
    report = ReadReport()
    household_lines: dict[str, int] = {}
    given: list[tuple[BinaryIO, str, Mapping[str, Column], frozenset[str]]] = [
        (children, vocab.CHILDREN_FILE, csv_cells.CHILD_COLUMNS, vocab.CHILD_REQUIRED)
    ]
    if households is not None:
        given.append(
            (
                households,
                vocab.HOUSEHOLDS_FILE,
                csv_cells.HOUSEHOLD_COLUMNS,
                vocab.HOUSEHOLD_REQUIRED,
            )
        )
    if links is not None:
        given.append((links, vocab.LINKS_FILE, csv_cells.LINK_COLUMNS, vocab.LINK_REQUIRED))
    sources = [
        _CsvFile(stream, name, columns, required, problems, progress)
        for stream, name, columns, required in given
    ]

    def check_child(values: dict[str, Any], line: int) -> Iterable[tuple[str, str]]:
        located = _locate(values, vocab.CHILDREN_FILE, line, geocoder, report.notes)
        return located + csv_checks.child_problems(values, as_of=as_of)

    def build_child(line: int, values: dict[str, Any]) -> None:
        parsed.children.append(_instantiate(Child, values))

    def check_household(values: dict[str, Any], line: int) -> Iterable[tuple[str, str]]:
        located = _locate(values, vocab.HOUSEHOLDS_FILE, line, geocoder, report.notes)
        return located + csv_checks.household_problems(values)

    def note_household(
        values: Mapping[str, Any], line: int, found: list[tuple[int, str, str]]
    ) -> None:
        _note_household(household_lines, parsed, values, line, found)

    def build_household(line: int, values: dict[str, Any]) -> None:
        parsed.households.append((line, _instantiate(Household, values)))

    def check_link(values: dict[str, Any], line: int) -> Iterable[tuple[str, str]]:
        return csv_checks.link_problems(values)

    def build_link(line: int, values: dict[str, Any]) -> None:
        parsed.links.append((line, _instantiate(SiblingLink, values)))

    steps: dict[str, tuple[Any, Any, Any]] = {
        vocab.CHILDREN_FILE: (
            check_child,
            lambda v, n, f: _note_child(parsed, v, n, f),
            build_child,
        ),
        vocab.HOUSEHOLDS_FILE: (check_household, note_household, build_household),
        vocab.LINKS_FILE: (
            check_link,
            lambda v, n, f: _note_link(parsed, v, n, f),
            build_link,
        ),
    }
    # Reading creates a few objects per cell that all live on; the cyclic collector
    # would rescan them again and again (about a third of the time on 100,000 rows).
    collecting = gc.isenabled()
    gc.disable()
    try:
        readable = True
        for source in sources:
            check, note, build = steps[source.file]
            if not source.read_header():
                readable = False
                continue
            _read_rows(source, check, note, build)
            report.encodings[source.file] = source.encoding
            readable = readable and source.complete
        # Cross-record checks need every id of every file; after a file could not be
        # read they would only report consequences of the problems already found.
        if readable:
            where = vocab.CHILDREN_FILE if existing is None else "children.csv or the records held"
            _cross_record(
                parsed, existing, problems, where, report.warnings, households is not None
            )
    except _TooManyProblems:
        pass  # the cap was reached: the problems so far are reported below
    finally:
        if collecting:
            gc.enable()
    if problems.found:
        raise ValidationError(problems.report())
    authority = Authority(
        children=tuple(parsed.children),
        households=tuple(household for _, household in parsed.households),
        links=tuple(link for _, link in parsed.links),
    )
    return ReadResult(authority, report)


def _record_values(record: Any, columns: Iterable[str]) -> dict[str, Any]:
    return {column: getattr(record, column) for column in columns}


def validate_authority(authority: Authority, *, as_of: date) -> list[Problem]:
    """Every problem of an in-memory authority, by the same rules as `read_authority`.

    Records are located as if written by `write_authority`: the n-th child (from 0) is
    line n + 2 of children.csv, and so on. Returns an empty list when all is well.
    """
    problems = _Problems(max_problems=len(authority.children) + len(authority.households) + 1)
    problems.ceiling = 1 << 62  # report everything: nothing here is streamed
    parsed = _Parsed()
    household_lines: dict[str, int] = {}
    for index, child in enumerate(authority.children):
        line = index + 2
        values = _record_values(child, vocab.CHILD_COLUMNS)
        found: list[tuple[int, str, str]] = [
            (line, column, reason)
            for column, reason in csv_checks.child_problems(values, as_of=as_of)
        ]
        _note_child(parsed, values, line, found)
        for at, column, reason in found:
            problems.add(vocab.CHILDREN_FILE, at, column, reason)
        parsed.children.append(child)
    for index, household in enumerate(authority.households):
        line = index + 2
        values = _record_values(household, vocab.HOUSEHOLD_COLUMNS)
        found = [(line, column, reason) for column, reason in csv_checks.household_problems(values)]
        _note_household(household_lines, parsed, values, line, found)
        for at, column, reason in found:
            problems.add(vocab.HOUSEHOLDS_FILE, at, column, reason)
        parsed.households.append((line, household))
    for index, link in enumerate(authority.links):
        line = index + 2
        values = _record_values(link, vocab.LINK_COLUMNS)
        found = [(line, column, reason) for column, reason in csv_checks.link_problems(values)]
        _note_link(parsed, values, line, found)
        for at, column, reason in found:
            problems.add(vocab.LINKS_FILE, at, column, reason)
        parsed.links.append((line, link))
    warnings: list[Notice] = []  # practice contradictions are not problems here either
    _cross_record(parsed, None, problems, vocab.CHILDREN_FILE, warnings, True)
    return sorted(problems.found, key=lambda p: (_FILE_ORDER.get(p.file, 3), p.line))


_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def _quoted(cell: str) -> str:
    # The csv module quotes only the writer's own line terminator, so a lone '\r' in a
    # note would be written bare and read back as a line end; quote every line break.
    if _NEEDS_QUOTES.search(cell):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _write(out: TextIO, columns: tuple[str, ...], records: Iterable[Any]) -> None:
    out.write(",".join(columns) + "\n")
    format_cell = csv_cells.format_cell
    for record in records:
        cells = [_quoted(format_cell(getattr(record, column))) for column in columns]
        out.write(",".join(cells) + "\n")


def write_links(links: Iterable[SiblingLink], out: TextIO) -> None:
    """Write `sibling_links.csv` alone (as `write_authority` writes it)."""
    _write(out, vocab.LINK_COLUMNS, links)


def write_authority(
    authority: Authority, children: TextIO, households: TextIO, links: TextIO
) -> None:
    """Write the three interchange files, records in the authority's order.

    Columns follow `matching.vocab`; lists are `;`-joined (sets and graded needs sorted
    by code, ordered lists as held), booleans `true`/`false`, dates ISO, floats in
    their shortest exact form, None as an empty cell. Open files with newline="".
    `read_authority` reads the result back to an equal authority.
    """
    _write(children, vocab.CHILD_COLUMNS, authority.children)
    _write(households, vocab.HOUSEHOLD_COLUMNS, authority.households)
    _write(links, vocab.LINK_COLUMNS, authority.links)
