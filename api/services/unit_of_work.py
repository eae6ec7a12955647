"""One use case, one transaction: `with unit_of_work(session):` around what a service does.

    with unit_of_work(session):
        row = add_something(session, ...)
        record(session, actor, "did_something", ...)
    # committed here; on any exception rolled back and re-raised

Services compose. A use case that calls other services inside its own unit of work (a
page that reads a child's record and shortlist together, say) commits once, at its
outer end: the inner units do not commit, each becomes a SAVEPOINT instead, so an
inner failure that the outer use case catches and handles leaves nothing of the inner
part behind while the rest of the outer transaction goes on.

A read-only use case may use it too: the commit then only ends the read transaction
(sessions keep loaded values after commit, see `models.db.make_session_factory`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

# How many units of work are open on a session, kept on the session itself.
_DEPTH = "familyfinder.unit_of_work_depth"


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit `session` when the block ends, roll it back if the block raises.

    Nested in another unit of work on the same session, the block is a SAVEPOINT:
    released when it ends, rolled back to when it raises (and the error re-raised);
    the outermost unit alone commits.
    """
    depth = int(session.info.get(_DEPTH, 0))
    session.info[_DEPTH] = depth + 1
    try:
        if depth == 0:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
        else:
            savepoint = session.begin_nested()
            try:
                yield session
            except BaseException:
                if savepoint.is_active:
                    savepoint.rollback()
                raise
            if savepoint.is_active:
                savepoint.commit()
    finally:
        session.info[_DEPTH] = depth
