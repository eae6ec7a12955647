"""Import an authority from uploaded CSV files (the REST twin of `import_directory`).

The uploads are copied, size-checked, into a private temporary directory under their
canonical names and imported by `api.services.imports.import_directory`, so the web and
the CLI validate and save in exactly the same way.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from api.services.audit import Actor, record
from api.services.imports import ImportSummary, import_directory
from api.services.unit_of_work import unit_of_work
from matching.errors import Problem, ValidationError

_CHUNK = 1 << 20


def _copy_limited(source: BinaryIO, target: Path, name: str, limit: int) -> None:
    written = 0
    with target.open("wb") as out:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > limit:
                raise ValidationError(
                    [Problem(name, 0, "", f"file is over the limit of {limit:,} bytes")]
                )
            out.write(chunk)


def import_uploads(
    session: Session,
    actor: Actor,
    files: Mapping[str, BinaryIO],
    *,
    as_of: date,
    max_upload_bytes: int,
) -> ImportSummary:
    """Validate and import `files` (by canonical file name), audited as `actor`'s
    import: the records and the audit row in one commit, or nothing."""
    with tempfile.TemporaryDirectory(prefix="ff-upload-") as directory:
        root = Path(directory)
        for name, stream in files.items():
            _copy_limited(stream, root / name, name, max_upload_bytes)
        with unit_of_work(session):
            summary = import_directory(
                session,
                root,
                as_of=as_of,
                max_upload_bytes=max_upload_bytes,
                requested_by=actor.username,
            )
            record(session, actor, "import", subject=f"import_run:{summary.import_run_id}")
    return summary
