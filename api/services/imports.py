"""Import an authority's CSV files into the store: validate everything, then one commit."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from api.services.unit_of_work import unit_of_work
from api.settings import DEFAULT_MAX_UPLOAD_BYTES
from matching.csv_format import read_authority
from matching.domain import Authority
from matching.errors import NotFoundError, Problem, ValidationError
from matching.fingerprint import authority_fingerprint
from matching.vocab import CHILDREN_FILE, HOUSEHOLDS_FILE, LINKS_FILE
from models.store import (
    UpsertCounts,
    bump_data_version,
    load_authority,
    record_fingerprint,
    record_import_run,
    upsert_authority,
)

ProgressCallback = Callable[[str, int], None]


@dataclass(frozen=True)
class ImportSummary:
    directory: Path
    as_of: date
    counts: UpsertCounts
    import_run_id: int
    # Fingerprint of everything stored once this import is in (not only these files).
    inputs_fingerprint: str


def input_files(directory: Path) -> dict[str, Path]:
    """The CSV files of an authority directory that exist, by file name."""
    names = (CHILDREN_FILE, HOUSEHOLDS_FILE, LINKS_FILE)
    return {name: directory / name for name in names if (directory / name).is_file()}


def check_files(directory: Path, *, max_upload_bytes: int) -> dict[str, Path]:
    """The files to import; a missing required file or an oversized one is a problem.

    Sizes are checked from the file system before anything is read.
    """
    if not directory.is_dir():
        raise NotFoundError(f"no directory {directory}")
    files = input_files(directory)
    problems = [
        Problem(name, 0, "", f"required file is missing from {directory}")
        for name in (CHILDREN_FILE, HOUSEHOLDS_FILE)
        if name not in files
    ]
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


def _requested_by() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (containers without a passwd entry)
        return "unknown"


def import_directory(
    session: Session,
    directory: Path,
    *,
    as_of: date,
    progress: ProgressCallback | None = None,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    requested_by: str | None = None,
) -> ImportSummary:
    """Validate an authority directory in full, then save it in one transaction.

    `children.csv` and `households.csv` are required, `sibling_links.csv` optional.
    Records whose id is already stored are updated, the rest inserted; sibling links
    may refer to children stored by an earlier import. On any error nothing is written
    and the error (a ValidationError listing every problem) is raised.
    """
    files = check_files(directory, max_upload_bytes=max_upload_bytes)
    with unit_of_work(session):
        existing = load_authority(session)
        with ExitStack() as stack:
            streams: dict[str, BinaryIO] = {
                name: stack.enter_context(path.open("rb")) for name, path in files.items()
            }
            incoming = read_authority(
                streams[CHILDREN_FILE],
                streams[HOUSEHOLDS_FILE],
                streams.get(LINKS_FILE),
                as_of=as_of,
                existing=existing,
                progress=progress,
            )
        counts = upsert_authority(session, incoming)
        # In the same transaction: pool snapshots held by other processes see the change.
        bump_data_version(session)
        fingerprint = authority_fingerprint(merge_authority(existing, incoming))
        record_fingerprint(session, fingerprint)  # spares each reader computing it
        run = record_import_run(
            session,
            requested_by=requested_by or _requested_by(),
            source=str(directory.resolve()),
            as_of=as_of,
            counts=counts,
            inputs_fingerprint=fingerprint,
        )
    return ImportSummary(
        directory=directory,
        as_of=as_of,
        counts=counts,
        import_run_id=run.id,
        inputs_fingerprint=fingerprint,
    )
