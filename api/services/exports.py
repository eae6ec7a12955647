"""Write an authority out in the CSV interchange format: the stored one, or a synthetic one."""

from __future__ import annotations

import os
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from matching.csv_format import write_authority, write_links
from matching.domain import Authority
from matching.fingerprint import authority_fingerprint
from matching.vocab import CHILDREN_FILE, HOUSEHOLDS_FILE, LINKS_FILE
from models.store import load_authority


@dataclass(frozen=True)
class ExportSummary:
    directory: Path
    children: int
    households: int
    links: int
    inputs_fingerprint: str


def write_directory(authority: Authority, directory: Path) -> ExportSummary:
    """Write the three CSV files into `directory` (created if missing).

    Each file is written beside its final name and renamed at the end, so a failure
    never leaves a half-written set that a later import would read.
    """
    directory.mkdir(parents=True, exist_ok=True)
    names = (CHILDREN_FILE, HOUSEHOLDS_FILE, LINKS_FILE)
    temporary = {name: directory / f".{name}.partial" for name in names}
    try:
        with ExitStack() as stack:
            c, h, s = (
                stack.enter_context(temporary[name].open("w", encoding="utf-8", newline=""))
                for name in names
            )
            write_authority(authority, c, h, s)
        for name in names:
            os.replace(temporary[name], directory / name)
    finally:
        for path in temporary.values():
            path.unlink(missing_ok=True)
    return ExportSummary(
        directory=directory,
        children=len(authority.children),
        households=len(authority.households),
        links=len(authority.links),
        inputs_fingerprint=authority_fingerprint(authority),
    )


def export_directory(session: Session, directory: Path) -> ExportSummary:
    """Write everything stored to `directory` as children/households/sibling_links CSV."""
    return write_directory(load_authority(session), directory)


ACTUAL_PLACEMENTS_FILE = "actual_placements.csv"


@dataclass(frozen=True)
class PlacementsExport:
    path: Path
    records: int
    left_out: list[str]  # proposals with no ActualPlacement record, and why


def export_placements(session: Session, directory: Path) -> PlacementsExport:
    """Agreed (approved) proposals as the placements standard's ActualPlacement records,
    one row per child, in `actual_placements.csv` (written beside and renamed)."""
    import csv

    from matching.placements_standard import ACTUAL_PLACEMENT_COLUMNS, actual_placement
    from models.proposal_store import list_proposal_rows

    authority = load_authority(session)
    children = {c.child_id: c for c in authority.children}
    households = {h.household_id: h for h in authority.households}
    rows: list[dict[str, str]] = []
    left_out: list[str] = []
    offset = 0
    while batch := list_proposal_rows(session, statuses=["approved"], limit=500, offset=offset)[0]:
        offset += len(batch)
        for proposal in batch:
            household = households.get(proposal.household_id)
            decided = proposal.decided_at or proposal.created_at
            for child_id in proposal.unit:
                child = children.get(child_id)
                if child is None or household is None:
                    left_out.append(f"proposal {proposal.id}: {child_id} or its household retired")
                    continue
                record = actual_placement(
                    child,
                    household,
                    unit_size=len(proposal.unit),
                    officer=proposal.decided_by or "",
                    decided_on=decided.date(),
                )
                if record is None:
                    left_out.append(
                        f"proposal {proposal.id}: {child_id} to {household.kind} household "
                        f"{household.household_id} (adoption is outside the standard's types)"
                    )
                    continue
                rows.append(record)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ACTUAL_PLACEMENTS_FILE
    partial = directory / f".{ACTUAL_PLACEMENTS_FILE}.partial"
    with partial.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=ACTUAL_PLACEMENT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(partial, path)
    return PlacementsExport(path, len(rows), left_out)


SSDA903_DIRECTORY = "ssda903"
SSDA903_PLANS = "ssda903_plans.csv"


def generate_fixtures(
    directory: Path,
    *,
    n_children: int,
    n_households: int,
    seed: int,
    as_of: date,
    ssda903: bool = False,
) -> ExportSummary:
    """Write a synthetic authority (no real person in it) to `directory`; with `ssda903`
    also its SSDA903 form (`ssda903/`, the return's files and its sibling links, and
    `ssda903_plans.csv`), postcodes the nearest real ones in the ONS directory."""
    # Imported here: only this use case needs the generator and its tables, and every
    # CLI invocation would otherwise pay for loading them.
    from matching.synthetic import generate_authority

    authority = generate_authority(n_children, n_households, seed=seed, as_of=as_of)
    summary = write_directory(authority, directory)
    if ssda903:
        write_ssda903(authority, directory, as_of=as_of)
    return summary


def write_ssda903(authority: Authority, directory: Path, *, as_of: date) -> None:
    """The authority's SSDA903 form beside its CSV files (see `generate_fixtures`)."""
    from matching import synthetic_tables
    from matching.ssda903_writer import ssda903_files
    from models.postcode_directory import postcode_directory

    # The demo's county lies in the DH, DL, SR, NE and TS areas: their letters suffice.
    nearest = postcode_directory().nearest_finder(
        "DNST", near=synthetic_tables.COUNTY_CENTRE, within_km=80.0
    )
    files, plans = ssda903_files(authority, as_of=as_of, postcode_of=nearest)
    target = directory / SSDA903_DIRECTORY
    target.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (target / name).write_bytes(data)
    with (target / LINKS_FILE).open("w", encoding="utf-8", newline="") as links:
        write_links(authority.links, links)
    (directory / SSDA903_PLANS).write_bytes(plans)
