"""Import an authority's records into the store: validate everything, then one commit.

Three ways in, one way to save (`_save`):

- `csv` (default): familyfinder's interchange files (`children.csv`, `households.csv`
  or the carer register `households.xlsx`, `sibling_links.csv`);
- `ssda903`: the DfE children-looked-after return, with a plans file (`--plans`);
- `placements`: referrals in the SocialCareData placements standard v2, adding needs
  and risks to the children already held.

`--mode upsert` (default) inserts new records and updates those whose id is held;
`--mode snapshot` also retires the current records the files no longer hold (kept for
the audit and frozen panel papers, out of matching) and removes absent sibling links,
asking for `yes` when that would retire more than the configured share.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from api.services.unit_of_work import unit_of_work
from api.settings import DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_SNAPSHOT_RETIRE_SHARE
from matching.csv_format import ReadReport, read_files
from matching.domain import Authority
from matching.errors import ConflictError, NotFoundError, Notice, Problem, ValidationError
from matching.fingerprint import authority_fingerprint
from matching.postcodes import Geocoder
from matching.practice import PLAN_NOT_RECORDED, ChildWarning, practice_warnings
from matching.vocab import CHILDREN_FILE, HOUSEHOLDS_FILE, LINKS_FILE
from models.store import (
    Retirement,
    UpsertCounts,
    bump_data_version,
    count_current,
    load_authority,
    plan_retirement,
    record_fingerprint,
    record_import_run,
    replace_child_warnings,
    retire,
    upsert_authority,
)

ProgressCallback = Callable[[str, int], None]

FORMATS = ("csv", "ssda903", "placements")
MODES = ("upsert", "snapshot")
HOUSEHOLDS_XLSX = "households.xlsx"


@dataclass(frozen=True)
class ImportSummary:
    directory: Path
    as_of: date
    counts: UpsertCounts
    import_run_id: int
    # Fingerprint of everything stored once this import is in (not only these files).
    inputs_fingerprint: str
    format: str = "csv"
    mode: str = "upsert"
    encodings: dict[str, str] = field(default_factory=dict)
    warnings: list[Notice] = field(default_factory=list)
    notes: list[Notice] = field(default_factory=list)
    retired: Retirement = field(default_factory=Retirement)
    # children stored with no permanence plan recorded (listed, never dropped)
    needs_plan: list[str] = field(default_factory=list)
    # what the source held that was not imported, by reason (SSDA903: not looked after,
    # short breaks only, 18 or over), and fields that could not be mapped
    left_out: dict[str, int] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        """The JSON-ready report stored with the import run and shown to the admin."""
        return {
            "format": self.format,
            "mode": self.mode,
            "encodings": self.encodings,
            "warnings": [str(w) for w in self.warnings],
            "notes": [str(n) for n in self.notes],
            "retired_children": list(self.retired.children),
            "retired_households": list(self.retired.households),
            "removed_links": [list(pair) for pair in self.retired.links],
            "needs_plan": self.needs_plan,
            "left_out": self.left_out,
            "unmapped": self.unmapped,
        }


@dataclass
class Incoming:
    """What one format's reader made of the files, before anything is saved."""

    authority: Authority
    report: ReadReport
    # which kinds of record the files hold in full (mirrored by a snapshot)
    mirrors_children: bool = True
    mirrors_households: bool = True
    mirrors_links: bool = True
    left_out: dict[str, int] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)


def input_files(directory: Path) -> dict[str, Path]:
    """The interchange files of an authority directory that exist, by file name."""
    names = (CHILDREN_FILE, HOUSEHOLDS_FILE, HOUSEHOLDS_XLSX, LINKS_FILE)
    return {name: directory / name for name in names if (directory / name).is_file()}


def _check_sizes(files: dict[str, Path], max_upload_bytes: int) -> list[Problem]:
    problems = []
    for name, path in files.items():
        size = path.stat().st_size
        if size > max_upload_bytes:
            problems.append(
                Problem(
                    name,
                    0,
                    "",
                    f"file is {size:,} bytes, over the limit of {max_upload_bytes:,} bytes "
                    "(FAMILYFINDER_MAX_UPLOAD_BYTES)",
                )
            )
    return problems


def check_files(directory: Path, *, max_upload_bytes: int) -> dict[str, Path]:
    """The interchange files to import; a missing children file, households given twice
    or an oversized file is a problem. Sizes are checked before anything is read."""
    if not directory.is_dir():
        raise NotFoundError(f"no directory {directory}")
    files = input_files(directory)
    problems = []
    if CHILDREN_FILE not in files:
        problems.append(Problem(CHILDREN_FILE, 0, "", f"required file is missing from {directory}"))
    if HOUSEHOLDS_FILE in files and HOUSEHOLDS_XLSX in files:
        problems.append(
            Problem(
                HOUSEHOLDS_XLSX,
                0,
                "",
                f"both {HOUSEHOLDS_FILE} and {HOUSEHOLDS_XLSX} are in {directory}: keep one",
            )
        )
    problems += _check_sizes(files, max_upload_bytes)
    if problems:
        raise ValidationError(problems)
    return files


def merge_authority(existing: Authority, incoming: Authority) -> Authority:
    """What the store holds after `incoming` is upserted over `existing` (ids matched)."""
    children = {c.child_id: c for c in existing.children}
    children.update((c.child_id, c) for c in incoming.children)
    households = {h.household_id: h for h in existing.households}
    households.update((h.household_id, h) for h in incoming.households)
    links = {link.pair: link for link in existing.links}
    links.update((link.pair, link) for link in incoming.links)
    return Authority(
        children=tuple(children.values()),
        households=tuple(households.values()),
        links=tuple(links.values()),
    )


def _without(authority: Authority, retirement: Retirement) -> Authority:
    children = set(retirement.children)
    households = set(retirement.households)
    links = {frozenset(pair) for pair in retirement.links}
    return Authority(
        children=tuple(c for c in authority.children if c.child_id not in children),
        households=tuple(h for h in authority.households if h.household_id not in households),
        links=tuple(link for link in authority.links if link.pair not in links),
    )


def _requested_by() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (containers without a passwd entry)
        return "unknown"


def _default_geocoder() -> Geocoder:
    # Imported here: the directory's data is loaded only when a file uses a postcode.
    from models.postcode_directory import postcode_directory

    return postcode_directory()


def read_csv_directory(
    files: dict[str, Path],
    *,
    as_of: date,
    existing: Authority,
    progress: ProgressCallback | None,
    geocoder: Geocoder | None,
) -> Incoming:
    """The interchange files (households as CSV or as the XLSX register), validated."""
    with ExitStack() as stack:
        streams: dict[str, BinaryIO] = {
            name: stack.enter_context(path.open("rb")) for name, path in files.items()
        }
        households = streams.get(HOUSEHOLDS_FILE)
        if HOUSEHOLDS_XLSX in streams:
            from matching.register_xlsx import register_as_csv

            try:
                households = register_as_csv(streams[HOUSEHOLDS_XLSX])
            except Exception as error:  # openpyxl raises many kinds for a non-workbook
                raise ValidationError(
                    [
                        Problem(
                            HOUSEHOLDS_XLSX, 0, "", f"cannot be read as an XLSX workbook: {error}"
                        )
                    ]
                ) from None
        try:
            result = read_files(
                streams[CHILDREN_FILE],
                households,
                streams.get(LINKS_FILE),
                as_of=as_of,
                existing=existing,
                progress=progress,
                geocoder=geocoder,
            )
        except ValidationError as error:
            if HOUSEHOLDS_XLSX not in streams:
                raise
            # The worksheet was read as households.csv, row for row: name the workbook.
            raise ValidationError(
                [
                    Problem(HOUSEHOLDS_XLSX, p.line, p.column, p.reason)
                    if p.file == HOUSEHOLDS_FILE
                    else p
                    for p in error.problems
                ]
            ) from None
    if HOUSEHOLDS_XLSX in streams and HOUSEHOLDS_FILE in result.report.encodings:
        result.report.encodings[HOUSEHOLDS_XLSX] = "XLSX (worksheet 'households')"
        del result.report.encodings[HOUSEHOLDS_FILE]
    return Incoming(
        result.authority,
        result.report,
        mirrors_households=households is not None,
        mirrors_links=LINKS_FILE in files,
    )


def import_directory(
    session: Session,
    directory: Path,
    *,
    as_of: date,
    progress: ProgressCallback | None = None,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    requested_by: str | None = None,
    format: str = "csv",
    mode: str = "upsert",
    plans: Path | None = None,
    yes: bool = False,
    retire_share: float = DEFAULT_SNAPSHOT_RETIRE_SHARE,
    geocoder: Geocoder | None = None,
) -> ImportSummary:
    """Validate an authority directory in full, then save it in one transaction.

    `format` is `csv`, `ssda903` or `placements` (see the module docstring); `mode`
    `upsert` or `snapshot`. Records whose id is already stored are updated, the rest
    inserted; sibling links may refer to children stored by an earlier import. On any
    error nothing is written and the error (a ValidationError listing every problem, or
    a ConflictError when a snapshot would retire too much without `yes`) is raised.
    Practice contradictions are imported, returned as warnings and stored per child.
    """
    if format not in FORMATS:
        raise ValidationError(
            [Problem("", 0, "", f"unknown format {format!r}: use {', '.join(FORMATS)}")]
        )
    if mode not in MODES:
        raise ValidationError(
            [Problem("", 0, "", f"unknown mode {mode!r}: use {', '.join(MODES)}")]
        )
    if format == "placements" and mode == "snapshot":
        raise ValidationError(
            [
                Problem(
                    "",
                    0,
                    "",
                    "placement referrals add to the children held: --mode snapshot "
                    "does not apply to them",
                )
            ]
        )
    if not directory.is_dir():
        raise NotFoundError(f"no directory {directory}")
    locate = geocoder if geocoder is not None else _LazyGeocoder()
    with unit_of_work(session):
        existing = load_authority(session)
        if format == "csv":
            files = check_files(directory, max_upload_bytes=max_upload_bytes)
            incoming = read_csv_directory(
                files, as_of=as_of, existing=existing, progress=progress, geocoder=locate
            )
        elif format == "ssda903":
            from api.services.ssda903_import import read_ssda903_directory

            incoming = read_ssda903_directory(
                directory,
                plans=plans,
                as_of=as_of,
                existing=existing,
                geocoder=locate,
                max_upload_bytes=max_upload_bytes,
            )
        else:
            from api.services.placements_import import read_placements_directory

            incoming = read_placements_directory(
                directory, existing=existing, max_upload_bytes=max_upload_bytes
            )
        summary = _save(
            session,
            directory,
            incoming,
            existing,
            as_of=as_of,
            format=format,
            mode=mode,
            yes=yes,
            retire_share=retire_share,
            requested_by=requested_by or _requested_by(),
        )
    return summary


class _LazyGeocoder:
    """The ONS directory, loaded only if some file gives a postcode."""

    def __init__(self) -> None:
        self._geocoder: Geocoder | None = None

    def locate(self, text: str) -> Any:
        if self._geocoder is None:
            self._geocoder = _default_geocoder()
        return self._geocoder.locate(text)


def _check_share(
    retirement: Retirement, current: tuple[int, int, int], share: float, yes: bool
) -> None:
    """Refuse, unless `yes`, a snapshot that would retire more than `share` of a kind."""
    if yes:
        return
    too_many = []
    for what, gone, held in (
        ("children", len(retirement.children), current[0]),
        ("households", len(retirement.households), current[1]),
    ):
        if held and gone / held > share:
            too_many.append(f"{gone} of {held} {what} ({gone / held:.0%})")
    if too_many:
        raise ConflictError(
            f"this snapshot would retire {' and '.join(too_many)}, more than the "
            f"{share:.0%} allowed (FAMILYFINDER_SNAPSHOT_RETIRE_SHARE): a half-written export "
            "must not wipe the authority. Check that the files are complete, then run again "
            "with --yes"
        )


def _save(
    session: Session,
    directory: Path,
    incoming: Incoming,
    existing: Authority,
    *,
    as_of: date,
    format: str,
    mode: str,
    yes: bool,
    retire_share: float,
    requested_by: str,
) -> ImportSummary:
    """Upsert, retire (snapshot), store warnings, record the run: no commit here."""
    retirement = Retirement()
    if mode == "snapshot":
        retirement = plan_retirement(
            session,
            incoming.authority,
            children=incoming.mirrors_children,
            households=incoming.mirrors_households,
            links=incoming.mirrors_links,
        )
        _check_share(retirement, count_current(session), retire_share, yes)
    counts = upsert_authority(session, incoming.authority)
    if retirement != Retirement():
        retire(session, retirement)
        counts = UpsertCounts(
            **{
                **counts.__dict__,
                "children_retired": len(retirement.children),
                "households_retired": len(retirement.households),
                "links_removed": len(retirement.links),
            }
        )
    # In the same transaction: pool snapshots held by other processes see the change.
    bump_data_version(session)
    stored = _without(merge_authority(existing, incoming.authority), retirement)
    fingerprint = authority_fingerprint(stored)
    record_fingerprint(session, fingerprint)  # spares each reader computing it
    warnings: list[ChildWarning] = practice_warnings(stored)
    summary = ImportSummary(
        directory=directory,
        as_of=as_of,
        counts=counts,
        import_run_id=0,
        inputs_fingerprint=fingerprint,
        format=format,
        mode=mode,
        encodings=incoming.report.encodings,
        warnings=incoming.report.warnings,
        notes=incoming.report.notes,
        retired=retirement,
        needs_plan=sorted({w.child_id for w in warnings if w.code == PLAN_NOT_RECORDED}),
        left_out=incoming.left_out,
        unmapped=incoming.unmapped,
    )
    run = record_import_run(
        session,
        requested_by=requested_by,
        source=str(directory.resolve()),
        as_of=as_of,
        counts=counts,
        inputs_fingerprint=fingerprint,
        mode=mode,
        format=format,
        report=summary.report(),
    )
    replace_child_warnings(session, warnings, import_run_id=run.id)
    return ImportSummary(**{**summary.__dict__, "import_run_id": run.id})
