"""Import an authority from uploaded files (the web's twin of `import_directory`).

The routes stream the upload, after the caller is known to be an administrator, into a
private temporary directory under the canonical file names (`api.upload_stream`); this
service imports that directory with `api.services.imports.import_directory`, so the web
and the CLI validate and save in exactly the same way, and audits the import in the
same transaction, whichever door it came through.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from api.services.audit import Actor, record
from api.services.imports import ImportSummary, import_directory
from api.services.unit_of_work import unit_of_work


def import_received(
    session: Session, actor: Actor, directory: Path, *, as_of: date, max_upload_bytes: int
) -> ImportSummary:
    """Validate and import the files received into `directory`, audited as `actor`'s
    import: the records and the audit row in one commit, or nothing."""
    with unit_of_work(session):
        summary = import_directory(
            session,
            directory,
            as_of=as_of,
            max_upload_bytes=max_upload_bytes,
            requested_by=actor.username,
        )
        record(session, actor, "import", subject=f"import_run:{summary.import_run_id}")
    return summary
