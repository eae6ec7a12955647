"""The gap report as an export (JSON, CSV or XLSX): the view its reader may see
(`api.services.gaps.gap_view`: a publication for anyone but an administrator),
rendered, audited."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Literal

from sqlalchemy.orm import Session

from api.requests import GapQuery
from api.services.audit import Actor, record
from api.services.gaps import GapSchedule, GapView, gap_view, sees_any_date
from api.services.unit_of_work import unit_of_work
from matching.gaps import write_csv, write_csv_tables, write_xlsx
from matching.policy import Policy

GapFormat = Literal["json", "csv", "csv_tables", "xlsx"]
MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "csv_tables": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def render_gaps(view: GapView, fmt: GapFormat) -> bytes:
    """The view's document as `fmt`: JSON (the `GapDocument`, as the CLI prints it), the
    machines' one-stream CSV, the people's tables (one CSV each, zipped) or XLSX."""
    document = view.document
    if fmt == "xlsx":
        binary = io.BytesIO()
        write_xlsx(document, binary)
        return binary.getvalue()
    if fmt == "csv_tables":
        binary = io.BytesIO()
        write_csv_tables(document, binary)
        return binary.getvalue()
    if fmt == "csv":
        text = io.StringIO()
        write_csv(document, text)
        return text.getvalue().encode("utf-8")
    return (json.dumps(document.as_json(), indent=2) + "\n").encode()


def export_gaps(
    session: Session,
    actor: Actor,
    query: GapQuery,
    *,
    policy: Policy,
    fmt: GapFormat,
    schedule: GapSchedule,
    today: date,
) -> bytes:
    """The report `actor` may see, rendered as `fmt`; the export is audited. Only an
    administrator may turn suppression off (anyone else reads a publication, which is
    suppressed and rounded)."""
    suppress = query.suppress or not sees_any_date(actor)
    view = gap_view(
        session, actor, query, policy=policy, schedule=schedule, today=today, suppress=suppress
    )
    body = render_gaps(view, fmt)
    if view.publication is not None:
        where = f"publication={view.publication.id} as_of={view.publication.as_of}"
        shown = "suppressed=True rounded=True"
    else:
        where, shown = f"as_of={view.document.as_of}", f"suppressed={suppress}"
    with unit_of_work(session):
        record(
            session,
            actor,
            "export_gaps",
            subject=f"gaps {where} format={fmt} {shown} what_if={len(query.add)}",
        )
    return body
