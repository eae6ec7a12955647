"""Coarse, stable profiles of children's units and of households, for recruitment.

A unit profile: the plan, the age band of the oldest child (0-4 / 5-9 / 10-15 / 16+),
the group size (1 / 2 / 3+), the highest need level (none / additional / complex) and
the key need codes present at or above the key level. A household profile: kind and
term, the age bands its approval covers, places (1 / 2 / 3+, the smaller of approved
places and largest sibling group) and its skills among the key needs.

Profiles are deliberately coarse: they are what a recruitment campaign can target and
what can be published without identifying a child.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from functools import lru_cache
from operator import attrgetter
from typing import Any

from matching.domain import Child, Household, age_on
from matching.vocab import NEED_CODES, NEED_LEVELS, PLANS

_BY_ID = attrgetter("child_id")  # sort key: children by id


@dataclass(frozen=True)
class ProfileSettings:
    """How coarse the profiles are. Defaults; a policy `[profiles]` section overrides them."""

    # lower bounds of the age bands (years); the last band is open ("16+")
    age_bands: tuple[int, ...] = (0, 5, 10, 16)
    # largest group size with its own band; bigger groups share the last one ("3+")
    max_size_band: int = 3
    # need codes that define a profile (and a recruited household's skills)
    key_needs: tuple[str, ...] = (
        "emotional_behavioural",
        "harmful_sexual_behaviour",
        "autism",
        "learning_disability",
        "physical_disability",
        "complex_health",
    )
    # a need counts as key from this level (1 additional, 2 complex)
    key_need_min_level: int = 1
    # recruitment targets: radius around the family-time area, and the grid (degrees)
    # that groups family-time areas into one campaign area
    target_radius_km: float = 25.0
    area_grid_degrees: float = 0.5
    # most places a recruited household is assumed to offer
    max_target_places: int = 3

    def __post_init__(self) -> None:
        if (
            not self.age_bands
            or self.age_bands[0] != 0
            or list(self.age_bands) != sorted(set(self.age_bands))
        ):
            raise ValueError("profiles.age_bands must start at 0 and increase")
        if self.max_size_band < 1 or self.max_target_places < 1:
            raise ValueError("profiles.max_size_band and max_target_places must be >= 1")
        unknown = set(self.key_needs) - set(NEED_CODES)
        if unknown:
            raise ValueError(f"profiles.key_needs: unknown need code(s) {sorted(unknown)}")
        if self.key_need_min_level not in NEED_LEVELS:
            raise ValueError("profiles.key_need_min_level must be 1 or 2")

    @classmethod
    def from_policy(cls, policy: Any) -> ProfileSettings:
        """Settings from a policy's `profiles` section (attribute or mapping), else defaults."""
        section = getattr(policy, "profiles", None)
        if section is None and isinstance(policy, Mapping):
            section = policy.get("profiles")
        if section is None:
            return cls()
        if isinstance(section, ProfileSettings):
            return section
        values = section if isinstance(section, Mapping) else section.model_dump()
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in known
        }
        return cls(**kwargs)

    def age_band(self, age: int) -> str:
        """Label of the band holding `age`, e.g. "10-15" or "16+"."""
        # the last band starting at or below `age` (the first band for a negative age)
        return _bands(tuple(self.age_bands)).labels[max(bisect_right(self.age_bands, age) - 1, 0)]

    def band_range(self, label: str) -> tuple[int, int]:
        """The whole years a band label covers (the open band ends at 17)."""
        try:
            return _bands(tuple(self.age_bands)).ranges[label]
        except KeyError:
            raise ValueError(f"unknown age band {label!r}") from None

    def age_band_bounds(self, age: int) -> tuple[int, int]:
        """`band_range(age_band(age))`: the whole years of the band holding `age`."""
        bands = tuple(self.age_bands)
        return _bands(bands).bounds[max(bisect_right(bands, age) - 1, 0)]

    def age_band_labels(self) -> list[str]:
        return list(_bands(tuple(self.age_bands)).labels)

    def size_band(self, size: int) -> str:
        return str(size) if size < self.max_size_band else f"{self.max_size_band}+"


@dataclass(frozen=True)
class _Bands:
    labels: tuple[str, ...]
    bounds: tuple[tuple[int, int], ...]  # (lowest, highest) whole years of each band
    ranges: dict[str, tuple[int, int]]  # label -> its bounds


@lru_cache(maxsize=16)
def _bands(bands: tuple[int, ...]) -> _Bands:
    """The labels and year ranges of the age bands, built once per band list: profiles
    look them up for every unit and household (hundreds of thousands of times)."""
    labels = tuple(_band_label(bands, i) for i in range(len(bands)))
    bounds = tuple(
        (low, bands[i + 1] - 1 if i + 1 < len(bands) else 17) for i, low in enumerate(bands)
    )
    ranges: dict[str, tuple[int, int]] = {}
    for label, bound in zip(labels, bounds, strict=True):
        ranges.setdefault(label, bound)
    return _Bands(labels, bounds, ranges)


def _band_label(bands: Sequence[int], i: int) -> str:
    if i + 1 < len(bands):
        return f"{bands[i]}-{bands[i + 1] - 1}"
    return f"{bands[i]}+"


NEED_LEVEL_NAMES = ("none", "additional", "complex")


@dataclass(frozen=True, order=True)
class UnitProfile:
    """The coarse profile of a waiting unit (one child or a sibling group)."""

    plan: str
    age_band: str
    size_band: str
    need_level: str
    key_needs: tuple[str, ...]

    def sort_key(self) -> tuple[int, int, str, int, tuple[str, ...]]:
        plan_rank = PLANS.index(self.plan) if self.plan in PLANS else len(PLANS)
        return (
            plan_rank,
            int(self.age_band.split("-")[0].rstrip("+")),
            self.size_band,
            NEED_LEVEL_NAMES.index(self.need_level),
            self.key_needs,
        )

    def label(self) -> str:
        size = "single child" if self.size_band == "1" else f"group of {self.size_band}"
        needs = f" ({', '.join(self.key_needs)})" if self.key_needs else ""
        return (
            f"{self.plan.replace('_', ' ')}, aged {self.age_band}, {size}, "
            f"{'no identified' if self.need_level == 'none' else self.need_level} needs{needs}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "age_band": self.age_band,
            "size_band": self.size_band,
            "need_level": self.need_level,
            "key_needs": list(self.key_needs),
            "label": self.label(),
        }


def unit_profile(children: Sequence[Child], as_of: date, settings: ProfileSettings) -> UnitProfile:
    """The profile of a unit: the oldest child's age band, its size, its highest need level."""
    return unit_profiles([children], as_of, settings)[0]


def unit_profiles(
    units: Sequence[Sequence[Child]], as_of: date, settings: ProfileSettings
) -> tuple[UnitProfile, ...]:
    """The profile of each unit (see `unit_profile`).

    At national scale there are tens of thousands of units but only hundreds of
    profiles: each unit is reduced to the few facts its profile depends on, and the
    profile is built once per distinct facts.
    """
    made: dict[tuple[Any, ...], UnitProfile] = {}
    out: list[UnitProfile] = []
    for children in units:
        facts = _unit_facts(children, as_of, settings)
        profile = made.get(facts)
        if profile is None:
            plan, oldest, size, level, key = facts
            profile = made[facts] = UnitProfile(
                plan=plan,
                age_band=settings.age_band(oldest),
                size_band=settings.size_band(size),
                need_level=NEED_LEVEL_NAMES[min(level, 2)],
                key_needs=tuple(sorted(key)),
            )
        out.append(profile)
    return tuple(out)


def _unit_facts(
    children: Sequence[Child], as_of: date, settings: ProfileSettings
) -> tuple[str, int, int, int, frozenset[str]]:
    """(plan, oldest age, size, highest need level, key need codes) of one unit."""
    if len(children) == 1:  # most units: no groupwise minimum or maximum to take
        (child,) = children
        born, plan, needs = child.date_of_birth, child.plan, list(child.needs.items())
    elif not children:
        raise ValueError("a unit has at least one child")
    else:
        # the oldest child is the one born first: age never increases with the birth date
        born = min(c.date_of_birth for c in children)
        # siblings share a plan; if a record disagrees, the first child's (by id) is used
        plan = min(children, key=_BY_ID).plan
        needs = [item for c in children for item in c.needs.items()]
    level = max((lvl for _, lvl in needs), default=0)
    floor = settings.key_need_min_level
    key = frozenset(code for code, lvl in needs if lvl >= floor and code in settings.key_needs)
    return plan, age_on(born, as_of), len(children), level, key


@dataclass(frozen=True, order=True)
class HouseholdProfile:
    """The coarse profile of a household in the pool."""

    kind: str  # "foster/long", "adopter", "ffa", "connected", "residential"
    age_bands: tuple[str, ...]
    places_band: str
    skills: tuple[str, ...]

    def label(self) -> str:
        ages = ", ".join(self.age_bands)
        skills = f", skills: {', '.join(self.skills)}" if self.skills else ""
        return f"{self.kind} for ages {ages}, {self.places_band} place(s){skills}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "age_bands": list(self.age_bands),
            "places_band": self.places_band,
            "skills": list(self.skills),
            "label": self.label(),
        }


def kind_label(kind: str, term: str | None) -> str:
    return f"{kind}/{term}" if kind == "foster" and term else kind


def household_profile(household: Household, settings: ProfileSettings) -> HouseholdProfile:
    """The profile of a household: kind and term, age bands approved, places, key skills."""
    return household_profiles([household], settings)[0]


def household_profiles(
    households: Sequence[Household], settings: ProfileSettings
) -> list[HouseholdProfile]:
    """The profile of each household (see `household_profile`), built once per distinct
    facts it depends on: a national pool has tens of thousands of households but few
    profiles."""
    key_needs = frozenset(settings.key_needs)
    made: dict[tuple[Any, ...], HouseholdProfile] = {}
    out: list[HouseholdProfile] = []
    for h in households:
        places = min(h.approved_places, h.max_sibling_group)
        facts = (
            h.kind,
            h.term,
            h.approved_min_age,
            h.approved_max_age,
            places,
            key_needs.intersection(h.skills),
        )
        profile = made.get(facts)
        if profile is None:
            bands = tuple(
                label
                for label in settings.age_band_labels()
                if settings.band_range(label)[0] <= h.approved_max_age
                and settings.band_range(label)[1] >= h.approved_min_age
            )
            profile = made[facts] = HouseholdProfile(
                kind=kind_label(h.kind, h.term),
                age_bands=bands,
                places_band=settings.size_band(max(places, 1)),
                skills=tuple(sorted(facts[-1])),
            )
        out.append(profile)
    return out
