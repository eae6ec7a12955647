"""Published gap reports: the table and its queries.

A publication is the gap report the recruitment team may read: stored once for a date
(a month end, an import's date, or a date an administrator chose) as the typed
`matching.results.GapDocument` it was published as, and never recomputed: two reports
of nearly the same records would let a reader difference them (docs/domain.md,
"Disclosure control"). The date is unique, so two requests publishing the same date at
once store one report.

Nothing here commits: the service running the use case commits once at its end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from matching.errors import NotFoundError
from matching.results import GapDocument
from models.orm import Base, UtcDateTime, utcnow

# The ids a user can pass: the column's INTEGER (a larger one names no row, and SQLite
# cannot even compare it).
MAX_ID = 2**31 - 1


class GapPublicationRow(Base):
    """One published gap report (suppressed and rounded for the recruitment team)."""

    __tablename__ = "gap_publication"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    basis: Mapped[str] = mapped_column(String(16))  # month_end | import | admin
    as_of: Mapped[date] = mapped_column(Date, index=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    import_run_id: Mapped[int | None] = mapped_column(Integer)
    policy_version: Mapped[str] = mapped_column(String)
    inputs_fingerprint: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


@dataclass(frozen=True)
class PublicationSummary:
    """A publication without its document (for lists)."""

    id: int
    basis: str
    as_of: date
    created_at: datetime
    created_by: str
    import_run_id: int | None
    policy_version: str


@dataclass(frozen=True)
class GapPublication(PublicationSummary):
    """A published report as read back, with its typed document."""

    inputs_fingerprint: str
    document: GapDocument


def _record(row: GapPublicationRow) -> GapPublication:
    return GapPublication(
        id=row.id,
        basis=row.basis,
        as_of=row.as_of,
        created_at=row.created_at,
        created_by=row.created_by,
        import_run_id=row.import_run_id,
        policy_version=row.policy_version,
        inputs_fingerprint=row.inputs_fingerprint,
        document=GapDocument.read(row.document),
    )


def save_gap_publication(
    session: Session,
    *,
    basis: str,
    created_by: str,
    import_run_id: int | None,
    inputs_fingerprint: str,
    document: GapDocument,
) -> GapPublication | None:
    """Store `document` as the publication of its date; None when that date is already
    published (by a request that got there first): nothing is replaced."""
    row = GapPublicationRow(
        basis=basis,
        as_of=document.as_of,
        created_at=utcnow(),
        created_by=created_by,
        import_run_id=import_run_id,
        policy_version=document.policy_version,
        inputs_fingerprint=inputs_fingerprint,
        document=document.as_json(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return _record(row)


def gap_publication_on(session: Session, on: date) -> GapPublication | None:
    """The publication as of `on`, if there is one."""
    row = session.scalars(select(GapPublicationRow).where(GapPublicationRow.as_of == on)).first()
    return _record(row) if row is not None else None


def gap_publication_exists(session: Session, on: date) -> bool:
    """Whether a report as of `on` is published (its document is not read)."""
    found = session.scalars(
        select(GapPublicationRow.id).where(GapPublicationRow.as_of == on).limit(1)
    ).first()
    return found is not None


def gap_publication_summary(session: Session, on: date | None) -> PublicationSummary | None:
    """The publication as of `on` (None: the latest date), without its document."""
    query = select(
        GapPublicationRow.id,
        GapPublicationRow.basis,
        GapPublicationRow.as_of,
        GapPublicationRow.created_at,
        GapPublicationRow.created_by,
        GapPublicationRow.import_run_id,
        GapPublicationRow.policy_version,
    )
    if on is not None:
        query = query.where(GapPublicationRow.as_of == on)
    row = session.execute(query.order_by(GapPublicationRow.as_of.desc()).limit(1)).first()
    return PublicationSummary(*row) if row is not None else None


def get_gap_publication(session: Session, publication_id: int) -> GapPublication:
    row = session.get(GapPublicationRow, publication_id) if 0 < publication_id <= MAX_ID else None
    if row is None:
        raise NotFoundError(f"no published gap report {publication_id}")
    return _record(row)


def latest_gap_publication(session: Session) -> GapPublication | None:
    """The publication with the latest date, or None."""
    row = session.scalars(
        select(GapPublicationRow).order_by(GapPublicationRow.as_of.desc()).limit(1)
    ).first()
    return _record(row) if row is not None else None


def list_gap_publications(session: Session, *, limit: int = 50) -> list[PublicationSummary]:
    """Publications, latest date first (without their documents)."""
    rows = session.execute(
        select(
            GapPublicationRow.id,
            GapPublicationRow.basis,
            GapPublicationRow.as_of,
            GapPublicationRow.created_at,
            GapPublicationRow.created_by,
            GapPublicationRow.import_run_id,
            GapPublicationRow.policy_version,
        )
        .order_by(GapPublicationRow.as_of.desc())
        .limit(limit)
    )
    return [PublicationSummary(*row) for row in rows]
