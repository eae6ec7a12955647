"""Typed builders for domain objects: valid defaults, override what the test is about."""

from __future__ import annotations

from datetime import date
from typing import Any

from matching.domain import Authority, Child, Household, SiblingLink


def make_child(**overrides: Any) -> Child:
    values: dict[str, Any] = {
        "child_id": "C100",
        "first_name": "Sam",
        "date_of_birth": date(2015, 5, 1),
        "sex": "female",
        "ethnicity": "WBRI",
        "plan": "long_term_foster",
        "status": "waiting",
        "religion": "none",
        "languages": ("en",),
        "legal_status": "C2",
        "entered_care_on": date(2024, 1, 10),
        "plan_date": date(2024, 6, 1),
        "home_lat": 54.77,
        "home_lon": -1.57,
        "needs": {"sen": 1, "attachment_trauma": 2},
        "requirements": frozenset({"no_smokers"}),
        "wishes": ("pets",),
    }
    values.update(overrides)
    return Child(**values)


def make_household(**overrides: Any) -> Household:
    values: dict[str, Any] = {
        "household_id": "H100",
        "name": "The Testers",
        "kind": "foster",
        "term": "long",
        "provider": "in_house",
        "approved_min_age": 0,
        "approved_max_age": 17,
        "approved_places": 2,
        "max_sibling_group": 2,
        "vacancies": 2,
        "lat": 54.79,
        "lon": -1.55,
        "status": "available",
        "weekly_cost": 450.5,
        "skills": frozenset({"therapeutic", "sen"}),
        "will_consider": {"sen": 2, "autism": 1},
        "will_not_consider": frozenset({"fire_setting"}),
        "children_in_home_ages": (4, 9),
        "ethnicities": ("WBRI", "MWBC"),
        "religion": "christian",
        "languages": ("en", "pl"),
        "pets": True,
        "approved_on": date(2020, 3, 1),
    }
    values.update(overrides)
    return Household(**values)


def make_link(child_a: str, child_b: str, **overrides: Any) -> SiblingLink:
    values: dict[str, Any] = {
        "child_a": child_a,
        "child_b": child_b,
        "relationship": "full",
        "assessment": "together",
        "assessed_on": date(2025, 2, 20),
        "note": "Together and Apart assessment",
    }
    values.update(overrides)
    return SiblingLink(**values)


def make_authority() -> Authority:
    """Three children (two linked), two households, one connected to a child."""
    return Authority(
        children=(
            make_child(child_id="C100"),
            make_child(child_id="C101", first_name="", sex="male", needs={}, languages=()),
            make_child(
                child_id="C102",
                date_of_birth=date(2026, 8, 1),
                plan="ffa",
                legal_status=None,
                entered_care_on=None,
                religion=None,
                requirements=frozenset(),
            ),
        ),
        households=(
            make_household(household_id="H100"),
            make_household(
                household_id="H101",
                kind="connected",
                term=None,
                weekly_cost=None,
                connected_child_ids=("C101",),
                approved_on=None,
            ),
        ),
        # Written "backwards" on purpose: the store orders the pair.
        links=(make_link("C101", "C100", relationship="half", assessment="apart", note=""),),
    )
