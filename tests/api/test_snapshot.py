"""The per-process pool snapshot: loaded once, reloaded only when the data version moves."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from api.services.imports import import_directory
from api.services.shortlists import run_shortlist
from api.services.snapshot import Snapshot, clear_snapshots, get_snapshot, snapshot_loads
from matching.fingerprint import authority_fingerprint
from matching.policy import default_policy, default_policy_text, load_policy
from models.db import make_engine
from models.migrate import upgrade
from models.store import (
    bump_data_version,
    current_data_version,
    data_version_stamp,
    load_authority,
)

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny"
AS_OF = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def no_cached_snapshots() -> Iterator[None]:
    clear_snapshots()
    yield
    clear_snapshots()


def test_bump_counts_each_change_and_stamps_the_time(db_session: Session) -> None:
    before = data_version_stamp(db_session)
    assert bump_data_version(db_session) == before.version + 1
    after = data_version_stamp(db_session)
    assert after.version == current_data_version(db_session) == before.version + 1
    assert after.changed_at is not None and after.changed_at.tzinfo is not None
    assert before.changed_at is None or after.changed_at >= before.changed_at


def test_an_import_bumps_the_data_version(db_session: Session) -> None:
    before = current_data_version(db_session)
    import_directory(db_session, TINY, as_of=AS_OF, requested_by="test")
    assert current_data_version(db_session) == before + 1


def test_snapshot_reloads_after_an_import_and_not_otherwise(
    db_session: Session, tmp_path: Path
) -> None:
    import_directory(db_session, TINY, as_of=AS_OF, requested_by="test")
    policy = default_policy()
    loads = snapshot_loads()
    first = get_snapshot(db_session, policy)
    assert snapshot_loads() == loads + 1
    assert first.fingerprint == authority_fingerprint(load_authority(db_session))
    assert first.data_version == current_data_version(db_session)
    assert len(first.authority.households) == first.context.pool.size == 11

    # Reading, and writing results (a stored shortlist), leave the data as it was.
    assert get_snapshot(db_session, policy) is first
    run_shortlist(db_session, "C005", as_of=AS_OF, policy=policy, requested_by="test")
    assert get_snapshot(db_session, policy) is first
    # Another policy is carried on the snapshot without reloading the pool.
    other = load_policy(default_policy_text().replace('"2026.2"', '"snapshot-test"'))
    again = get_snapshot(db_session, other)
    assert again.policy is other and again.context is first.context
    assert snapshot_loads() == loads + 1

    # An import that changes a household: the next request sees it.
    changed = tmp_path / "tiny"
    shutil.copytree(TINY, changed)
    households = changed / "households.csv"
    text = households.read_text(encoding="utf-8")
    households.write_text(text.replace("H003,The Lees,", "H003,The Lee-Smiths,"))
    import_directory(db_session, changed, as_of=AS_OF, requested_by="test")
    reloaded = get_snapshot(db_session, policy)
    assert snapshot_loads() == loads + 2
    assert reloaded.data_version == first.data_version + 1
    assert reloaded.fingerprint != first.fingerprint
    pool = reloaded.context.pool
    assert pool.households[pool.index["H003"]].name == "The Lee-Smiths"
    assert get_snapshot(db_session, policy) is reloaded


def test_concurrent_requests_share_one_load(fresh_database_url: str) -> None:
    upgrade(fresh_database_url)
    engine = make_engine(fresh_database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            import_directory(session, TINY, as_of=AS_OF, requested_by="test")
        policy = default_policy()
        loads = snapshot_loads()
        start = threading.Barrier(4)
        seen: list[Snapshot] = []
        errors: list[BaseException] = []

        def request() -> None:
            try:
                with Session(engine) as session:
                    start.wait()
                    seen.append(get_snapshot(session, policy))
            except BaseException as error:  # reported below, not lost in the thread
                errors.append(error)

        threads = [threading.Thread(target=request) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(seen) == 4 and all(s is seen[0] for s in seen)
        assert snapshot_loads() == loads + 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("source", ["tiny", "demo", "synthetic"])
def test_an_import_records_the_fingerprint_readers_would_compute(
    db_session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    # The import's fingerprint is stored with the version; it must be exactly the one of
    # what the database then holds, and a snapshot must take it instead of computing it.
    import api.services.snapshot as snapshot_module
    from api.services.exports import write_directory
    from matching.synthetic import generate_authority

    if source == "synthetic":
        directory = tmp_path / "synthetic"
        directory.mkdir()
        write_directory(generate_authority(300, 200, seed=5, as_of=AS_OF), directory)
    else:
        directory = Path(__file__).resolve().parents[2] / "fixtures" / source
    as_of = date(2026, 11, 1) if source == "demo" else AS_OF  # the demo's own date
    summary = import_directory(db_session, directory, as_of=as_of, requested_by="test")
    stamp = data_version_stamp(db_session)
    assert stamp.fingerprint == summary.inputs_fingerprint
    assert stamp.fingerprint == authority_fingerprint(load_authority(db_session))

    def not_again(_authority: object) -> str:
        raise AssertionError("the snapshot recomputed a fingerprint the import stored")

    monkeypatch.setattr(snapshot_module, "authority_fingerprint", not_again)
    assert get_snapshot(db_session, default_policy()).fingerprint == stamp.fingerprint

    # any other write clears it: readers compute it again
    bump_data_version(db_session)
    db_session.commit()
    assert data_version_stamp(db_session).fingerprint is None
    monkeypatch.setattr(snapshot_module, "authority_fingerprint", authority_fingerprint)
    assert get_snapshot(db_session, default_policy()).fingerprint == stamp.fingerprint
