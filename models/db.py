"""Engines and sessions made from a database URL.

SQLite is used as an embedded database should be: WAL (readers never wait for the
writer), a busy timeout (a writer waits for the lock instead of failing), foreign keys,
and transactions that take the write lock only when they write:

    a transaction that only reads          BEGIN (deferred): a snapshot, no write lock
    one whose first statement writes       BEGIN IMMEDIATE: the write lock up front
    one that reads, then writes            the read snapshot is ended and the writes
                                           run under BEGIN IMMEDIATE

The last case is where SQLite would otherwise fail: a read transaction that tries to
write after another connection committed gets SQLITE_BUSY_SNAPSHOT at once, whatever
the busy timeout. Starting the writes afresh under the lock gives them what PostgreSQL's
READ COMMITTED gives every statement, which the services are written for (their
conditional UPDATEs and unique keys guard every decision taken on what they read).

The pysqlite driver is told to leave transaction control to us, so SAVEPOINTs and
transactional DDL work (it otherwise delays BEGIN and silently breaks nested
transactions).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

# How long a SQLite writer waits for another's lock before "database is locked".
SQLITE_BUSY_TIMEOUT_S = 15.0

_TXN = "familyfinder_sqlite_transaction"  # connection.info key: None | pending | read | write


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def database_url_problem(url: str) -> str | None:
    """Why `url` cannot name a database this program can open, or None.

    Catches what would otherwise surface as a traceback from deep inside SQLAlchemy:
    text that is not a URL, a dialect name SQLAlchemy does not know (`postgres://` is
    the common one), and a driver that is not installed.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"{url!r} is not a database URL (for example sqlite:///familyfinder.db)"
    hint = ""
    if parsed.drivername in ("postgres", "postgresql+psycopg2"):
        hint = "; for PostgreSQL write postgresql+psycopg://..."
    try:
        dialect = parsed.get_dialect()
        dialect.import_dbapi()
    except NoSuchModuleError:
        return f"unknown database kind {parsed.drivername!r}{hint}"
    except ImportError as error:
        return f"the driver for {parsed.drivername!r} is not installed ({error}){hint}"
    return None


def _is_read(statement: str) -> bool:
    # Only a plain SELECT is known to write nothing; anything else (WITH may wrap an
    # INSERT, SAVEPOINT opens a nested writer) is treated as a write.
    return statement.lstrip()[:6].upper() == "SELECT"


def _install_sqlite_transactions(engine: Engine, in_memory: bool, busy_timeout_s: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level; BEGIN is emitted below, when it is known which.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.info[_TXN] = "pending"

    def _ended(connection: Any) -> None:
        connection.info[_TXN] = None

    event.listen(engine, "commit", _ended)
    event.listen(engine, "rollback", _ended)

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(
        connection: Any, cursor: Any, statement: str, *_args: Any, **_kwargs: Any
    ) -> None:
        state = connection.info.get(_TXN)
        if state is None or state == "write":
            return
        read = _is_read(statement)
        if state == "read" and read:
            return
        raw = connection.connection.dbapi_connection
        if state == "pending":
            raw.execute("BEGIN" if read else "BEGIN IMMEDIATE")
        else:  # a read transaction's first write: end the snapshot, write under the lock
            raw.execute("COMMIT")
            raw.execute("BEGIN IMMEDIATE")
        connection.info[_TXN] = "read" if read else "write"


def make_engine(
    url: str, *, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S, **kwargs: Any
) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys, a busy timeout and the
    transactions described in the module docstring."""
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        in_memory = make_url(url).database in (None, "", ":memory:")
        _install_sqlite_transactions(engine, in_memory, busy_timeout_s)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (results are rendered after it)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that is rolled back on any error and always closed.

    It does not commit: the service that runs the use case commits once at its end.
    """
    session = factory()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
