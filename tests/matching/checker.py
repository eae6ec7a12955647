"""An independent hard-rule checker, written from the table in docs/domain.md.

It deliberately shares no code with `matching.rules` / `matching.pool`: plain Python
over the domain objects, one household at a time, so the vectorised engine can be
checked against it. Round tests import it too (`failing_rules`, `check_allocation`).

Also here: small typed builders for test children and households.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from matching.domain import Child, Household

RULES = (
    "plan_kind",
    "connected_to_child",
    "status",
    "age_range",
    "capacity",
    "will_not_consider",
    "smoker_under_five",
    "requirement",
    "safeguarding_distance",
)


def whole_years(born: date, on: date) -> int:
    """Age in whole years; an unborn child is 0."""
    if born > on:
        return 0
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius 6371.0088 km)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def _serves(household: Household, plan: str) -> bool:
    kind = household.kind
    if kind == "connected":
        # serves any family-based plan; whether it is *their* child is connected_to_child
        return plan != "residential"
    if plan == "adoption":
        return kind in ("adopter", "ffa")
    if plan == "ffa":
        return kind == "ffa"
    if plan == "long_term_foster":
        return kind == "foster" and household.term in ("long", "both")
    if plan == "residential":
        return kind == "residential"
    return False  # kinship, sgo, cao: connected only


CO_PLACEMENT_RISKS = ("harmful_sexual_behaviour", "fire_setting", "exploitation_risk")


def failing_rules(children: Sequence[Child], household: Household, as_of: date) -> set[str]:
    """Names of the hard rules `household` fails for the unit made of `children`."""
    failed: set[str] = set()
    ages = [whole_years(c.date_of_birth, as_of) for c in children]
    home = list(household.children_in_home_ages)

    if not all(_serves(household, c.plan) for c in children):
        failed.add("plan_kind")
    if household.kind == "connected" and not all(
        c.child_id in household.connected_child_ids for c in children
    ):
        failed.add("connected_to_child")
    if household.status != "available":
        failed.add("status")
    # a connected household is approved for its named children: the age range and the
    # under-fives smoking rule are questions for it, not exclusions (issue 12)
    connected = household.kind == "connected"
    if not connected and any(
        a < household.approved_min_age or a > household.approved_max_age for a in ages
    ):
        failed.add("age_range")
    n = len(children)
    if n > household.vacancies or n > household.approved_places or n > household.max_sibling_group:
        failed.add("capacity")
    if any(need in household.will_not_consider for c in children for need in c.needs):
        failed.add("will_not_consider")
    if household.smoker and any(
        (a < 5 and not connected) or "no_smokers" in c.requirements
        for c, a in zip(children, ages, strict=True)
    ):
        failed.add("smoker_under_five")
    for c, a in zip(children, ages, strict=True):
        r = c.requirements
        if (
            ("no_pets" in r and household.pets)
            or ("no_younger_children" in r and any(h < a for h in home))
            or ("no_older_children" in r and any(h > a for h in home))
            or ("no_other_children" in r and home)
            # not recorded (None) is a question, never an exclusion (issue #14)
            or ("wheelchair_access" in r and household.wheelchair_access is False)
            # the shipped policy's co-placement risks, written out: harmful sexual
            # behaviour, fire-setting or exploitation risk at the complex level, and a
            # younger child already in the home
            or (
                any(c.needs.get(need, 0) >= 2 for need in CO_PLACEMENT_RISKS)
                and any(h < a for h in home)
            )
        ):
            failed.add("requirement")
        if (
            c.min_distance_km is not None
            and c.home_lat is not None
            and c.home_lon is not None
            and km_between(c.home_lat, c.home_lon, household.lat, household.lon) < c.min_distance_km
        ):
            failed.add("safeguarding_distance")
    return failed


def tier_key(children: Sequence[Child], household: Household) -> tuple[bool, bool, bool]:
    """The default policy's tiers for a unit and a household, highest first (written
    from docs/domain.md, not from matching.tiers): connected persons; every need accepted
    at the unit's highest level; for a long-term fostering plan, an approval to 17."""
    levels: dict[str, int] = {}
    for c in children:
        for need, level in c.needs.items():
            levels[need] = max(levels.get(need, 0), level)
    needs_met = all(household.will_consider.get(n, 0) >= lv for n, lv in levels.items())
    long_term = any(c.plan == "long_term_foster" for c in children)
    lasting = not long_term or household.approved_max_age >= 17
    return household.kind == "connected", needs_met, lasting


def check_allocation(
    units: Mapping[tuple[str, ...], str],
    children: Mapping[str, Child],
    households: Mapping[str, Household],
    apart_pairs: Iterable[tuple[str, str]],
    as_of: date,
) -> list[str]:
    """Problems with an allocation (unit -> household id); empty when it is valid.

    Checks every hard rule per unit, vacancies summed over the units sharing a
    household, and that no two children assessed apart share a household.
    """
    problems = []
    used: dict[str, int] = {}
    home_of: dict[str, str] = {}
    for unit, household_id in units.items():
        household = households[household_id]
        failed = failing_rules([children[c] for c in unit], household, as_of)
        if failed:
            problems.append(f"{unit} in {household_id} fails {sorted(failed)}")
        used[household_id] = used.get(household_id, 0) + len(unit)
        for child_id in unit:
            home_of[child_id] = household_id
    for household_id, count in used.items():
        if count > households[household_id].vacancies:
            problems.append(f"{household_id} holds {count} > {households[household_id].vacancies}")
    for a, b in apart_pairs:
        if a in home_of and home_of.get(a) == home_of.get(b):
            problems.append(f"{a} and {b} are assessed apart but share {home_of[a]}")
    return problems


# -- builders -----------------------------------------------------------------------


def make_child(**overrides: Any) -> Child:
    """A waiting 8-year-old on a long-term fostering plan, with nothing special."""
    values: dict[str, Any] = {
        "child_id": "C1",
        "first_name": "Sam",
        "date_of_birth": date(2018, 3, 1),
        "sex": "female",
        "ethnicity": "WBRI",
        "plan": "long_term_foster",
        "status": "waiting",
        "religion": "none",
        "languages": ("en",),
        "plan_date": date(2026, 1, 1),
        "home_lat": 54.77,
        "home_lon": -1.57,
    }
    values.update(overrides)
    return Child(**values)


def make_household(**overrides: Any) -> Household:
    """An available in-house long-term foster household taking ages 0-17, 2 places."""
    values: dict[str, Any] = {
        "household_id": "H1",
        "name": "The Testers",
        "kind": "foster",
        "term": "long",
        "provider": "in_house",
        "approved_min_age": 0,
        "approved_max_age": 17,
        "approved_places": 2,
        "max_sibling_group": 2,
        "vacancies": 2,
        "lat": 54.78,
        "lon": -1.56,
        "status": "available",
        "ethnicities": ("WBRI",),
        "religion": "none",
        "languages": ("en",),
        "approved_on": date(2022, 1, 1),
    }
    values.update(overrides)
    return Household(**values)
