"""Domain types: children, households, sibling links and an authority holding them.

These are built by `matching.csv_format` from the interchange format after
validation, so every value here is already known to be in its vocabulary. They are
frozen: a change to the data is a new import, never a mutation in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date


def age_on(date_of_birth: date, as_of: date) -> int:
    """Age in whole years on `as_of`; an unborn child (born after `as_of`) is 0."""
    if date_of_birth > as_of:
        return 0
    years = as_of.year - date_of_birth.year
    if (as_of.month, as_of.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


@dataclass(frozen=True)
class Child:
    child_id: str
    date_of_birth: date
    sex: str
    ethnicity: str
    plan: str
    status: str
    first_name: str = ""
    religion: str | None = None
    languages: tuple[str, ...] = ()
    legal_status: str | None = None
    entered_care_on: date | None = None
    plan_date: date | None = None
    home_lat: float | None = None
    home_lon: float | None = None
    school_lat: float | None = None
    school_lon: float | None = None
    family_time_max_km: float | None = None
    min_distance_km: float | None = None
    # need code -> level (1 additional, 2 complex)
    needs: Mapping[str, int] = field(default_factory=dict)
    requirements: frozenset[str] = frozenset()
    wishes: tuple[str, ...] = ()
    # the household a placed or matched child lives in (issue: siblings already placed)
    placed_with: str | None = None
    # date of the placement order (authority to place for adoption; SSDA903: first E1)
    placement_order_on: date | None = None
    # facts from the authority's records that are shown but not scored (vocab.FACT_KEYS):
    # the current placement, placement moves, previous permanence, a young mother, ...
    facts: Mapping[str, str] = field(default_factory=dict)

    def age_on(self, as_of: date) -> int:
        return age_on(self.date_of_birth, as_of)

    def is_unborn(self, as_of: date) -> bool:
        return self.date_of_birth > as_of


@dataclass(frozen=True)
class Household:
    household_id: str
    kind: str
    provider: str
    approved_min_age: int
    approved_max_age: int
    approved_places: int
    max_sibling_group: int
    vacancies: int
    lat: float
    lon: float
    status: str
    name: str = ""
    term: str | None = None
    weekly_cost: float | None = None
    skills: frozenset[str] = frozenset()
    # need code -> highest level the household will take on
    will_consider: Mapping[str, int] = field(default_factory=dict)
    will_not_consider: frozenset[str] = frozenset()
    children_in_home_ages: tuple[int, ...] = ()
    ethnicities: tuple[str, ...] = ()
    religion: str | None = None
    languages: tuple[str, ...] = ()
    # None: the register does not record it. Never assumed either way: a hard rule does
    # not exclude on an unknown, and the shortlist asks the question (scoring.py).
    smoker: bool | None = False
    pets: bool | None = False
    wheelchair_access: bool | None = False
    approved_on: date | None = None
    connected_child_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SiblingLink:
    child_a: str
    child_b: str
    relationship: str  # full | half | step
    assessment: str  # together | apart | pending
    assessed_on: date | None = None
    note: str = ""

    @property
    def pair(self) -> frozenset[str]:
        return frozenset((self.child_a, self.child_b))


@dataclass(frozen=True)
class Authority:
    """Everything one local authority holds: its children, its pool, the sibling links."""

    children: tuple[Child, ...] = ()
    households: tuple[Household, ...] = ()
    links: tuple[SiblingLink, ...] = ()

    def child(self, child_id: str) -> Child:
        for c in self.children:
            if c.child_id == child_id:
                return c
        from matching.errors import NotFoundError

        raise NotFoundError(f"no child with id {child_id!r}")
