"""Stored shortlists and rounds read back through their types, whichever version of
familyfinder stored them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from matching.results import RoundDocument, ShortlistDocument
from matching.rounds import RoundParams
from models import store

DATA = Path(__file__).resolve().parent / "data"


def stored(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    data["as_of"] = date.fromisoformat(data["as_of"])
    return data


def save_shortlist(session: Session, row: dict[str, Any]) -> store.ShortlistRunRecord:
    saved = store.save_shortlist_run(session, requested_by="finder", **row)
    session.expire_all()
    return store.get_shortlist_run(session, saved.id)


def save_round(session: Session, row: dict[str, Any]) -> store.RoundRunRecord:
    saved = store.save_round_run(session, requested_by="finder", **row)
    session.expire_all()
    return store.get_round_run(session, saved.id)


def test_a_shortlist_stored_before_schema_versions_reads_back(db_session: Session) -> None:
    row = stored("shortlist_run_before_schema_version.json")
    document = save_shortlist(db_session, row).document
    assert document.schema_version == 0
    assert document.unit == ("C001", "C002", "C003") and document.child_id == "C001"
    assert document.candidates[0].name and document.candidates[0].contributions
    assert document.why_not is not None and document.why_not.household_id == "H001"
    # shown again exactly as it was: the JSON is the stored JSON (and its version)
    shown = document.as_json()
    assert shown.pop("schema_version") == 0
    assert shown == row["result"]


def test_a_round_stored_before_schema_versions_reads_back(db_session: Session) -> None:
    row = stored("round_run_before_schema_version.json")
    document = save_round(db_session, row).document
    assert document.schema_version == 0
    reasons = {u.reason for u in document.unplaced}
    assert reasons == {"no_feasible_household", "taken_by_others"}
    no_household = next(u for u in document.unplaced if u.excluded_counts is not None)
    assert no_household.feasible_households is None and no_household.reasons
    shown = document.as_json()
    assert shown.pop("schema_version") == 0
    assert shown == row["result"]
    # enough to run it again: the parameters rebuild the engine's
    assert RoundParams(**document.params).time_limit_s == 5.0


def test_a_partial_stored_shortlist_takes_its_columns(db_session: Session) -> None:
    record = save_shortlist(
        db_session,
        {
            "child_id": "C100",
            "unit": ["C100"],
            "as_of": date(2026, 6, 1),
            "policy_version": "test",
            "inputs_fingerprint": "0" * 64,
            "result": {
                "candidates": [
                    {
                        "household_id": "H100",
                        "rank": 1,
                        "score": 80.0,
                        "kinship": False,
                        "contributions": [],
                        "questions": [],
                    }
                ],
            },
        },
    )
    document = record.document
    assert (document.child_id, document.unit, document.policy_version) == (
        "C100",
        ("C100",),
        "test",
    )
    assert document.candidates[0].name == "" and document.excluded_counts == {}
    assert document.n_feasible is None and "n_feasible" not in document.as_json()


def test_a_document_round_trips_through_the_store(db_session: Session) -> None:
    old = save_round(db_session, stored("round_run_before_schema_version.json")).document
    current = RoundDocument.model_validate({**old.as_json(), "schema_version": 1})
    row = stored("round_run_before_schema_version.json") | {"result": current}
    record = save_round(db_session, row)
    assert record.result["schema_version"] == 1
    assert record.document == current

    shortlist = save_shortlist(
        db_session, stored("shortlist_run_before_schema_version.json")
    ).document
    fresh = ShortlistDocument.model_validate({**shortlist.as_json(), "schema_version": 1})
    again = save_shortlist(
        db_session, stored("shortlist_run_before_schema_version.json") | {"result": fresh}
    )
    assert again.document == fresh
