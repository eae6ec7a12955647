"""Authority to place: adopters cannot be proposed for a child with an adoption plan and
no placement order; fostering for adoption carers can, and the proposal says it is a
fostering-for-adoption placement (matching.legal_status)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import update

from models.orm import ChildRow, HouseholdRow
from models.store import bump_data_version
from tests.api.conftest import ApiEnv
from tests.api.test_service_proposals import propose, shortlist_run


def _baby_for_adoption(env: ApiEnv, **child: Any) -> None:
    """C004 (tiny) on an adoption plan, with the Patels (adopters, H006) available."""
    with env.session() as session:
        session.execute(
            update(ChildRow)
            .where(ChildRow.child_id == "C004")
            .values(plan="adoption", date_of_birth=date(2026, 2, 1), **child)
        )
        session.execute(
            update(HouseholdRow)
            .where(HouseholdRow.household_id == "H006")
            .values(status="available")
        )
        bump_data_version(session)
        session.commit()


def test_adopters_without_a_placement_order_are_refused_with_the_reason(api_env: ApiEnv) -> None:
    _baby_for_adoption(api_env, legal_status="C2", entered_care_on=date(2026, 2, 1))
    shown = shortlist_run(api_env, "C004")
    offered = {c["household_id"] for c in shown["candidates"]}
    assert {"H003", "H006"} <= offered

    refused = propose(api_env, shown["run_id"], "H006")
    assert refused.status_code == 409
    message = refused.json()["detail"]
    assert "no placement order recorded" in message
    assert "Adoption and Children Act 2002" in message
    assert "C004" in message

    # the dual-approved carers may be proposed now, as fostering for adoption
    ffa = propose(api_env, shown["run_id"], "H003")
    assert ffa.status_code == 201, ffa.text
    assert ffa.json()["rationale"]["placement"] == "fostering_for_adoption"


def test_a_placement_order_gives_authority_to_place_with_adopters(api_env: ApiEnv) -> None:
    _baby_for_adoption(
        api_env,
        legal_status="E1",
        entered_care_on=date(2026, 2, 1),
        placement_order_on=date(2026, 5, 1),
    )
    shown = shortlist_run(api_env, "C004")
    made = propose(api_env, shown["run_id"], "H006")
    assert made.status_code == 201, made.text
    assert made.json()["rationale"]["placement"] == "adoptive"
