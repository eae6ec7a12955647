"""What a shortlist, a matching round and a gap report produce, as frozen, versioned types.

    ShortlistDocument   one child's unit, its ranked and explained households
    RoundDocument       every waiting unit at once: placements, the unplaced and why
    GapDocument         the published (suppressed) needs-gap report: no child named

Each result crosses the rooms as one of these, never as a dict read by key: `matching`
and the services build them, `models` stores them (JSON columns) and reads them back
through them, `api` prints and serves them. `as_json()` is the JSON that the CLI prints
with `--json` and the API returns: the keys pinned in README.md plus `schema_version`.

`schema_version` is the shape of the stored JSON. Version 1 is the first typed shape,
identical to the untyped JSON stored before it plus the version itself; JSON stored
before (no `schema_version`, read as version 0) reads back through
`ShortlistDocument.from_stored` / `RoundDocument.from_stored`, which take what the
run's own columns hold (unit, date, policy version, ...) for any key it lacks. A
stored document keeps everything needed to show the result again as it was shown.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from matching.gaps import GapReport
    from matching.shortlist import ShortlistResult

SCHEMA_VERSION = 1

# A published count: a number, or "c" where small-number suppression hides it.
Cell = int | Literal["c"]


@contextmanager
def collection_paused() -> Iterator[None]:
    """Keep Python's cyclic garbage collector out of a burst of allocations: reading,
    building or writing a large document (a national round holds ~100,000 small models).

    The collector would otherwise run full passes again and again over the objects being
    made, none of which can be cyclic garbage (measured: reading a 40,000-unit round took
    1.5 s with it, 0.26 s without; benchmarks/results_bench.py). It is switched back on
    at the end, and left as it was if the caller had switched it off.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _absent_if_none(value: object) -> bool:
    return value is None


def _absent_if_empty(value: object) -> bool:
    return not value


def _omitted_when_empty() -> Any:
    """A list left out of the JSON when empty (documents stored before it existed had no
    such key, and read back unchanged)."""
    return Field(default=(), exclude_if=_absent_if_empty)


def _omitted_when_none() -> Any:
    """A field left out of the JSON when it is None (the untyped JSON had no such key)."""
    return Field(default=None, exclude_if=_absent_if_none)


class _Frozen(BaseModel):
    """An immutable part of a result; unknown keys are refused, not silently dropped."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class _Document(_Frozen):
    """A whole result: versioned, with its JSON form."""

    schema_version: int = Field(default=SCHEMA_VERSION, ge=0, le=SCHEMA_VERSION)

    def as_json(self) -> dict[str, Any]:
        """The result as JSON-ready values (dates as ISO text), as printed and served."""
        with collection_paused():
            return self.model_dump(mode="json")

    @classmethod
    def read(cls, data: Mapping[str, Any]) -> Self:
        """The document of JSON-ready `data` in the current shape (validated)."""
        with collection_paused():
            return cls.model_validate(data)


class PracticeWarning(_Frozen):
    """What a person must decide or know before a match: a code in
    `matching.labels.WARNING` and the reason in words. About a unit (`pending_assessment`,
    `sibling_reunification`, ...) or about one household for it (`kinship_age_range`,
    `approval_ends_before_18`, ...)."""

    code: str
    message: str


def _upgraded(data: Mapping[str, Any], columns: Mapping[str, Any]) -> dict[str, Any]:
    """Stored JSON in the current shape: a version-0 document (stored before results
    were typed) gets each key it lacks from its run's columns and is marked version 0."""
    if "schema_version" in data:
        return dict(data)
    return {**columns, **data, "schema_version": 0}


# ----------------------------------------------------------------------------- shortlist


class ScoreContribution(_Frozen):
    """One criterion's points towards a score, with the reason in words."""

    criterion: str
    points: float
    max_points: float
    reason: str


class TierStanding(_Frozen):
    """A policy tier for one household: met or not, and why (a rank above the score)."""

    tier: str
    met: bool
    reason: str


class ShortlistCandidate(_Frozen):
    """A household on a shortlist: rank, score, kinship, the score explained."""

    household_id: str
    rank: int
    score: float
    kinship: bool
    contributions: tuple[ScoreContribution, ...]
    questions: tuple[str, ...]
    name: str = ""  # the household's name ("" in runs stored before names were kept)
    # left out when empty (and in runs stored before tiers and household warnings)
    tiers: tuple[TierStanding, ...] = _omitted_when_empty()
    warnings: tuple[PracticeWarning, ...] = _omitted_when_empty()


class WhyNotAnswer(_Frozen):
    """Why a named household is not on the list: the hard rules it fails, or its rank."""

    household_id: str
    rules: tuple[str, ...]
    rank: int | None
    score: float | None


class ShortlistDocument(_Document):
    """The ranked, explained households for one child's unit, as shown and stored."""

    unit: tuple[str, ...]
    policy_version: str
    as_of: date
    candidates: tuple[ShortlistCandidate, ...]
    excluded_counts: dict[str, int]  # households left out, by hard rule
    why_not: WhyNotAnswer | None = _omitted_when_none()
    child_id: str
    n_feasible: int | None = _omitted_when_none()  # None: not recorded (version 0)
    households_in_pool: int | None = _omitted_when_none()  # None: not recorded
    inputs_fingerprint: str
    # the unit's practice warnings (left out of the JSON when there are none)
    warnings: tuple[PracticeWarning, ...] = _omitted_when_empty()

    @classmethod
    def from_result(
        cls,
        result: ShortlistResult,
        *,
        child_id: str,
        names: Mapping[str, str],
        households_in_pool: int,
        inputs_fingerprint: str,
    ) -> Self:
        """The document of the engine's shortlist; `names` maps household ids to names."""
        data = result.to_dict()
        for candidate in data["candidates"]:
            candidate["name"] = names[candidate["household_id"]]
        return cls.read(
            {
                **data,
                "child_id": child_id,
                "n_feasible": result.n_feasible,
                "households_in_pool": households_in_pool,
                "inputs_fingerprint": inputs_fingerprint,
            }
        )

    @classmethod
    def from_stored(
        cls,
        data: Mapping[str, Any],
        *,
        child_id: str,
        unit: tuple[str, ...] | list[str],
        as_of: date,
        policy_version: str,
        inputs_fingerprint: str,
    ) -> Self:
        """A stored shortlist, of any version, read back (see the module docstring)."""
        columns = {
            "child_id": child_id,
            "unit": list(unit),
            "as_of": as_of,
            "policy_version": policy_version,
            "inputs_fingerprint": inputs_fingerprint,
            "excluded_counts": {},
        }
        return cls.read(_upgraded(data, columns))

    def candidate(self, household_id: str) -> ShortlistCandidate | None:
        """The candidate `household_id`, if it is on this shortlist."""
        return next((c for c in self.candidates if c.household_id == household_id), None)


# ----------------------------------------------------------------------------- round


class RoundCandidate(_Frozen):
    """A household a round gives a unit (or lists for it), with the pair's score, the
    policy tiers it meets for the unit (`matching.tiers`: why it came before others
    whatever their scores) and what a person must decide about it."""

    household_id: str
    score: float
    # left out when empty (and in rounds stored before tiers and household warnings)
    tiers: tuple[str, ...] = _omitted_when_empty()
    warnings: tuple[PracticeWarning, ...] = _omitted_when_empty()


class RoundUnit(_Frozen):
    """A waiting unit of a round: its children, priority and households (best first)."""

    children: tuple[str, ...]
    priority: float
    candidates: tuple[RoundCandidate, ...]
    warnings: tuple[PracticeWarning, ...] = _omitted_when_empty()


class TakenHousehold(_Frozen):
    """A household that could have taken an unplaced unit, and the units that took it."""

    household_id: str
    taken_by: tuple[tuple[str, ...], ...]


class UnplacedUnit(_Frozen):
    """A unit left without a household: the reason code and the reasons in words, with
    the counts by hard rule (no household feasible) or the households others took."""

    children: tuple[str, ...]
    reason: str
    excluded_counts: dict[str, int] | None = _omitted_when_none()
    households_passing_hard_rules: int | None = _omitted_when_none()
    # no household feasible: how many fail only for want of room (a vacancy would do)
    households_needing_room: int | None = _omitted_when_none()
    feasible_households: tuple[TakenHousehold, ...] | None = _omitted_when_none()
    reasons: tuple[str, ...]
    warnings: tuple[PracticeWarning, ...] = _omitted_when_empty()


class SiblingContactPair(_Frozen):
    """Two sibling units placed in different households, and how far apart those are."""

    children_a: tuple[str, ...]
    children_b: tuple[str, ...]
    household_a: str
    household_b: str
    distance_km: float
    within_km: bool


class SkippedUnits(_Frozen):
    """Units left out of a round, counted by why: not waiting, a plan that is not
    family-found, or held by an open proposal (proposed and not yet withdrawn or
    declined: not offered again, as a household with no vacancy is not)."""

    units: int
    children: int
    units_not_waiting: int
    units_plan_not_family_found: int
    not_family_found_plans: tuple[str, ...]
    # absent from rounds stored before proposals held children out of rounds
    units_held_by_proposals: int | None = _omitted_when_none()
    children_held_by_proposals: int | None = _omitted_when_none()


class RoundDocument(_Document):
    """A matching round as stored and shown: the solver's outcome in ids and words.

    `params` is the round's parameters as `dataclasses.asdict(RoundParams)`, so that
    `RoundParams(**params)` gives them back whatever fields the engine adds.
    """

    mode: Literal["allocate", "shortlist"]
    solver: str
    status: str
    objective: float
    best_bound: float
    gap: float
    wall_s: float
    as_of: date
    policy_version: str
    seed: int
    params: dict[str, Any]
    units_waiting: int
    children_waiting: int
    units_covered: int
    coverage_bound: int
    children_placed: int
    units: tuple[RoundUnit, ...]
    unplaced: tuple[UnplacedUnit, ...]
    sibling_contact: tuple[SiblingContactPair, ...]
    sibling_contact_km: float
    skipped_units: SkippedUnits
    households_in_pool: int
    feasible_pairs: int
    inputs_fingerprint: str

    @classmethod
    def from_stored(
        cls,
        data: Mapping[str, Any],
        *,
        mode: str,
        as_of: date,
        policy_version: str,
        inputs_fingerprint: str,
        seed: int,
        params: Mapping[str, Any],
        status: str,
        solver: str,
    ) -> Self:
        """A stored round, of any version, read back (see the module docstring)."""
        columns = {
            "mode": mode,
            "as_of": as_of,
            "policy_version": policy_version,
            "inputs_fingerprint": inputs_fingerprint,
            "seed": seed,
            "params": dict(params),
            "status": status,
            "solver": solver,
        }
        return cls.read(_upgraded(data, columns))

    def placed_units(self) -> tuple[RoundUnit, ...]:
        """The units given a household (or, in shortlist mode, a list of households)."""
        return tuple(u for u in self.units if u.candidates)

    def unit_of(self, child_id: str) -> RoundUnit | None:
        """The unit `child_id` belongs to in this round, if it took part."""
        return next((u for u in self.units if child_id in u.children), None)


# ----------------------------------------------------------------------------- gaps


class UnitProfileView(_Frozen):
    """A coarse profile of waiting units (no child named)."""

    plan: str
    age_band: str
    size_band: str
    need_level: str
    key_needs: tuple[str, ...]
    label: str


class ProfileCounts(_Frozen):
    """The waiting and unplaceable units and children of one profile, and its supply."""

    profile: UnitProfileView
    waiting_units: Cell
    waiting_children: Cell
    units_unplaceable: Cell
    children_unplaceable: Cell
    feasible_households: Cell
    vacancies_in_feasible_households: Cell
    waiting: Cell  # = waiting_children: the short names the published format pins
    unplaceable: Cell  # = children_unplaceable
    # the profile's share of the best allocation (None: published before it was counted)
    children_placed: Cell | None = _omitted_when_none()


class HouseholdProfileView(_Frozen):
    """A coarse profile of households of the pool."""

    kind: str
    age_bands: tuple[str, ...]
    places_band: str
    skills: tuple[str, ...]
    label: str


class SupplyCounts(_Frozen):
    profile: HouseholdProfileView
    households: Cell
    vacancies: Cell


class SupplyTotals(_Frozen):
    households: Cell
    vacancies: Cell


class TargetArea(_Frozen):
    lat: float
    lon: float
    radius_km: float
    # the area in words, never coordinates, for pages and spreadsheets (None: published
    # before areas were named)
    area: str | None = _omitted_when_none()


class TargetProfile(_Frozen):
    """A household profile to recruit (no child is named in it)."""

    kind: str
    ages: str
    places: int
    skills: tuple[str, ...]
    wheelchair_access: bool
    near: TargetArea | None
    label: str
    # who several places are for: single_child, sibling_group, unrelated_children or
    # sibling_group_or_unrelated (matching.gaps.targets); None in reports stored before
    for_whom: str | None = None


class RecruitmentTarget(_Frozen):
    profile: TargetProfile
    households_needed: Cell
    children_placed: Cell
    verified: bool
    # the households to recruit banded ("about 5"; `matching.gaps.suppression`) where a
    # suppressed count would read "c" (None: exact, or published before bands)
    households_band: str | None = _omitted_when_none()


class RecruitmentTotals(_Frozen):
    households_needed: Cell
    children_placed: Cell


class ClosestSupply(_Frozen):
    profile: HouseholdProfileView
    households: Cell


class Persona(_Frozen):
    """A kind of unplaceable unit, described in words, with the nearest supply."""

    title: str
    description: str
    units: Cell
    children: Cell
    needs: tuple[str, ...]
    age_band: str
    typical_size: int
    plan: str
    closest_household_profiles: tuple[ClosestSupply, ...]


class WhatIfAnswer(_Frozen):
    """How many children the pool could place with the what-if households added."""

    added: tuple[str, ...]
    households_added: int
    children_placeable: Cell
    exact: bool


class GapDocument(_Document):
    """The published needs-gap report: profiles and counts only, small counts as "c".

    `method` says how each figure was computed (engine, sizes, exactness): free text
    and numbers for the reader, not read by the code.
    """

    as_of: date
    policy_version: str
    suppressed: bool
    children_waiting: Cell
    units_waiting: Cell
    children_placeable: Cell
    children_unplaceable: Cell
    units_unplaceable: Cell
    placeable_exact: bool
    by_profile: tuple[ProfileCounts, ...]
    supply: tuple[SupplyCounts, ...]
    supply_totals: SupplyTotals
    recruitment_targets: tuple[RecruitmentTarget, ...]
    recruitment_totals: RecruitmentTotals
    children_placeable_with_targets: Cell
    personas: tuple[Persona, ...]
    method: dict[str, Any]
    notes: tuple[str, ...]
    children_placeable_upper_bound: Cell | None = _omitted_when_none()
    what_if: WhatIfAnswer | None = _omitted_when_none()

    @classmethod
    def from_report(cls, report: GapReport) -> Self:
        """The published view of `report` (suppressed as the report says)."""
        return cls.read(report.to_dict())
