"""An in-memory snapshot of the stored authority, shared by every request of a process.

Loading the pool from the database costs about half a second at 50,000 households, so
shortlists and rounds read it from a snapshot instead: the authority, its pool arrays and
sibling units (`MatchingContext`) and its fingerprint. A request reads the data version
(one primary-key row, see `models.store.bump_data_version`) and reloads the snapshot only
when it changed. Every writer of children, households or sibling links bumps the version
in its own transaction.

The cache is per process and per database, guarded by a lock: concurrent requests on a
stale snapshot wait for one reload instead of each loading the pool.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from matching.domain import Authority
from matching.fingerprint import authority_fingerprint
from matching.policy import Policy
from matching.shortlist import MatchingContext
from models.store import data_version_stamp, load_authority

# Databases kept per process (a server uses one; a test run many in turn).
MAX_DATABASES = 4


@dataclass(frozen=True)
class Snapshot:
    """The stored authority as of `data_version`, prepared for matching."""

    authority: Authority
    context: MatchingContext
    fingerprint: str
    data_version: int
    # with the version, tells apart two databases that happen to share a URL in turn
    changed_at: datetime | None
    policy: Policy
    loaded_at: float  # time.monotonic() when loaded
    load_s: float  # seconds the load took


@dataclass
class _Entry:
    lock: threading.Lock
    snapshot: Snapshot | None = None


_entries: OrderedDict[str, _Entry] = OrderedDict()
_entries_lock = threading.Lock()
_loads = 0  # how many loads this process made (for tests and diagnostics)


def _database_key(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def _entry(key: str) -> _Entry:
    with _entries_lock:
        entry = _entries.get(key)
        if entry is None:
            entry = _entries[key] = _Entry(threading.Lock())
            while len(_entries) > MAX_DATABASES:
                _entries.popitem(last=False)
        else:
            _entries.move_to_end(key)
        return entry


def get_snapshot(session: Session, policy: Policy) -> Snapshot:
    """The snapshot of the authority stored in `session`'s database, reloaded if stale.

    The version is read before the data: if a write commits in between, the snapshot
    holds newer data under the older version and the next call reloads it again; it
    never holds older data under a newer version. `policy` is carried on the snapshot
    for the caller; the pool arrays do not depend on it, so a change of policy costs
    no reload.
    """
    global _loads
    stamp = data_version_stamp(session)
    entry = _entry(_database_key(session))
    with entry.lock:
        current = entry.snapshot
        if (
            current is not None
            and current.data_version == stamp.version
            and current.changed_at == stamp.changed_at
        ):
            return current if current.policy is policy else replace(current, policy=policy)
        started = time.perf_counter()
        authority = load_authority(session)
        snapshot = Snapshot(
            authority=authority,
            context=MatchingContext.prepare(authority),
            fingerprint=stamp.fingerprint or authority_fingerprint(authority),
            data_version=stamp.version,
            changed_at=stamp.changed_at,
            policy=policy,
            loaded_at=time.monotonic(),
            load_s=time.perf_counter() - started,
        )
        entry.snapshot = snapshot
        _loads += 1
        return snapshot


def snapshot_loads() -> int:
    """How many times this process has loaded a snapshot from a database."""
    return _loads


def clear_snapshots() -> None:
    """Forget every snapshot (the next request on each database reloads)."""
    with _entries_lock:
        _entries.clear()
