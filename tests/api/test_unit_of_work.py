"""One use case, one transaction: the unit of work commits at its end, rolls back on
error, and nested in another becomes a savepoint the outer one may recover from."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.services.unit_of_work import unit_of_work
from models.accounts import AuditEventRow
from models.audit_store import append_audit_event


def note(session: Session, action: str) -> None:
    append_audit_event(session, username="tester", role="admin", action=action)
    session.flush()


def actions(session: Session) -> list[str]:
    rows = session.scalars(select(AuditEventRow.action).where(AuditEventRow.username == "tester"))
    return sorted(rows)


class Refused(Exception):
    pass


def test_the_block_is_committed_at_its_end(db_session: Session) -> None:
    with unit_of_work(db_session):
        note(db_session, "kept")
    db_session.rollback()  # nothing left to roll back: it was committed
    assert actions(db_session) == ["kept"]


def test_an_error_rolls_the_whole_block_back(db_session: Session) -> None:
    with pytest.raises(Refused), unit_of_work(db_session):
        note(db_session, "lost")
        raise Refused
    assert actions(db_session) == []


def test_a_failed_inner_unit_leaves_nothing_and_the_outer_goes_on(db_session: Session) -> None:
    with unit_of_work(db_session):
        note(db_session, "outer")
        try:
            with unit_of_work(db_session):
                note(db_session, "inner")
                raise Refused
        except Refused:
            pass
        with unit_of_work(db_session):
            note(db_session, "second inner")
    db_session.rollback()
    assert actions(db_session) == ["outer", "second inner"]


def test_inner_units_commit_only_with_the_outer_one(db_session: Session) -> None:
    with pytest.raises(Refused), unit_of_work(db_session):
        with unit_of_work(db_session):
            note(db_session, "inner")
        raise Refused
    assert actions(db_session) == []
