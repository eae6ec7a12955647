"""Engines and sessions made from a database URL.

SQLite gets foreign keys and WAL on every connection, and the pysqlite driver is told
to leave transaction control to SQLAlchemy so SAVEPOINTs and transactional DDL work
(the driver otherwise delays BEGIN and silently breaks nested transactions).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, sqlite_immediate: bool = False, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite connections get foreign keys, WAL and real BEGINs.

    `sqlite_immediate` makes every SQLite transaction BEGIN IMMEDIATE (take the write
    lock up front): a server whose reads also write (the audit trail) then waits for
    the lock instead of failing to upgrade a read transaction another writer overtook.
    """
    engine = create_engine(url, **kwargs)
    begin = "BEGIN IMMEDIATE" if sqlite_immediate else "BEGIN"
    if engine.dialect.name == "sqlite":
        in_memory = make_url(url).database in (None, "", ":memory:")

        @event.listens_for(engine, "connect")
        def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Autocommit at the driver level; SQLAlchemy emits BEGIN itself (below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_on_begin(connection: Any) -> None:
            connection.exec_driver_sql(begin)

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
