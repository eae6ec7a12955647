"""Every query familyfinder runs: save domain objects, load them back, store results.

Services in `api/services/` call these with their session and commit once; nothing
here commits. Imports are bulk statements (executemany), never one ORM object per row,
so a national-scale pool loads in seconds.
"""

from __future__ import annotations

import dataclasses
import json
import operator
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from matching.domain import Authority, Child, Household, SiblingLink
from matching.errors import NotFoundError
from matching.practice import ChildWarning
from matching.results import RoundDocument, ShortlistDocument
from models.orm import (
    Base,
    ChildRow,
    ChildWarningRow,
    DataVersionRow,
    HouseholdRow,
    ImportRunRow,
    RoundRunRow,
    ShortlistRunRow,
    SiblingLinkRow,
    utcnow,
)

T = TypeVar("T")

# ---------------------------------------------------------------------------
# Domain object <-> row dictionaries. Driven by the dataclass fields, so a field added
# to matching.domain needs only its column (a missing column fails loudly on insert).
# ---------------------------------------------------------------------------


def _field_kinds(cls: type) -> list[tuple[str, Any]]:
    """(field name, container type) for each field: frozenset, tuple, dict or None."""
    hints = typing.get_type_hints(cls)
    kinds: list[tuple[str, Any]] = []
    for f in dataclasses.fields(cls):
        origin = typing.get_origin(hints[f.name])
        if origin is frozenset:
            kinds.append((f.name, frozenset))
        elif origin is tuple:
            kinds.append((f.name, tuple))
        elif origin in (Mapping, dict):
            kinds.append((f.name, dict))
        else:
            kinds.append((f.name, None))
    return kinds


def _from_columns(cls: type[T]) -> typing.Callable[[Mapping[Any, Any]], T]:
    """A converter from a row mapping to `cls`, restoring sets, tuples and mappings."""
    kinds = _field_kinds(cls)
    names = [name for name, _ in kinds]
    conversions = [(name, kind) for name, kind in kinds if kind is not None]

    def convert(row: Mapping[Any, Any]) -> T:
        values = {name: row[name] for name in names}
        for name, conv in conversions:
            value = values[name]
            if value is not None:
                values[name] = conv(value)
        return cls(**values)

    return convert


_child_from_row = _from_columns(Child)
_household_from_row = _from_columns(Household)
_link_from_row = _from_columns(SiblingLink)


@dataclass(frozen=True)
class UpsertCounts:
    children_inserted: int = 0
    children_updated: int = 0
    households_inserted: int = 0
    households_updated: int = 0
    links_inserted: int = 0
    links_updated: int = 0
    children_retired: int = 0
    households_retired: int = 0
    links_removed: int = 0


def _json_text(kind: Any) -> typing.Callable[[Any], str]:
    """JSON text of a set, tuple or mapping field, remembered per distinct value.

    Codes repeat across an authority (the same languages, needs, ethnicities), so most
    values are encoded once: json.dumps per cell would be a third of an import.
    """
    memo: dict[Any, str] = {}
    dumps = json.dumps

    def encode(value: Any) -> str:
        key = tuple(value.items()) if kind is dict else value
        text = memo.get(key)
        if text is None:
            if kind is frozenset:
                text = dumps(sorted(value))
            elif kind is dict:
                text = dumps(dict(value))
            else:
                text = dumps(list(value))
            if len(memo) < 100_000:
                memo[key] = text
        return text

    return encode


def _driver_rows(
    table: Table, cls: type, objects: Iterable[Any], dialect_name: str
) -> list[list[Any]]:
    """Domain objects as rows of driver-ready values, in the table's column order.

    The stored forms are those SQLAlchemy's own types write: JSON as text (sets sorted),
    and on SQLite dates as ISO text. Column names are the dataclass field names, so a
    field added to matching.domain needs only its column (a missing one fails loudly).
    """
    kinds = dict(_field_kinds(cls))
    names = [column.key for column in table.columns]
    # Columns the domain does not hold (retired_at) come last and are written NULL: a
    # record in an import is current, so an update also brings a retired one back.
    fields = [name for name in names if name in kinds]
    extra = names[len(fields) :]
    if fields != names[: len(fields)] or any(name in kinds for name in extra):
        raise ValueError(f"{table.name}: columns beyond the domain's fields must come last")
    get_all = operator.attrgetter(*fields)
    padding = [None] * len(extra)
    plan: list[tuple[int, typing.Callable[[Any], Any]]] = []
    for i, column in enumerate(table.columns):
        if column.key not in kinds:
            continue
        if isinstance(column.type, JSON):
            plan.append((i, _json_text(kinds[column.key])))
        elif isinstance(column.type, Date) and dialect_name == "sqlite":
            plan.append((i, date.isoformat))
    rows = []
    for obj in objects:
        row = list(get_all(obj))
        row.extend(padding)
        for i, convert in plan:
            value = row[i]
            if value is not None:
                row[i] = convert(value)
        rows.append(row)
    return rows


def _split_new(
    session: Session, table: Table, rows: list[list[Any]]
) -> tuple[list[list[Any]], list[list[Any]]]:
    """Split rows into (new, already stored) by their primary key, with one query."""
    names = [column.key for column in table.columns]
    positions = [names.index(column.key) for column in table.primary_key]
    existing = {tuple(row) for row in session.execute(select(*table.primary_key.columns))}
    new: list[list[Any]] = []
    old: list[list[Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        key = tuple(row[i] for i in positions)
        if key in seen:
            raise ValueError(f"duplicate key {key!r} in one upsert")
        seen.add(key)
        (old if key in existing else new).append(row)
    return new, old


def _executemany(session: Session, statement: Any, table: Table, rows: list[list[Any]]) -> None:
    """Run `statement` once per row through the driver's executemany.

    At import scale SQLAlchemy's per-row parameter processing costs several times the
    database work, so the statement is compiled once and the driver gets ready-made
    parameters. Bound names are column names, or `key_<column>` in the WHERE clause.
    """
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    index = {column.key: i for i, column in enumerate(table.columns)}
    index.update({f"key_{name}": i for name, i in list(index.items())})
    positions = compiled.positiontup
    params: list[Any]
    if positions is None:  # a named paramstyle: dictionaries
        names = list(compiled.params)
        params = [{n: row[index[n]] for n in names} for row in rows]
    else:  # a positional paramstyle (sqlite3): tuples in the compiled order
        order = [index[name] for name in positions]
        params = [tuple(row[i] for i in order) for row in rows]
    connection.exec_driver_sql(compiled.string, params)


def _copy_rows(session: Session, target: str, columns: list[str], rows: list[list[Any]]) -> None:
    """PostgreSQL COPY ... FROM STDIN of `rows` into `target` (psycopg 3)."""
    preparer = session.get_bind().dialect.identifier_preparer
    column_list = ", ".join(preparer.quote(c) for c in columns)
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    statement = f"COPY {preparer.quote(target)} ({column_list}) FROM STDIN"
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
        for row in rows:
            copy.write_row(row)


def _pg_bulk_write(
    session: Session, table: Table, new: list[list[Any]], old: list[list[Any]]
) -> None:
    """INSERT by COPY; UPDATE from a COPY-filled temporary table in one statement.

    Row-at-a-time statements, even pipelined, take a minute for a national pool on
    PostgreSQL; COPY takes seconds.
    """
    columns = [c.key for c in table.columns]
    if new:
        _copy_rows(session, table.name, columns, new)
    if old:
        preparer = session.get_bind().dialect.identifier_preparer
        name = preparer.quote(table.name)
        staging = f"ff_staging_{table.name}"
        keys = [c.key for c in table.primary_key]
        connection = session.connection()
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {staging} (LIKE {name}) ON COMMIT DROP")
        _copy_rows(session, staging, columns, old)
        assignments = ", ".join(
            f"{preparer.quote(c)} = s.{preparer.quote(c)}" for c in columns if c not in keys
        )
        matches = " AND ".join(f"t.{preparer.quote(k)} = s.{preparer.quote(k)}" for k in keys)
        connection.exec_driver_sql(
            f"UPDATE {name} AS t SET {assignments} FROM {staging} AS s WHERE {matches}"
        )
        # Dropped now, not at commit: a second import in the same transaction reuses it.
        connection.exec_driver_sql(f"DROP TABLE {staging}")


def _bulk_write(session: Session, table: Table, new: list[list[Any]], old: list[list[Any]]) -> None:
    """INSERT the new rows and UPDATE the old ones by primary key, in bulk."""
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        _pg_bulk_write(session, table, new, old)
        return
    if new:
        _executemany(session, insert(table), table, new)
    if old:
        keys = [column.key for column in table.primary_key]
        # Bound names must differ from column names, which are reserved for SET.
        statement = (
            update(table)
            .where(*[table.c[key] == bindparam(f"key_{key}") for key in keys])
            .values({c.key: bindparam(c.key) for c in table.columns if c.key not in keys})
        )
        _executemany(session, statement, table, old)


def _ordered_pair(link: SiblingLink) -> SiblingLink:
    """The link with child_a < child_b, the one order a pair is stored in."""
    if link.child_b < link.child_a:
        return dataclasses.replace(link, child_a=link.child_b, child_b=link.child_a)
    return link


def upsert_authority(session: Session, authority: Authority) -> UpsertCounts:
    """Insert the authority's new records and overwrite existing ones, matched by id.

    Records already stored but absent from `authority` are left as they are. Sibling
    pairs are matched in either order. Flushes but does not commit.
    """
    session.flush()
    dialect_name = session.get_bind().dialect.name
    counts: dict[str, int] = {}
    sources: list[tuple[str, type[Base], type, Sequence[Any]]] = [
        ("children", ChildRow, Child, authority.children),
        ("households", HouseholdRow, Household, authority.households),
        ("links", SiblingLinkRow, SiblingLink, [_ordered_pair(x) for x in authority.links]),
    ]
    # Children before links: links refer to children by foreign key.
    for label, model, cls, records in sources:
        table = typing.cast(Table, model.__table__)
        rows = _driver_rows(table, cls, records, dialect_name)
        new, old = _split_new(session, table, rows)
        if new or old:
            _bulk_write(session, table, new, old)
        counts[f"{label}_inserted"] = len(new)
        counts[f"{label}_updated"] = len(old)
    return UpsertCounts(**counts)


def _json_values() -> typing.Callable[[Any], Any]:
    """A JSON column's decoder, remembering each distinct text (the same needs, skills
    and languages repeat across an authority). The decoded value is shared between rows:
    every such field is converted into a new set, tuple or mapping per record."""
    memo: dict[str, Any] = {}
    loads = json.loads

    def decode(value: Any) -> Any:
        # SQLite hands back JSON as text; psycopg has already parsed it.
        if not isinstance(value, str):
            return value
        decoded = memo.get(value)
        if decoded is None:
            decoded = memo[value] = loads(value)
        return decoded

    return decode


def _fetch_rows(
    session: Session, model: type[Base], *, current_only: bool = False
) -> list[dict[str, Any]]:
    """Every row of a table as a dict of Python values, read through the driver.

    The mirror of `_executemany`: one compiled SELECT, values converted per column
    (JSON parsed; on SQLite, ISO dates parsed and 0/1 made booleans), which is several
    times faster than SQLAlchemy's per-row result processing at import scale.
    """
    table = typing.cast(Table, model.__table__)
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    names = [column.key for column in table.columns]
    converters: list[tuple[str, Any]] = []
    for column in table.columns:
        if isinstance(column.type, JSON):
            converters.append((column.key, _json_values()))
        elif sqlite and isinstance(column.type, Date):
            converters.append((column.key, date.fromisoformat))
        elif sqlite and isinstance(column.type, Boolean):
            converters.append((column.key, bool))
    query = select(table)
    if current_only:
        query = query.where(table.c.retired_at.is_(None))
    compiled = query.compile(dialect=connection.dialect)
    rows = []
    for values in connection.exec_driver_sql(compiled.string):
        row = dict(zip(names, values, strict=True))
        for key, convert in converters:
            value = row[key]
            if value is not None:
                row[key] = convert(value)
        rows.append(row)
    return rows


def load_authority(session: Session) -> Authority:
    """Everything current, as one Authority; records sorted by id, sibling pairs ordered.

    Retired records (absent from a snapshot import) are left out: they are kept for the
    audit and frozen panel papers, never matched again unless an import brings them back.
    """
    children = [_child_from_row(row) for row in _fetch_rows(session, ChildRow, current_only=True)]
    households = [
        _household_from_row(row) for row in _fetch_rows(session, HouseholdRow, current_only=True)
    ]
    links = [_link_from_row(row) for row in _fetch_rows(session, SiblingLinkRow)]
    # Sorted in Python, not by ORDER BY: database collations order strings differently.
    return Authority(
        children=tuple(sorted(children, key=lambda c: c.child_id)),
        households=tuple(sorted(households, key=lambda h: h.household_id)),
        links=tuple(sorted(links, key=lambda link: (link.child_a, link.child_b))),
    )


@dataclass(frozen=True)
class AuthorityCounts:
    """What is stored, counted the ways the summary and the first page show it."""

    children: int
    households: int
    links: int
    children_by_plan: dict[str, int]
    children_by_status: dict[str, int]
    households_by_kind: dict[str, int]
    households_by_status: dict[str, int]
    links_by_assessment: dict[str, int]
    available_vacancies: int
    imports: int


def _grouped(session: Session, column: Any) -> dict[str, int]:
    query = select(column, func.count()).group_by(column)
    if column.class_ is not SiblingLinkRow:
        query = query.where(column.class_.retired_at.is_(None))
    rows = [tuple(row) for row in session.execute(query)]
    return {str(key): int(n) for key, n in sorted(rows, key=lambda r: str(r[0]))}


def authority_counts(session: Session) -> AuthorityCounts:
    """Counts of children, households and links, grouped by plan, status, kind."""
    by_plan = _grouped(session, ChildRow.plan)
    by_kind = _grouped(session, HouseholdRow.kind)
    by_assessment = _grouped(session, SiblingLinkRow.assessment)
    vacancies = session.scalar(
        select(func.coalesce(func.sum(HouseholdRow.vacancies), 0)).where(
            HouseholdRow.status == "available", HouseholdRow.retired_at.is_(None)
        )
    )
    imports = session.scalar(select(func.count()).select_from(ImportRunRow))
    return AuthorityCounts(
        children=sum(by_plan.values()),
        households=sum(by_kind.values()),
        links=sum(by_assessment.values()),
        children_by_plan=by_plan,
        children_by_status=_grouped(session, ChildRow.status),
        households_by_kind=by_kind,
        households_by_status=_grouped(session, HouseholdRow.status),
        links_by_assessment=by_assessment,
        available_vacancies=int(vacancies or 0),
        imports=int(imports or 0),
    )


# ---------------------------------------------------------------------------
# Snapshot imports: retiring what the files no longer hold
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Retirement:
    """What a snapshot import would retire or remove: ids, sorted."""

    children: tuple[str, ...] = ()
    households: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()


def plan_retirement(
    session: Session,
    incoming: Authority,
    *,
    children: bool,
    households: bool,
    links: bool,
) -> Retirement:
    """The current records absent from `incoming`, for each kind of record mirrored.

    A kind not mirrored (its file was not in the import) retires nothing; a sibling link
    touching a retired child is removed whatever is mirrored.
    """
    held = load_authority(session)
    gone_children: set[str] = set()
    if children:
        kept = {c.child_id for c in incoming.children}
        gone_children = {c.child_id for c in held.children if c.child_id not in kept}
    gone_households: list[str] = []
    if households:
        kept = {h.household_id for h in incoming.households}
        gone_households = [h.household_id for h in held.households if h.household_id not in kept]
    kept_pairs = {link.pair for link in incoming.links} if links else None
    gone_links = [
        (link.child_a, link.child_b)
        for link in held.links
        if link.child_a in gone_children
        or link.child_b in gone_children
        or (kept_pairs is not None and link.pair not in kept_pairs)
    ]
    return Retirement(
        tuple(sorted(gone_children)), tuple(sorted(gone_households)), tuple(gone_links)
    )


def _in_chunks(ids: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def retire(session: Session, retirement: Retirement, *, at: datetime | None = None) -> None:
    """Mark the records retired and delete the links; flushes, no commit."""
    when = at or utcnow()
    for chunk in _in_chunks(list(retirement.children)):
        session.execute(
            update(ChildRow).where(ChildRow.child_id.in_(chunk)).values(retired_at=when)
        )
    for chunk in _in_chunks(list(retirement.households)):
        session.execute(
            update(HouseholdRow).where(HouseholdRow.household_id.in_(chunk)).values(retired_at=when)
        )
    for a, b in retirement.links:
        session.execute(
            delete(SiblingLinkRow).where(SiblingLinkRow.child_a == a, SiblingLinkRow.child_b == b)
        )
    session.flush()


def count_current(session: Session) -> tuple[int, int, int]:
    """(children, households, sibling links) not retired."""
    children = session.scalar(
        select(func.count()).select_from(ChildRow).where(ChildRow.retired_at.is_(None))
    )
    households = session.scalar(
        select(func.count()).select_from(HouseholdRow).where(HouseholdRow.retired_at.is_(None))
    )
    links = session.scalar(select(func.count()).select_from(SiblingLinkRow))
    return int(children or 0), int(households or 0), int(links or 0)


# ---------------------------------------------------------------------------
# Practice warnings per child
# ---------------------------------------------------------------------------


def replace_child_warnings(
    session: Session, warnings: Iterable[ChildWarning], *, import_run_id: int | None
) -> int:
    """Replace every stored warning by `warnings` (of current children); no commit."""
    session.execute(delete(ChildWarningRow))
    now = utcnow()
    rows = [
        {
            "child_id": w.child_id,
            "code": w.code,
            "message": w.message,
            "import_run_id": import_run_id,
            "created_at": now,
        }
        for w in warnings
    ]
    if rows:
        session.execute(insert(ChildWarningRow), rows)
    session.flush()
    return len(rows)


def child_warnings(session: Session, child_id: str) -> list[ChildWarning]:
    """The practice warnings stored for one child, by code."""
    rows = session.execute(
        select(ChildWarningRow.code, ChildWarningRow.message)
        .where(ChildWarningRow.child_id == child_id)
        .order_by(ChildWarningRow.code, ChildWarningRow.id)
    )
    return [ChildWarning(child_id, code, message) for code, message in rows]


def children_with_warnings(session: Session, code: str | None = None) -> dict[str, list[str]]:
    """Child id -> the codes of its stored warnings (optionally of one code only)."""
    query = select(ChildWarningRow.child_id, ChildWarningRow.code)
    if code is not None:
        query = query.where(ChildWarningRow.code == code)
    found: dict[str, list[str]] = {}
    for child_id, warning_code in session.execute(query):
        found.setdefault(child_id, []).append(warning_code)
    return found


# ---------------------------------------------------------------------------
# Import runs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRunRecord:
    id: int
    created_at: datetime
    requested_by: str
    source: str
    as_of: date
    counts: UpsertCounts
    inputs_fingerprint: str
    mode: str = "upsert"
    format: str = "csv"
    report: dict[str, Any] | None = None


def _import_record(row: ImportRunRow) -> ImportRunRecord:
    counts = UpsertCounts(
        **{f.name: getattr(row, f.name) for f in dataclasses.fields(UpsertCounts)}
    )
    return ImportRunRecord(
        id=row.id,
        created_at=row.created_at,
        requested_by=row.requested_by,
        source=row.source,
        as_of=row.as_of,
        counts=counts,
        inputs_fingerprint=row.inputs_fingerprint,
        mode=row.mode,
        format=row.format,
        report=row.report,
    )


def record_import_run(
    session: Session,
    *,
    requested_by: str,
    source: str,
    as_of: date,
    counts: UpsertCounts,
    inputs_fingerprint: str,
    created_at: datetime | None = None,
    mode: str = "upsert",
    format: str = "csv",
    report: dict[str, Any] | None = None,
) -> ImportRunRecord:
    """Record one import (who, when, from where, what changed); flushes, no commit."""
    row = ImportRunRow(
        created_at=created_at or utcnow(),
        requested_by=requested_by,
        source=source,
        as_of=as_of,
        inputs_fingerprint=inputs_fingerprint,
        mode=mode,
        format=format,
        report=report,
        **dataclasses.asdict(counts),
    )
    session.add(row)
    session.flush()
    return _import_record(row)


def list_import_runs(session: Session, *, limit: int = 20) -> list[ImportRunRecord]:
    """The most recent imports, newest first."""
    rows = session.scalars(select(ImportRunRow).order_by(ImportRunRow.id.desc()).limit(limit))
    return [_import_record(r) for r in rows]


# ---------------------------------------------------------------------------
# Shortlist and round runs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ShortlistRunRecord:
    """A stored shortlist: who asked, when, on what data, and the result as stored.

    `result` is the stored JSON; read it through `document`, its type.
    """

    id: int
    created_at: datetime
    requested_by: str
    child_id: str
    unit: list[str]
    as_of: date
    policy_version: str
    inputs_fingerprint: str
    result: dict[str, Any]
    # what a replay needs (None for runs stored before replay existed)
    inputs_key: str | None = None
    policy_sha256: str | None = None
    request: dict[str, Any] | None = None

    @property
    def document(self) -> ShortlistDocument:
        """The stored shortlist read back through its type (any schema version)."""
        return ShortlistDocument.from_stored(
            self.result,
            child_id=self.child_id,
            unit=self.unit,
            as_of=self.as_of,
            policy_version=self.policy_version,
            inputs_fingerprint=self.inputs_fingerprint,
        )


@dataclass(frozen=True)
class RoundRunRecord:
    """A stored matching round: who asked, when, with what, and the result as stored.

    `result` is the stored JSON; read it through `document`, its type.
    """

    id: int
    created_at: datetime
    requested_by: str
    mode: str
    params: dict[str, Any]
    seed: int
    as_of: date
    policy_version: str
    inputs_fingerprint: str
    status: str
    solver: str
    result: dict[str, Any]
    # what a replay needs (None for runs stored before replay existed)
    inputs_key: str | None = None
    policy_sha256: str | None = None
    request: dict[str, Any] | None = None

    @property
    def document(self) -> RoundDocument:
        """The stored round read back through its type (any schema version)."""
        return RoundDocument.from_stored(
            self.result,
            mode=self.mode,
            as_of=self.as_of,
            policy_version=self.policy_version,
            inputs_fingerprint=self.inputs_fingerprint,
            seed=self.seed,
            params=self.params,
            status=self.status,
            solver=self.solver,
        )


def _stored_json(result: ShortlistDocument | RoundDocument | Mapping[str, Any]) -> dict[str, Any]:
    """What a result column holds: a document's JSON (a mapping is taken as such JSON)."""
    if isinstance(result, ShortlistDocument | RoundDocument):
        return result.as_json()
    return dict(result)


def _record_of(cls: type[T], row: Any) -> T:
    return cls(**{f.name: getattr(row, f.name) for f in dataclasses.fields(cls)})  # type: ignore[arg-type]


def save_shortlist_run(
    session: Session,
    *,
    requested_by: str,
    child_id: str,
    unit: Iterable[str],
    as_of: date,
    policy_version: str,
    inputs_fingerprint: str,
    result: ShortlistDocument | Mapping[str, Any],
    created_at: datetime | None = None,
    inputs_key: str | None = None,
    policy_sha256: str | None = None,
    request: Mapping[str, Any] | None = None,
) -> ShortlistRunRecord:
    """Store a shortlist as computed (its document, or the document's JSON), with what a
    replay needs (`models.run_input_store` keeps the inputs they name); flushes to get
    its id."""
    row = ShortlistRunRow(
        created_at=created_at or utcnow(),
        requested_by=requested_by,
        child_id=child_id,
        unit=list(unit),
        as_of=as_of,
        policy_version=policy_version,
        inputs_fingerprint=inputs_fingerprint,
        result=_stored_json(result),
        inputs_key=inputs_key,
        policy_sha256=policy_sha256,
        request=dict(request) if request is not None else None,
    )
    session.add(row)
    session.flush()
    return _record_of(ShortlistRunRecord, row)


def get_shortlist_run(session: Session, run_id: int) -> ShortlistRunRecord:
    """The stored shortlist `run_id`; NotFoundError when there is none."""
    row = session.get(ShortlistRunRow, run_id)
    if row is None:
        raise NotFoundError(f"no shortlist run with id {run_id}")
    return _record_of(ShortlistRunRecord, row)


def list_shortlist_runs(
    session: Session, *, child_id: str | None = None, limit: int = 50
) -> list[ShortlistRunRecord]:
    """Stored shortlists, newest first, optionally those requested for one child."""
    query = select(ShortlistRunRow).order_by(ShortlistRunRow.id.desc()).limit(limit)
    if child_id is not None:
        query = query.where(ShortlistRunRow.child_id == child_id)
    return [_record_of(ShortlistRunRecord, r) for r in session.scalars(query)]


def save_round_run(
    session: Session,
    *,
    requested_by: str,
    mode: str,
    params: dict[str, Any],
    seed: int,
    as_of: date,
    policy_version: str,
    inputs_fingerprint: str,
    status: str,
    solver: str,
    result: RoundDocument | Mapping[str, Any],
    created_at: datetime | None = None,
    inputs_key: str | None = None,
    policy_sha256: str | None = None,
    request: Mapping[str, Any] | None = None,
) -> RoundRunRecord:
    """Store a matching round as computed (its document, or the document's JSON, and
    JSON-ready `params`), with what a replay needs; flushes to get its id."""
    row = RoundRunRow(
        created_at=created_at or utcnow(),
        requested_by=requested_by,
        mode=mode,
        params=params,
        seed=seed,
        as_of=as_of,
        policy_version=policy_version,
        inputs_fingerprint=inputs_fingerprint,
        status=status,
        solver=solver,
        result=_stored_json(result),
        inputs_key=inputs_key,
        policy_sha256=policy_sha256,
        request=dict(request) if request is not None else None,
    )
    session.add(row)
    session.flush()
    return _record_of(RoundRunRecord, row)


def get_round_run(session: Session, run_id: int) -> RoundRunRecord:
    """The stored round `run_id`; NotFoundError when there is none."""
    row = session.get(RoundRunRow, run_id)
    if row is None:
        raise NotFoundError(f"no round run with id {run_id}")
    return _record_of(RoundRunRecord, row)


def latest_round_run(session: Session, *, mode: str, on_or_before: date) -> RoundRunRecord | None:
    """The newest stored round of `mode` run for a date on or before `on_or_before`."""
    query = (
        select(RoundRunRow)
        .where(RoundRunRow.mode == mode, RoundRunRow.as_of <= on_or_before)
        .order_by(RoundRunRow.as_of.desc(), RoundRunRow.id.desc())
        .limit(1)
    )
    row = session.scalars(query).first()
    return None if row is None else _record_of(RoundRunRecord, row)


def list_round_runs(session: Session, *, limit: int = 50) -> list[RoundRunRecord]:
    """Stored rounds, newest first."""
    query = select(RoundRunRow).order_by(RoundRunRow.id.desc()).limit(limit)
    return [_record_of(RoundRunRecord, r) for r in session.scalars(query)]


# ---------------------------------------------------------------------------
# Data version: bumped by every write to the authority, read by the pool snapshot
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DataVersion:
    version: int
    changed_at: datetime | None
    fingerprint: str | None = None  # of the stored authority, when a writer recorded it


def current_data_version(session: Session) -> int:
    """How many times the stored authority has changed (0 before any import)."""
    return data_version_stamp(session).version


def data_version_stamp(session: Session) -> DataVersion:
    """The data version with the time of its last change (one primary-key read)."""
    row = session.execute(
        select(DataVersionRow.version, DataVersionRow.changed_at, DataVersionRow.fingerprint).where(
            DataVersionRow.id == 1
        )
    ).first()
    if row is None:
        return DataVersion(0, None)
    return DataVersion(int(row[0]), row[1], row[2])


def bump_data_version(session: Session) -> int:
    """Count one change to the stored authority; returns the new version. No commit.

    Call it in the transaction that writes children, households or sibling links: an
    UPDATE ... SET version = version + 1, so concurrent writers queue on the row lock
    and none is lost.
    """
    bumped = session.execute(
        update(DataVersionRow)
        .where(DataVersionRow.id == 1)
        .values(version=DataVersionRow.version + 1, changed_at=utcnow(), fingerprint=None)
    )
    if typing.cast(Any, bumped).rowcount == 0:  # the row was deleted by hand: recreate it
        session.add(DataVersionRow(id=1, version=1, changed_at=utcnow()))
    session.flush()
    return current_data_version(session)


def record_fingerprint(session: Session, fingerprint: str) -> None:
    """Store the fingerprint of the authority as this transaction leaves it. No commit.

    Call it after `bump_data_version`, in the same transaction, only with the
    fingerprint of everything stored (as an import computes it).
    """
    session.execute(
        update(DataVersionRow).where(DataVersionRow.id == 1).values(fingerprint=fingerprint)
    )
