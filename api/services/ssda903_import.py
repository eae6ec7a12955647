"""Read an SSDA903 return directory (and its plans file) for `import_directory`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from api.services.imports import Incoming, _check_sizes
from matching.csv_format import ReadReport
from matching.domain import Authority, SiblingLink
from matching.errors import Problem, ValidationError
from matching.postcodes import Geocoder
from matching.ssda903 import read_links, read_ssda903
from matching.vocab import LINKS_FILE


def read_ssda903_directory(
    directory: Path,
    *,
    plans: Path | None,
    as_of: date,
    existing: Authority,
    geocoder: Geocoder | None,
    max_upload_bytes: int,
) -> Incoming:
    """The return's CSV files by their DfE names (any other CSV is listed as not mapped),
    an optional familyfinder `sibling_links.csv` beside them, and the plans file."""
    paths = {p.name: p for p in sorted(directory.glob("*.csv")) if p.is_file()}
    if plans is not None and not plans.is_file():
        raise ValidationError([Problem(plans.name, 0, "", f"no plans file {plans}")])
    sized = dict(paths)
    if plans is not None:
        sized[plans.name] = plans
    problems = _check_sizes(sized, max_upload_bytes)
    if problems:
        raise ValidationError(problems)
    files = {
        name: path.read_bytes()
        for name, path in paths.items()
        if name != LINKS_FILE and (plans is None or path.resolve() != plans.resolve())
    }
    result = read_ssda903(
        files,
        plans=plans.read_bytes() if plans is not None else None,
        plans_name=plans.name if plans is not None else "plans.csv",
        as_of=as_of,
        geocoder=geocoder,
        known_child_ids=frozenset(c.child_id for c in existing.children),
    )
    links: list[SiblingLink] = []
    if LINKS_FILE in paths:
        ids = frozenset(c.child_id for c in result.children) | frozenset(
            c.child_id for c in existing.children
        )
        links, encoding = read_links(paths[LINKS_FILE].read_bytes(), ids)
        result.encodings[LINKS_FILE] = encoding
    report = ReadReport(encodings=result.encodings, notes=result.notes)
    authority = Authority(children=tuple(result.children), links=tuple(links))
    return Incoming(
        authority,
        report,
        mirrors_households=False,
        mirrors_links=LINKS_FILE in paths,
        left_out=result.left_out,
        unmapped=result.unmapped,
    )
