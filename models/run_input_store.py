"""Queries of kept run inputs: the authority a run saw and the policy text it used.

Nothing here commits: the service storing a run keeps its inputs in the run's own
transaction, so a run is never stored without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, select, union, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.accounts import ProposalRow, RoundJobRow
from models.orm import PolicyTextRow, RoundRunRow, RunInputRow, ShortlistRunRow, utcnow


@dataclass(frozen=True)
class KeptInput:
    """A kept authority: its compressed bytes, or None once pruned (and when)."""

    key: str
    data: bytes | None
    raw_bytes: int
    stored_bytes: int
    created_at: datetime
    pruned_at: datetime | None


def _insert(session: Session, model: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for this database (two runs on one new data
    version at once both try to keep it: one row results)."""
    name = session.get_bind().dialect.name
    dialect_insert = postgresql.insert if name == "postgresql" else sqlite.insert
    return dialect_insert(model)


def has_live_input(session: Session, key: str) -> bool:
    """Whether the authority `key` is kept (and not pruned)."""
    found = session.execute(
        select(RunInputRow.key).where(RunInputRow.key == key, RunInputRow.data.is_not(None))
    ).first()
    return found is not None


def keep_input(session: Session, *, key: str, data: bytes, raw_bytes: int) -> None:
    """Keep an authority under `key` (once: a second call is a no-op); a pruned one is
    kept again. Flushes, no commit."""
    values = {
        "key": key,
        "data": data,
        "raw_bytes": raw_bytes,
        "stored_bytes": len(data),
        "created_at": utcnow(),
        "pruned_at": None,
    }
    session.execute(_insert(session, RunInputRow).values(values).on_conflict_do_nothing())
    session.execute(
        update(RunInputRow)
        .where(RunInputRow.key == key, RunInputRow.data.is_(None))
        .values(data=data, stored_bytes=len(data), pruned_at=None, created_at=values["created_at"])
    )
    session.flush()


def keep_policy_text(session: Session, *, sha256: str, version: str, text: str) -> None:
    """Keep a policy text under its SHA-256 (once). Flushes, no commit."""
    session.execute(
        _insert(session, PolicyTextRow)
        .values(sha256=sha256, version=version, text=text, created_at=utcnow())
        .on_conflict_do_nothing()
    )
    session.flush()


def kept_input(session: Session, key: str) -> KeptInput | None:
    """The kept authority `key` (its data None once pruned), or None if never kept."""
    row = session.get(RunInputRow, key)
    if row is None:
        return None
    return KeptInput(
        key=row.key,
        data=row.data,
        raw_bytes=row.raw_bytes,
        stored_bytes=row.stored_bytes,
        created_at=row.created_at,
        pruned_at=row.pruned_at,
    )


def kept_policy_text(session: Session, sha256: str) -> str | None:
    """The policy text kept under `sha256`, if any."""
    return session.scalar(select(PolicyTextRow.text).where(PolicyTextRow.sha256 == sha256))


@dataclass(frozen=True)
class Prunable:
    """A kept authority past its retention and referenced by nothing that keeps it."""

    key: str
    created_at: datetime
    stored_bytes: int


def prunable_inputs(session: Session, *, cutoff: datetime) -> list[Prunable]:
    """Kept authorities that only runs stored before `cutoff` refer to, none of them a
    run a proposal was made from (a panel paper links to its replay: a proposal is part
    of the child's case record and keeps its run's inputs)."""
    recent = union(
        select(ShortlistRunRow.inputs_key).where(ShortlistRunRow.created_at >= cutoff),
        select(RoundRunRow.inputs_key).where(RoundRunRow.created_at >= cutoff),
        select(ShortlistRunRow.inputs_key).where(
            exists().where(
                and_(
                    ProposalRow.source_kind == "shortlist",
                    ProposalRow.source_id == ShortlistRunRow.id,
                )
            )
        ),
        select(RoundRunRow.inputs_key).where(
            exists().where(
                and_(
                    ProposalRow.source_kind == "round",
                    ProposalRow.source_id == RoundJobRow.id,
                    RoundJobRow.round_run_id == RoundRunRow.id,
                )
            )
        ),
    ).subquery()
    rows = session.execute(
        select(RunInputRow.key, RunInputRow.created_at, RunInputRow.stored_bytes)
        .where(
            RunInputRow.data.is_not(None),
            RunInputRow.created_at < cutoff,
            RunInputRow.key.not_in(
                select(recent.c.inputs_key).where(recent.c.inputs_key.is_not(None))
            ),
        )
        .order_by(RunInputRow.created_at, RunInputRow.key)
    )
    return [Prunable(key, created_at, stored_bytes) for key, created_at, stored_bytes in rows]


def prune_inputs(session: Session, keys: Sequence[str], *, at: datetime) -> None:
    """Delete the kept data of `keys`, leaving the row to say when. Flushes, no commit."""
    for start in range(0, len(keys), 500):
        session.execute(
            update(RunInputRow)
            .where(RunInputRow.key.in_(list(keys[start : start + 500])))
            .values(data=None, pruned_at=at)
        )
    session.flush()
