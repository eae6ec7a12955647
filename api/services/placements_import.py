"""Read placement referrals (SocialCareData placements standard v2) for `import_directory`."""

from __future__ import annotations

import json
from pathlib import Path

from api.services.imports import Incoming, _check_sizes
from matching.csv_format import ReadReport
from matching.domain import Authority
from matching.errors import Problem, ValidationError
from matching.placements_standard import (
    apply_referrals,
    load_standard,
    referral_problems,
    referral_rows,
)
from matching.text_files import csv_rows, decode

REFERRALS_CSV = "referrals.csv"
REFERRALS_JSON = "referrals.json"


def read_placements_directory(
    directory: Path, *, existing: Authority, max_upload_bytes: int
) -> Incoming:
    """`referrals.csv` (one row per referral, columns named as the standard's fields) or
    `referrals.json` (the standard's field names as JSON), validated against the
    standard and added to the children already held."""
    paths = {n: directory / n for n in (REFERRALS_CSV, REFERRALS_JSON) if (directory / n).is_file()}
    if not paths:
        raise ValidationError(
            [
                Problem(
                    REFERRALS_CSV, 0, "", f"no {REFERRALS_CSV} or {REFERRALS_JSON} in {directory}"
                )
            ]
        )
    problems = _check_sizes(paths, max_upload_bytes)
    if problems:
        raise ValidationError(problems)
    standard = load_standard()
    encodings: dict[str, str] = {}
    rows: list[tuple[str, int, dict[str, str]]] = []
    for name, path in paths.items():
        text, encodings[name] = decode(path.read_bytes(), name)
        if name == REFERRALS_CSV:
            rows += [(name, line, row) for line, row in csv_rows(text, name)[1]]
        else:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as error:
                raise ValidationError(
                    [Problem(name, error.lineno, "", f"not JSON: {error.msg}")]
                ) from None
            rows += [(name, index, row) for index, row in enumerate(referral_rows(data), 1)]
    held = {c.child_id: c for c in existing.children}
    for name, line, row in rows:
        problems += referral_problems(row, standard, name, line)
        child_id = (row.get("childId") or "").strip()
        if child_id and child_id not in held:
            problems.append(
                Problem(name, line, "childId", f"no child {child_id!r} is held: import it first")
            )
    if problems:
        raise ValidationError(problems)
    applied = apply_referrals([(line, row) for _, line, row in rows], held)
    unmapped = [
        f"{field_name}: in {count} referrals, no place for it in familyfinder"
        for field_name, count in sorted(applied.unmapped.items())
    ]
    return Incoming(
        Authority(children=tuple(applied.children)),
        ReadReport(encodings=encodings),
        mirrors_children=False,
        mirrors_households=False,
        mirrors_links=False,
        unmapped=unmapped,
    )
