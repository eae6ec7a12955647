"""The tables, as SQLAlchemy 2.0 typed declarative models.

Portable column types only (SQLite and PostgreSQL): list and mapping fields of the
domain are JSON columns. Tables are singular snake_case. The schema is made only by
the Alembic migrations in `models/migrations/`; keep them in step with this module.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime on every backend, stored in UTC.

    SQLite has no time zones and hands back naive values; this makes them UTC again so
    callers always get an aware datetime.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class ChildRow(Base):
    __tablename__ = "child"

    child_id: Mapped[str] = mapped_column(String, primary_key=True)
    first_name: Mapped[str] = mapped_column(String, default="")
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(16))
    ethnicity: Mapped[str] = mapped_column(String(8))
    religion: Mapped[str | None] = mapped_column(String(32))
    languages: Mapped[list[Any]] = mapped_column(JSON)
    legal_status: Mapped[str | None] = mapped_column(String(8))
    plan: Mapped[str] = mapped_column(String(32), index=True)
    entered_care_on: Mapped[date | None] = mapped_column(Date)
    plan_date: Mapped[date | None] = mapped_column(Date)
    home_lat: Mapped[float | None] = mapped_column(Float)
    home_lon: Mapped[float | None] = mapped_column(Float)
    school_lat: Mapped[float | None] = mapped_column(Float)
    school_lon: Mapped[float | None] = mapped_column(Float)
    family_time_max_km: Mapped[float | None] = mapped_column(Float)
    min_distance_km: Mapped[float | None] = mapped_column(Float)
    needs: Mapped[dict[str, Any]] = mapped_column(JSON)  # code -> level
    requirements: Mapped[list[Any]] = mapped_column(JSON)  # sorted
    wishes: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    placed_with: Mapped[str | None] = mapped_column(String)
    placement_order_on: Mapped[date | None] = mapped_column(Date)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # key -> text
    # Set when a snapshot import no longer holds the child: kept for the audit and
    # frozen panel papers, out of matching (models.store.load_authority skips it).
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class HouseholdRow(Base):
    __tablename__ = "household"

    household_id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(String, default="")
    kind: Mapped[str] = mapped_column(String(16), index=True)
    term: Mapped[str | None] = mapped_column(String(8))
    provider: Mapped[str] = mapped_column(String(16))
    weekly_cost: Mapped[float | None] = mapped_column(Float)
    approved_min_age: Mapped[int] = mapped_column(Integer)
    approved_max_age: Mapped[int] = mapped_column(Integer)
    approved_places: Mapped[int] = mapped_column(Integer)
    max_sibling_group: Mapped[int] = mapped_column(Integer)
    vacancies: Mapped[int] = mapped_column(Integer)
    skills: Mapped[list[Any]] = mapped_column(JSON)  # sorted
    will_consider: Mapped[dict[str, Any]] = mapped_column(JSON)  # code -> highest level
    will_not_consider: Mapped[list[Any]] = mapped_column(JSON)  # sorted
    children_in_home_ages: Mapped[list[Any]] = mapped_column(JSON)
    ethnicities: Mapped[list[Any]] = mapped_column(JSON)
    religion: Mapped[str | None] = mapped_column(String(32))
    languages: Mapped[list[Any]] = mapped_column(JSON)
    # NULL: the register does not record it (never assumed either way)
    smoker: Mapped[bool | None] = mapped_column(Boolean)
    pets: Mapped[bool | None] = mapped_column(Boolean)
    wheelchair_access: Mapped[bool | None] = mapped_column(Boolean)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    approved_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True)
    connected_child_ids: Mapped[list[Any]] = mapped_column(JSON)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SiblingLinkRow(Base):
    """One unordered pair of siblings, stored with child_a < child_b so it is unique.

    `models.store` orders the pair in Python; there is no CHECK constraint because the
    database's collation may order strings differently from Python.
    """

    __tablename__ = "sibling_link"

    child_a: Mapped[str] = mapped_column(
        String, ForeignKey("child.child_id", ondelete="CASCADE"), primary_key=True
    )
    child_b: Mapped[str] = mapped_column(
        String, ForeignKey("child.child_id", ondelete="CASCADE"), primary_key=True, index=True
    )
    relationship: Mapped[str] = mapped_column(String(16))  # full | half | step | not_recorded
    assessment: Mapped[str] = mapped_column(String(16))
    assessed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String, default="")


class ImportRunRow(Base):
    """One successful import: when, who, what it changed and the reference date used."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    requested_by: Mapped[str] = mapped_column(String)
    source: Mapped[str] = mapped_column(String)
    as_of: Mapped[date] = mapped_column(Date)
    children_inserted: Mapped[int] = mapped_column(Integer)
    children_updated: Mapped[int] = mapped_column(Integer)
    households_inserted: Mapped[int] = mapped_column(Integer)
    households_updated: Mapped[int] = mapped_column(Integer)
    links_inserted: Mapped[int] = mapped_column(Integer)
    links_updated: Mapped[int] = mapped_column(Integer)
    inputs_fingerprint: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16), default="upsert")  # upsert | snapshot
    format: Mapped[str] = mapped_column(String(16), default="csv")  # csv | ssda903 | ...
    children_retired: Mapped[int] = mapped_column(Integer, default=0)
    households_retired: Mapped[int] = mapped_column(Integer, default=0)
    links_removed: Mapped[int] = mapped_column(Integer, default=0)
    # encodings, warnings, notes, what was left out or could not be mapped (JSON-ready)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ChildWarningRow(Base):
    """A practice warning on one child (matching.practice), as the last import left it.

    Every import replaces the whole set from the merged authority, so a warning goes
    away once the records that caused it are corrected.
    """

    __tablename__ = "child_warning"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    child_id: Mapped[str] = mapped_column(
        String, ForeignKey("child.child_id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(String)
    import_run_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ShortlistRunRow(Base):
    """A stored shortlist, frozen with the fingerprint of the data it was computed from."""

    __tablename__ = "shortlist_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    requested_by: Mapped[str] = mapped_column(String)
    child_id: Mapped[str] = mapped_column(String, index=True)
    unit: Mapped[list[Any]] = mapped_column(JSON)  # child ids of the unit
    as_of: Mapped[date] = mapped_column(Date)
    policy_version: Mapped[str] = mapped_column(String)
    inputs_fingerprint: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    # what it needs to be replayed (NULL for runs stored before replay existed): the kept
    # authority, the policy text and the request (matching.run_inputs.ShortlistRequest)
    inputs_key: Mapped[str | None] = mapped_column(String(64), index=True)
    policy_sha256: Mapped[str | None] = mapped_column(String(64))
    request: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class RoundRunRow(Base):
    """A stored matching round: its parameters, seed, solver status and result."""

    __tablename__ = "round_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    requested_by: Mapped[str] = mapped_column(String)
    mode: Mapped[str] = mapped_column(String)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    seed: Mapped[int] = mapped_column(BigInteger)
    as_of: Mapped[date] = mapped_column(Date)
    policy_version: Mapped[str] = mapped_column(String)
    inputs_fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String)
    solver: Mapped[str] = mapped_column(String)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    # as on shortlist_run (request: matching.run_inputs.RoundRequest)
    inputs_key: Mapped[str | None] = mapped_column(String(64), index=True)
    policy_sha256: Mapped[str | None] = mapped_column(String(64))
    request: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class RunInputRow(Base):
    """An authority as a stored run saw it, kept once per data version so the run can be
    replayed: content-addressed (`key` is the data fingerprint, the SHA-256 of the
    canonical bytes) and zlib-compressed. Deleted under the retention setting, the row
    stays with `data` NULL and `pruned_at` set, so a replay can say when and why."""

    __tablename__ = "run_input"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    raw_bytes: Mapped[int] = mapped_column(BigInteger)
    stored_bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    pruned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PolicyTextRow(Base):
    """A policy file's text as a stored run used it, once per distinct text."""

    __tablename__ = "policy_text"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DataVersionRow(Base):
    """The single row (id 1) counting changes to the stored authority.

    Bumped in the same transaction as every write to children, households or links, so
    an in-memory snapshot of the pool can tell cheaply whether it is stale.
    """

    __tablename__ = "data_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # the stored authority's fingerprint at this version, when the writer knew it
    fingerprint: Mapped[str | None] = mapped_column(String(64))
