"""The gap report as an export (JSON, CSV or XLSX): computed, rendered, audited."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Literal

from sqlalchemy.orm import Session

from api.requests import GapQuery
from api.services.audit import Actor, record
from api.services.gaps import gap_report_for
from api.services.unit_of_work import unit_of_work
from matching.gaps import write_csv, write_xlsx
from matching.policy import Policy
from matching.results import GapDocument

GapFormat = Literal["json", "csv", "xlsx"]
MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_gaps(
    session: Session, actor: Actor, query: GapQuery, *, policy: Policy, fmt: GapFormat
) -> bytes:
    """The report rendered as `fmt` (JSON: the `GapDocument`, as the CLI prints it).
    Only an admin may turn suppression off."""
    suppress = query.suppress or actor.role != "admin"
    as_of = query.as_of or date.today()
    report = gap_report_for(
        session, as_of=as_of, policy=policy, add=query.specs(), suppress=suppress
    )
    if fmt == "xlsx":
        binary = io.BytesIO()
        write_xlsx(report, binary)
        body = binary.getvalue()
    elif fmt == "csv":
        text = io.StringIO()
        write_csv(report, text)
        body = text.getvalue().encode("utf-8")
    else:
        body = (json.dumps(GapDocument.from_report(report).as_json(), indent=2) + "\n").encode()
    with unit_of_work(session):
        record(
            session,
            actor,
            "export_gaps",
            subject=f"gaps as_of={as_of} format={fmt} suppressed={suppress}",
        )
    return body
