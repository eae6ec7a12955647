"""The store: bulk upsert, load round trip, counts, stored runs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from matching.domain import Authority
from matching.errors import NotFoundError
from matching.fingerprint import authority_fingerprint
from models import store
from tests.models.builders import make_authority, make_child, make_household, make_link


def _ordered(authority: Authority) -> Authority:
    """The authority as the store returns it: sorted by id, sibling pairs ordered."""
    links = [
        dataclasses.replace(link, child_a=link.child_b, child_b=link.child_a)
        if link.child_b < link.child_a
        else link
        for link in authority.links
    ]
    return Authority(
        children=tuple(sorted(authority.children, key=lambda c: c.child_id)),
        households=tuple(sorted(authority.households, key=lambda h: h.household_id)),
        links=tuple(sorted(links, key=lambda link: (link.child_a, link.child_b))),
    )


def test_load_returns_exactly_what_was_upserted(db_session: Session) -> None:
    authority = make_authority()
    counts = store.upsert_authority(db_session, authority)
    assert counts == store.UpsertCounts(
        children_inserted=3, households_inserted=2, links_inserted=1
    )
    loaded = store.load_authority(db_session)
    assert loaded == _ordered(authority)
    assert authority_fingerprint(loaded) == authority_fingerprint(authority)
    # Types survive the trip: sets stay sets, mappings stay mappings, None stays None.
    c100 = loaded.child("C100")
    assert c100.requirements == frozenset({"no_smokers"})
    assert c100.needs == {"sen": 1, "attachment_trauma": 2}
    assert loaded.child("C102").legal_status is None
    assert loaded.households[1].weekly_cost is None
    assert loaded.links[0].child_a == "C100"


def test_upsert_updates_existing_ids_and_inserts_new_ones(db_session: Session) -> None:
    store.upsert_authority(db_session, make_authority())
    changed = Authority(
        children=(
            make_child(child_id="C100", status="matched", needs={"autism": 2}),
            make_child(child_id="C200"),
        ),
        households=(make_household(household_id="H100", vacancies=0, pets=False),),
        links=(make_link("C100", "C101", relationship="half", assessment="together"),),
    )
    counts = store.upsert_authority(db_session, changed)
    assert counts == store.UpsertCounts(
        children_inserted=1,
        children_updated=1,
        households_updated=1,
        links_updated=1,  # the same pair, written the other way round
    )
    loaded = store.load_authority(db_session)
    assert [c.child_id for c in loaded.children] == ["C100", "C101", "C102", "C200"]
    assert loaded.child("C100").status == "matched"
    assert loaded.child("C100").needs == {"autism": 2}
    h100 = next(h for h in loaded.households if h.household_id == "H100")
    assert (h100.vacancies, h100.pets) == (0, False)
    assert [(link.child_a, link.child_b, link.assessment) for link in loaded.links] == [
        ("C100", "C101", "together")
    ]


def test_duplicate_id_in_one_upsert_is_refused(db_session: Session) -> None:
    twice = Authority(children=(make_child(child_id="C1"), make_child(child_id="C1")))
    with pytest.raises(ValueError, match="duplicate"):
        store.upsert_authority(db_session, twice)


def test_counts_group_by_plan_status_and_kind(db_session: Session) -> None:
    store.upsert_authority(db_session, make_authority())
    counts = store.authority_counts(db_session)
    assert (counts.children, counts.households, counts.links) == (3, 2, 1)
    assert counts.children_by_plan == {"ffa": 1, "long_term_foster": 2}
    assert counts.children_by_status == {"waiting": 3}
    assert counts.households_by_kind == {"connected": 1, "foster": 1}
    assert counts.links_by_assessment == {"apart": 1}
    assert counts.available_vacancies == 4


def test_empty_store_loads_an_empty_authority(db_session: Session) -> None:
    assert store.load_authority(db_session) == Authority()
    assert store.authority_counts(db_session).children == 0


def test_import_run_is_recorded_with_its_counts(db_session: Session) -> None:
    counts = store.upsert_authority(db_session, make_authority())
    run = store.record_import_run(
        db_session,
        requested_by="tester",
        source="/data/authority",
        as_of=date(2026, 6, 1),
        counts=counts,
        inputs_fingerprint="f" * 64,
    )
    (latest,) = store.list_import_runs(db_session, limit=1)
    assert latest == run
    assert latest.counts == counts
    assert latest.created_at.tzinfo is not None


def test_shortlist_run_round_trip(db_session: Session) -> None:
    created = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    saved = store.save_shortlist_run(
        db_session,
        requested_by="finder",
        child_id="C100",
        unit=["C100", "C101"],
        as_of=date(2026, 6, 1),
        policy_version="2026.1",
        inputs_fingerprint="a" * 64,
        result={"ranked": [{"household_id": "H100", "score": 0.82}], "excluded": []},
        created_at=created,
    )
    db_session.expire_all()
    loaded = store.get_shortlist_run(db_session, saved.id)
    assert loaded == saved
    assert loaded.created_at == created and loaded.created_at.tzinfo is not None
    assert store.list_shortlist_runs(db_session, child_id="C100") == [saved]
    assert store.list_shortlist_runs(db_session, child_id="C999") == []


def test_round_run_round_trip(db_session: Session) -> None:
    saved = store.save_round_run(
        db_session,
        requested_by="finder",
        mode="allocation",
        params={"time_limit_s": 10},
        seed=2**40,
        as_of=date(2026, 6, 1),
        policy_version="2026.1",
        inputs_fingerprint="b" * 64,
        status="optimal",
        solver="cp-sat",
        result={"assignments": {"C100": "H100"}},
    )
    db_session.expire_all()
    loaded = store.get_round_run(db_session, saved.id)
    assert loaded == saved
    assert loaded.seed == 2**40
    assert store.list_round_runs(db_session)[0] == saved


def test_missing_runs_are_not_found(db_session: Session) -> None:
    with pytest.raises(NotFoundError):
        store.get_round_run(db_session, 999_999)
    with pytest.raises(NotFoundError):
        store.get_shortlist_run(db_session, 999_999)


def test_naive_datetime_is_refused(db_session: Session) -> None:
    with pytest.raises(Exception, match="naive"):
        store.save_round_run(
            db_session,
            requested_by="finder",
            mode="allocation",
            params={},
            seed=0,
            as_of=date(2026, 6, 1),
            policy_version="1",
            inputs_fingerprint="c" * 64,
            status="optimal",
            solver="cp-sat",
            result={},
            created_at=datetime(2026, 6, 1, 9, 0),
        )
