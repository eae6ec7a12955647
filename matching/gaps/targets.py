"""Recruitment targets and what-if households.

A *target profile* is a household a recruitment campaign can look for: kind (and term),
an approved age range, places, skills, and optionally an area (a point and a radius).
`derive_targets` finds, for the units no allocation of today's pool can place, the
fewest such profiles and households that would take them; `materialise` turns a profile
into hypothetical `Household` objects so the claim can be checked by re-running the
hard rules and the placeable computation.

What-if additions use a small grammar (`parse_add_spec`)::

    kind=foster,term=long,ages=10-15,places=3,skills=emotional_behavioural;autism,count=2
    kind=adopter,ages=0-4,places=2,count=1,near=54.77:-1.57,radius=25

Keys (comma-separated ``key=value``; order free; each at most once):

* ``kind`` (required): foster, adopter, ffa, residential (connected households are
  assessed for named children and cannot be hypothesised).
* ``term``: short, long or both; required for foster, not allowed otherwise.
* ``ages`` (required): ``MIN-MAX`` whole years 0-17, MIN <= MAX.
* ``places``: 1-10 (default 1): approved places, largest sibling group and vacancies.
* ``skills``: ``;``-separated skill codes (the need codes, therapeutic,
  parent_and_child); the household also says it will consider each such need at the
  complex level.
* ``count``: 1-1000 (default 1): how many such households.
* ``near``: ``LAT:LON`` in degrees; ``radius``: km (default 25, needs ``near``). Without
  ``near`` the households are placed at the centre of the current pool.
"""

from __future__ import annotations

import math
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from matching.domain import Child, Household, age_on
from matching.errors import Problem, ValidationError
from matching.gaps.profiles import ProfileSettings, kind_label
from matching.geo import haversine_km
from matching.vocab import FOSTER_TERMS, NEED_CODES, SKILL_CODES

# The household kind (and foster term) that serves each plan with the fewest approvals.
PLAN_HOUSEHOLD: dict[str, tuple[str, str | None]] = {
    "adoption": ("adopter", None),
    "ffa": ("ffa", None),
    "long_term_foster": ("foster", "long"),
    "residential": ("residential", None),
    "kinship": ("connected", None),
    "sgo": ("connected", None),
    "cao": ("connected", None),
}
HYPOTHETICAL_KINDS = frozenset({"foster", "adopter", "ffa", "residential"})
KM_PER_DEGREE_LAT = 111.195

_BY_ID = attrgetter("child_id")  # sort key: children by id


class AddSpecError(ValidationError):
    """A what-if household specification that does not follow the grammar."""

    def __init__(self, text: str, key: str, reason: str) -> None:
        super().__init__([Problem("--add", 0, key, f"{reason} (in {text!r})")])


@dataclass(frozen=True)
class AddSpec:
    """Hypothetical households of one profile (see the module docstring for the grammar)."""

    kind: str
    min_age: int
    max_age: int
    term: str | None = None
    places: int = 1
    skills: tuple[str, ...] = ()
    count: int = 1
    near: tuple[float, float] | None = None
    radius_km: float = 25.0

    def describe(self) -> str:
        parts = [f"kind={self.kind}"]
        if self.term:
            parts.append(f"term={self.term}")
        parts += [f"ages={self.min_age}-{self.max_age}", f"places={self.places}"]
        if self.skills:
            parts.append("skills=" + ";".join(self.skills))
        parts.append(f"count={self.count}")
        if self.near is not None:
            parts.append(f"near={self.near[0]:g}:{self.near[1]:g}")
            parts.append(f"radius={self.radius_km:g}")
        return ",".join(parts)


def _int(text: str, key: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise AddSpecError(text, key, f"{key} must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise AddSpecError(text, key, f"{key} must be between {low} and {high}, got {number}")
    return number


def parse_add_spec(text: str) -> AddSpec:
    """Parse a what-if household specification; `AddSpecError` names the key at fault."""
    values: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise AddSpecError(text, part, f"expected key=value, got {part!r}")
        if key in values:
            raise AddSpecError(text, key, f"{key} given twice")
        values[key] = value
    allowed = {"kind", "term", "ages", "places", "skills", "count", "near", "radius"}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise AddSpecError(
            text, unknown[0], f"unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}"
        )
    kind = values.get("kind")
    if not kind:
        raise AddSpecError(text, "kind", "kind is required")
    if kind not in HYPOTHETICAL_KINDS:
        raise AddSpecError(
            text, "kind", f"kind must be one of {', '.join(sorted(HYPOTHETICAL_KINDS))}"
        )
    term = values.get("term") or None
    if kind == "foster" and term not in FOSTER_TERMS:
        raise AddSpecError(text, "term", "a foster household needs term=short, long or both")
    if kind != "foster" and term is not None:
        raise AddSpecError(text, "term", f"term applies only to foster households, not {kind}")
    ages = values.get("ages")
    if not ages:
        raise AddSpecError(text, "ages", "ages=MIN-MAX is required")
    low_text, dash, high_text = ages.partition("-")
    if not dash:
        raise AddSpecError(text, "ages", f"ages must be MIN-MAX, got {ages!r}")
    min_age = _int(text, "ages", low_text.strip(), 0, 17)
    max_age = _int(text, "ages", high_text.strip(), 0, 17)
    if min_age > max_age:
        raise AddSpecError(text, "ages", f"ages {min_age}-{max_age} is upside down")
    places = _int(text, "places", values["places"], 1, 10) if "places" in values else 1
    count = _int(text, "count", values["count"], 1, 1000) if "count" in values else 1
    skills = tuple(s.strip() for s in values.get("skills", "").split(";") if s.strip())
    bad = [s for s in skills if s not in SKILL_CODES]
    if bad:
        raise AddSpecError(text, "skills", f"unknown skill code {bad[0]!r}")
    near = None
    if "near" in values:
        lat_text, colon, lon_text = values["near"].partition(":")
        try:
            lat, lon = float(lat_text), float(lon_text)
        except ValueError:
            lat = lon = math.nan
        if not colon or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise AddSpecError(
                text, "near", f"near must be LAT:LON in degrees, got {values['near']!r}"
            )
        near = (lat, lon)
    radius = 25.0
    if "radius" in values:
        if near is None:
            raise AddSpecError(text, "radius", "radius needs near=LAT:LON")
        try:
            radius = float(values["radius"])
        except ValueError:
            radius = math.nan
        if not radius > 0:
            raise AddSpecError(
                text, "radius", f"radius must be a positive number of km, got {values['radius']!r}"
            )
    return AddSpec(
        kind=kind,
        term=term,
        min_age=min_age,
        max_age=max_age,
        places=places,
        skills=tuple(sorted(set(skills))),
        count=count,
        near=near,
        radius_km=radius,
    )


def materialise_spec(
    spec: AddSpec, *, prefix: str, as_of: date, default_location: tuple[float, float]
) -> list[Household]:
    """Hypothetical households for a what-if specification (no child is named in them)."""
    lat, lon = spec.near if spec.near is not None else default_location
    return [
        Household(
            household_id=f"{prefix}-{i + 1:04d}",
            name="hypothetical household",
            kind=spec.kind,
            term=spec.term,
            provider="in_house",
            approved_min_age=spec.min_age,
            approved_max_age=spec.max_age,
            approved_places=spec.places,
            max_sibling_group=spec.places,
            vacancies=spec.places,
            lat=lat,
            lon=lon,
            status="available",
            skills=frozenset(spec.skills),
            will_consider={s: 2 for s in spec.skills if s in NEED_CODES},
            approved_on=as_of,
        )
        for i in range(spec.count)
    ]


# ------------------------------------------------------------------ recruitment targets


@dataclass(frozen=True)
class _Need:
    """The smallest recruitable household that would take one unplaceable unit."""

    unit: int
    size: int
    kind: str
    term: str | None
    min_age: int
    max_age: int
    key_skills: frozenset[str]
    wheelchair: bool
    area: tuple[float, float] | None  # grid-cell centre of the family-time area
    home: tuple[float, float] | None
    min_distance_km: float
    children: tuple[Child, ...]


@dataclass
class TargetHousehold:
    """One household to recruit, with the units it is meant to take."""

    units: list[int] = field(default_factory=list)
    needs: list[_Need] = field(default_factory=list)
    location: tuple[float, float] | None = None

    @property
    def children(self) -> int:
        return sum(n.size for n in self.needs)


@dataclass
class Target:
    """A recruitable profile and the households of it to recruit."""

    kind: str
    term: str | None
    min_age: int
    max_age: int
    places: int
    skills: tuple[str, ...]
    wheelchair_access: bool
    area: tuple[float, float] | None
    radius_km: float
    households: list[TargetHousehold]
    children_placed: int = 0  # verified: set after re-running the placeable computation
    verified: bool = False

    @property
    def households_needed(self) -> int:
        return len(self.households)

    @property
    def for_whom(self) -> str:
        """Who the places are for: `single_child`, `sibling_group` (every household takes
        one group), `unrelated_children` (several units share a household) or
        `sibling_group_or_unrelated` (some of each)."""
        if self.places == 1:
            return "single_child"
        shared = any(len(h.units) > 1 for h in self.households)
        group = any(len(h.units) == 1 and h.children > 1 for h in self.households)
        if shared and group:
            return "sibling_group_or_unrelated"
        return "unrelated_children" if shared else "sibling_group"

    @property
    def children_claimed(self) -> int:
        return sum(h.children for h in self.households)

    def profile(self, centre: tuple[float, float] | None = None) -> dict[str, Any]:
        """The recruitable profile (no child is named in it); its area is named in words
        from `centre`, the centre of the authority's pool of carers."""
        area = None if self.area is None else area_words(self.area, self.radius_km, centre)
        return {
            "kind": kind_label(self.kind, self.term),
            "ages": f"{self.min_age}-{self.max_age}",
            "places": self.places,
            "for_whom": self.for_whom,
            "skills": list(self.skills),
            "wheelchair_access": self.wheelchair_access,
            "near": None
            if self.area is None
            else {
                "lat": round(self.area[0], 2),
                "lon": round(self.area[1], 2),
                "radius_km": self.radius_km,
                "area": area,
            },
            "label": self.label(area),
        }

    def label(self, area: str | None = None) -> str:
        if self.kind == "connected":
            return (
                "connected persons (family and friends) to assess for the named children "
                f"aged {self.min_age}-{self.max_age}, up to {self.places} child(ren) each"
            )
        term = {"long": "long-term ", "short": "short-term ", "both": ""}.get(self.term or "", "")
        noun = {
            "foster": f"{term}foster carers",
            "adopter": "adopters",
            "ffa": "fostering-for-adoption carers (dual approved)",
            "residential": "residential places",
        }[self.kind]
        group = {
            "single_child": "a single child",
            "sibling_group": f"sibling groups of {self.places}",
            "unrelated_children": f"up to {self.places} unrelated children",
            "sibling_group_or_unrelated": (
                f"up to {self.places} children (a sibling group or unrelated children)"
            ),
        }[self.for_whom]
        text = f"{noun} approved for ages {self.min_age}-{self.max_age}, {group}"
        if self.skills:
            text += f", with {', '.join(s.replace('_', ' ') for s in self.skills)} skills"
        if self.wheelchair_access:
            text += ", wheelchair accessible"
        if self.area is not None:
            text += f", {area or f'within {self.radius_km:g} km of the family-time area'}"
        return text


COMPASS = (
    "north",
    "north-east",
    "east",
    "south-east",
    "south",
    "south-west",
    "west",
    "north-west",
)
# Closer than this to the centre, an area is "within R km of the authority's centre".
CENTRE_KM = 5.0


def area_words(
    point: tuple[float, float], radius_km: float, centre: tuple[float, float] | None
) -> str:
    """Where a target's households should live, in words a recruitment team can use and
    without coordinates (a family-time area is near a child's home): "within 25 km of
    the authority's centre" or "within 25 km of a point about 12 km north-east of the
    authority's centre" (the centre: of its pool of carers). Without a centre: "within
    25 km of the children's family-time area"."""
    if centre is None:
        return f"within {radius_km:g} km of the children's family-time area"
    distance = float(haversine_km(centre[0], centre[1], point[0], point[1]))
    if distance < CENTRE_KM:
        return f"within {radius_km:g} km of the authority's centre"
    north = point[0] - centre[0]
    east = (point[1] - centre[1]) * math.cos(math.radians(centre[0]))
    bearing = math.degrees(math.atan2(east, north)) % 360
    direction = COMPASS[round(bearing / 45) % 8]
    return (
        f"within {radius_km:g} km of a point about {round(distance):d} km {direction} of "
        "the authority's centre"
    )


def _grid(lat: float, lon: float, step: float) -> tuple[float, float]:
    return (
        (math.floor(lat / step) + 0.5) * step,
        (math.floor(lon / step) + 0.5) * step,
    )


def _home(children: Sequence[Child]) -> tuple[float, float] | None:
    by_id = sorted(children, key=_BY_ID)
    for c in by_id:
        if c.home_lat is not None and c.home_lon is not None:
            return (c.home_lat, c.home_lon)
    for c in by_id:
        if c.school_lat is not None and c.school_lon is not None:
            return (c.school_lat, c.school_lon)
    return None


def unit_need(
    unit: int, children: Sequence[Child], as_of: date, settings: ProfileSettings
) -> _Need:
    """The minimal recruitable household profile for one unit."""
    plan = min(children, key=_BY_ID).plan
    kind, term = PLAN_HOUSEHOLD.get(plan, ("foster", "long"))
    # the youngest child is the one born last, the oldest the one born first
    births = [c.date_of_birth for c in children]
    low = settings.age_band_bounds(age_on(max(births), as_of))[0]
    high = settings.age_band_bounds(age_on(min(births), as_of))[1]
    home = _home(children)
    key_needs, floor = settings.key_needs, settings.key_need_min_level
    return _Need(
        unit=unit,
        size=len(children),
        kind=kind,
        term=term,
        min_age=low,
        max_age=high,
        key_skills=frozenset(
            code
            for c in children
            for code, lvl in c.needs.items()
            if code in key_needs and lvl >= floor
        ),
        wheelchair=any("wheelchair_access" in c.requirements for c in children),
        area=None if home is None else _grid(*home, settings.area_grid_degrees),
        home=home,
        min_distance_km=max((c.min_distance_km or 0.0) for c in children),
        children=tuple(children),
    )


def _covers(target: _Need, need: _Need) -> bool:
    """A household recruited for `target` would also serve `need` (same campaign)."""
    return (
        target.kind == need.kind
        and target.term == need.term
        and target.area == need.area
        and target.min_age <= need.min_age
        and target.max_age >= need.max_age
        and target.key_skills >= need.key_skills
        and (target.wheelchair or not need.wheelchair)
    )


def _cover_matrix(needs: Sequence[_Need]) -> npt.NDArray[np.bool_]:
    """`_covers(a, b)` for every pair of `needs` (rows a, columns b), in numpy: the
    candidates can number in the thousands at national scale."""
    campaign: dict[tuple[Any, ...], int] = {}
    codes = np.array(
        [campaign.setdefault((n.kind, n.term, n.area), len(campaign)) for n in needs],
        dtype=np.int64,
    )
    names = sorted({s for n in needs for s in n.key_skills})
    has = np.array([[s in n.key_skills for s in names] for n in needs], dtype=bool)
    has = has.reshape(len(needs), len(names))
    low = np.array([n.min_age for n in needs], dtype=np.int64)
    high = np.array([n.max_age for n in needs], dtype=np.int64)
    wheelchair = np.array([n.wheelchair for n in needs], dtype=bool)
    lacks = (~has).astype(np.int64) @ has.T.astype(np.int64)  # [a, b]: b's skills a lacks
    covers: npt.NDArray[np.bool_] = (
        (codes[:, None] == codes[None, :])
        & (low[:, None] <= low[None, :])
        & (high[:, None] >= high[None, :])
        & (lacks == 0)
        & (wheelchair[:, None] | ~wheelchair[None, :])
    )
    return covers


def _location_for(needs: Sequence[_Need], fallback: tuple[float, float]) -> tuple[float, float]:
    """A point near the first unit's family-time area but outside every safeguarding distance.

    The point is due north of the first home, just beyond the largest safeguarding
    distance (2 km from home when there is none)."""
    home = needs[0].home
    if home is None:
        return fallback
    step = max(n.min_distance_km for n in needs) + 2.0
    return (min(home[0] + step / KM_PER_DEGREE_LAT, 89.9), home[1])


def _fits_together(needs: Sequence[_Need], location: tuple[float, float]) -> bool:
    for n in needs:
        if (
            n.home is not None
            and n.min_distance_km > 0
            and haversine_km(n.home[0], n.home[1], location[0], location[1]) < n.min_distance_km
        ):
            return False
    return True


def derive_targets(
    needs: Sequence[_Need],
    settings: ProfileSettings,
    *,
    apart: Container[tuple[int, int]] = frozenset(),
    one_unit_kinds: frozenset[str] = frozenset(),
    fallback_location: tuple[float, float] = (0.0, 0.0),
) -> list[Target]:
    """The fewest recruitable profiles (greedy set cover) and households that take `needs`.

    Each unit's minimal profile is a candidate; the candidate covering the most uncovered
    units is chosen until all are covered (the greedy set-cover heuristic, within a
    factor ln(n) of the fewest profiles). Within a profile, units are packed into
    households first-fit by size, up to `settings.max_target_places` children each (one
    household per unit when it needs more), never putting two units in one household
    that `apart` keeps apart (siblings assessed apart, children whom the co-placement
    rules keep apart) or whose safeguarding distances cannot both be met, and never two
    units in a household of a kind in `one_unit_kinds` (adopters, FfA carers).
    """

    # Whether one need's minimal profile covers another's depends only on the fields of
    # this key, so the cover is computed once per pair of distinct keys and the greedy
    # counts uncovered units per key (same choices as counting unit by unit).
    def key_of(n: _Need) -> tuple[Any, ...]:
        return (
            n.kind,
            n.term,
            n.min_age,
            n.max_age,
            tuple(sorted(n.key_skills)),
            n.wheelchair,
            n.area,
        )

    candidates: dict[tuple[Any, ...], _Need] = {}
    by_key: dict[tuple[Any, ...], list[_Need]] = {}
    for n in needs:
        key = key_of(n)
        candidates.setdefault(key, n)
        by_key.setdefault(key, []).append(n)
    ordered = sorted(candidates.items(), key=lambda kv: repr(kv[0]))
    keys = [k for k, _ in ordered]
    n_keys = len(keys)
    covers = _cover_matrix([c for _, c in ordered])
    uncovered_count = np.array([len(by_key[k]) for k in keys], dtype=np.int64)
    # the first candidate (in `ordered`) with the most units, then the fewest skills,
    # then the narrowest age range: `rank` orders the candidates by all but the units
    # (the best last), so the best candidate has the largest score * n_keys + rank
    tie = [(-len(c.key_skills), -(c.max_age - c.min_age), -i) for i, (_, c) in enumerate(ordered)]
    rank = np.empty(n_keys, dtype=np.int64)
    rank[sorted(range(n_keys), key=tie.__getitem__)] = np.arange(n_keys)
    available = np.ones(n_keys, dtype=bool)
    # units each candidate would cover, kept up to date as units get covered
    score = covers.astype(np.int64) @ uncovered_count
    chosen: list[tuple[_Need, list[_Need]]] = []
    while uncovered_count.sum() > 0:
        best = int(np.argmax(np.where(available, score * n_keys + rank, -1)))
        hit = np.flatnonzero(covers[best] & (uncovered_count > 0))
        covered = sorted(
            (n for j in hit.tolist() for n in by_key[keys[j]]), key=lambda n: (-n.size, n.unit)
        )
        chosen.append((ordered[best][1], covered))
        score -= covers[:, hit].astype(np.int64) @ uncovered_count[hit]
        uncovered_count[hit] = 0
        available[best] = False

    targets: list[Target] = []
    for profile, members in chosen:
        households: list[TargetHousehold] = []
        # households that still have room, in the order they were opened (first fit)
        open_households: list[tuple[TargetHousehold, list[int]]] = []
        for n in members:
            placed = False
            shares = n.kind != "connected" and n.kind not in one_unit_kinds
            if n.size < settings.max_target_places and shares:
                for at, (h, load) in enumerate(open_households):
                    if load[0] + n.size > settings.max_target_places:
                        continue
                    if any((min(n.unit, u), max(n.unit, u)) in apart for u in h.units):
                        continue
                    assert h.location is not None
                    if not _fits_together([*h.needs, n], h.location):
                        continue
                    h.units.append(n.unit)
                    h.needs.append(n)
                    load[0] += n.size
                    if load[0] >= settings.max_target_places:
                        del open_households[at]
                    placed = True
                    break
            if not placed:
                location = _location_for([n], fallback_location)
                household = TargetHousehold([n.unit], [n], location)
                households.append(household)
                if n.size < settings.max_target_places and shares:
                    open_households.append((household, [n.size]))
        places = max(max(h.children for h in households), 1)
        targets.append(
            Target(
                kind=profile.kind,
                term=profile.term,
                min_age=profile.min_age,
                max_age=profile.max_age,
                places=places,
                skills=tuple(sorted(profile.key_skills)),
                wheelchair_access=profile.wheelchair,
                area=profile.area,
                radius_km=settings.target_radius_km,
                households=households,
            )
        )
    # Regroup: two chosen profiles that differ only in the places they ended up with stay
    # apart; otherwise order by children claimed, largest first, then by label.
    targets.sort(key=lambda t: (-t.children_claimed, t.label()))
    return targets


def materialise_target(target: Target, *, index: int, as_of: date) -> list[Household]:
    """Hypothetical households of a target, one per planned household.

    Each carries every need of the units it is meant for in its skills and will-consider
    list (a recruited carer would be trained and approved for them) and the children's
    identity (languages, religion, ethnicity), so the scoring treats it as a good match.
    Connected-person households are assessed for their named children.
    """
    out: list[Household] = []
    skills = frozenset(target.skills)
    for j, h in enumerate(target.households):
        children = [c for n in h.needs for c in n.children]
        places = max(target.places, h.children)
        needs: dict[str, int] = {}
        for c in children:
            for code, level in c.needs.items():
                needs[code] = max(needs.get(code, 0), level)
        religions = sorted({c.religion for c in children if c.religion not in (None, "unknown")})
        location = h.location or (0.0, 0.0)
        out.append(
            Household(
                household_id=f"TARGET-{index + 1:03d}-{j + 1:04d}",
                name="hypothetical household",
                kind=target.kind,
                term=target.term,
                provider="in_house",
                approved_min_age=target.min_age,
                approved_max_age=target.max_age,
                approved_places=places,
                max_sibling_group=places,
                vacancies=places,
                lat=location[0],
                lon=location[1],
                status="available",
                skills=frozenset(needs) | skills,
                will_consider=needs,
                ethnicities=tuple(sorted({c.ethnicity for c in children})),
                religion=religions[0] if len(religions) == 1 else None,
                languages=tuple(sorted({lang for c in children for lang in c.languages})),
                wheelchair_access=target.wheelchair_access,
                approved_on=as_of,
                connected_child_ids=tuple(sorted(c.child_id for c in children))
                if target.kind == "connected"
                else (),
            )
        )
    return out


def spec_households(
    specs: Sequence[AddSpec], *, as_of: date, default_location: tuple[float, float]
) -> list[Household]:
    """Every hypothetical household of the what-if specifications."""
    out: list[Household] = []
    for i, spec in enumerate(specs):
        out += materialise_spec(
            spec, prefix=f"WHATIF-{i + 1:03d}", as_of=as_of, default_location=default_location
        )
    return out


def pool_centre(households: Sequence[Household]) -> tuple[float, float]:
    """Mean location of a pool (the default location of what-if households)."""
    if not households:
        return (0.0, 0.0)
    return (
        sum(h.lat for h in households) / len(households),
        sum(h.lon for h in households) / len(households),
    )


def needs_by_unit(
    units: Mapping[int, Sequence[Child]], as_of: date, settings: ProfileSettings
) -> list[_Need]:
    """The minimal recruitable profile of each unit, in unit order."""
    return [unit_need(u, children, as_of, settings) for u, children in sorted(units.items())]
