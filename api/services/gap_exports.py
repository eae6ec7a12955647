"""The gap report as an export (JSON, CSV or XLSX): computed, rendered, audited."""

from __future__ import annotations

import io
from datetime import date
from typing import Literal

from sqlalchemy.orm import Session

from api.services.audit import Actor, record
from api.services.gaps import gap_report_for
from matching.gaps import write_csv, write_json, write_xlsx
from matching.policy import Policy

GapFormat = Literal["json", "csv", "xlsx"]
MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_gaps(
    session: Session,
    actor: Actor,
    *,
    as_of: date,
    policy: Policy,
    fmt: GapFormat,
    suppress: bool = True,
) -> bytes:
    """The report rendered as `fmt`. Only an admin may turn suppression off."""
    suppress = suppress or actor.role != "admin"
    report = gap_report_for(session, as_of=as_of, policy=policy, suppress=suppress)
    if fmt == "xlsx":
        binary = io.BytesIO()
        write_xlsx(report, binary)
        body = binary.getvalue()
    else:
        text = io.StringIO()
        (write_json if fmt == "json" else write_csv)(report, text)
        body = text.getvalue().encode("utf-8")
    try:
        record(
            session,
            actor,
            "export_gaps",
            subject=f"gaps as_of={as_of} format={fmt} suppressed={suppress}",
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return body
