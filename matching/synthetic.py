"""A seeded synthetic authority: children, a pool of households and sibling links.

`generate_authority` builds a realistic but entirely fictional local authority for
demos, tests and benchmarks. Proportions follow the reference figures of
shared/domain.md (see `matching.synthetic_tables`): the age and ethnicity mix of
children looked after in England, about 7% unaccompanied asylum-seeking children,
plans driven by age and needs, sibling groups whose Together and Apart assessments never
contradict one another, and a pool with the scarcity the permanence strategies describe
(few households for older children, large sibling groups or complex needs).

Everything is drawn from `numpy.random.default_rng` streams spawned from the seed and
computed column-wise, so 100,000 children and 50,000 households take a few seconds, and
the same arguments always give an equal authority. Children depend only on
(n_children, seed, as_of), not on the size of the pool.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from itertools import starmap
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from matching import synthetic_tables as t
from matching.domain import Authority, Child, Household, SiblingLink
from matching.vocab import NEED_CODES, NOT_FAMILY_FOUND_PLANS, PLANS

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Rng = np.random.Generator
_Record = TypeVar("_Record")

_PLAN_INDEX = {plan: i for i, plan in enumerate(PLANS)}
_NEED_INDEX = {code: i for i, code in enumerate(NEED_CODES)}
_REQUIREMENTS_ORDER = (
    "no_smokers",
    "no_pets",
    "no_younger_children",
    "no_older_children",
    "no_other_children",
    "wheelchair_access",
)
_REQ = {code: i for i, code in enumerate(_REQUIREMENTS_ORDER)}
_KINSHIP_PLANS = frozenset({"kinship", "sgo", "cao"})
_SEX_CODES = ("female", "male", "unknown")
_NO_RELIGION = frozenset({"none", "unknown"})
_CHILD_FREE = frozenset({"no_other_children", "no_younger_children", "no_older_children"})
# Field names in definition order: records are built positionally (see `_records`).
_CHILD_FIELDS = tuple(f.name for f in fields(Child))
_HOUSEHOLD_ALL_FIELDS = tuple(f.name for f in fields(Household))
# Generated as columns; ids are given last, once the households are shuffled.
_HOUSEHOLD_FIELDS = tuple(name for name in _HOUSEHOLD_ALL_FIELDS if name != "household_id")


# ---------------------------------------------------------------- small helpers


def _normalised(weights: Sequence[float]) -> FloatArray:
    array = np.asarray(weights, dtype=np.float64)
    normalised: FloatArray = array / array.sum()
    return normalised


def _pick(rng: Rng, weights: Sequence[float], size: int) -> IntArray:
    """`size` indices drawn with the given (unnormalised) weights."""
    return rng.choice(len(weights), size=size, p=_normalised(weights)).astype(np.int64)


def _pick_rows(rng: Rng, weight_rows: FloatArray) -> IntArray:
    """One index per row, each row with its own weights (rows need not be normalised)."""
    cumulative = np.cumsum(weight_rows, axis=1)
    cumulative /= cumulative[:, -1:]
    draws = rng.random(len(weight_rows))
    picked: IntArray = (draws[:, None] >= cumulative).sum(axis=1).astype(np.int64)
    last: IntArray = np.minimum(picked, weight_rows.shape[1] - 1)
    return last


def _allocate(n: int, shares: Sequence[float]) -> IntArray:
    """Split n into whole counts proportional to shares (largest remainder).

    Exact shares keep the mix right for an authority of 50 as for one of 100,000.
    """
    quotas = _normalised(shares) * n
    counts = np.floor(quotas).astype(np.int64)
    short = n - int(counts.sum())
    if short:
        counts[np.argsort(-(quotas - counts), kind="stable")[:short]] += 1
    return counts


def _shuffled_labels(rng: Rng, n: int, shares: Sequence[float]) -> IntArray:
    """n labels 0..k-1 in exact proportion to shares, in random order."""
    labels = np.repeat(np.arange(len(shares), dtype=np.int64), _allocate(n, shares))
    return rng.permutation(labels)


def _ages_on(dob_days: IntArray, as_of: date) -> IntArray:
    """Whole-year ages on `as_of` of dates given as days from `as_of` (unborn are 0)."""
    dob = np.datetime64(as_of, "D") + dob_days.astype("timedelta64[D]")
    years = dob.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dob.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (dob - dob.astype("datetime64[M]")).astype(np.int64) + 1
    before_birthday = (months > as_of.month) | ((months == as_of.month) & (days > as_of.day))
    ages = as_of.year - years - before_birthday.astype(np.int64)
    return np.where(dob_days > 0, 0, ages).astype(np.int64)


def _to_dates(as_of: date, offsets: IntArray, present: BoolArray) -> list[date | None]:
    """Python dates for day offsets from `as_of`, None where not present."""
    days = np.datetime64(as_of, "D") + offsets.astype("timedelta64[D]")
    dates: list[date | None] = days.tolist()
    return [d if p else None for d, p in zip(dates, present.tolist(), strict=True)]


def _ids(prefix: str, n: int) -> list[str]:
    width = max(6, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


def _optional_floats(values: FloatArray, digits: int) -> list[float | None]:
    rounded: list[float | None] = np.round(values, digits).tolist()
    for row in np.flatnonzero(np.isnan(values)).tolist():
        rounded[row] = None
    return rounded


def _round_km(rng: Rng, bounds: tuple[int, int], n: int) -> FloatArray:
    """n distances in whole multiples of 5 km within bounds, as a practitioner writes them."""
    fives = rng.integers(bounds[0] // 5, bounds[1] // 5 + 1, n)
    return (5.0 * fives).astype(np.float64)


def _plural(surname: str) -> str:
    return surname + ("es" if surname.endswith(("s", "sh", "ch", "x", "z")) else "s")


@dataclass(frozen=True)
class _Geography:
    """Town centres scattered around the county centre; people cluster in towns."""

    centre: tuple[float, float]
    town_lat: FloatArray
    town_lon: FloatArray
    town_weight: FloatArray

    @classmethod
    def around(cls, rng: Rng, centre: tuple[float, float], towns: int = 12) -> _Geography:
        radius = 28.0 * np.sqrt(rng.random(towns))
        radius[0] = 0.0  # the county town itself
        angle = rng.random(towns) * 2 * np.pi
        lat, lon = _offset(centre[0], centre[1], radius * np.sin(angle), radius * np.cos(angle))
        # A few large towns and many small ones.
        weight = 1.0 / np.arange(1, towns + 1) ** 0.8
        return cls(centre, lat, lon, weight / weight.sum())

    def homes(self, rng: Rng, n: int, spread_km: float = 4.0) -> tuple[FloatArray, FloatArray]:
        """n points around the towns, kept within the county radius of the centre."""
        town = rng.choice(len(self.town_weight), size=n, p=self.town_weight)
        north = rng.normal(0.0, spread_km, n)
        east = rng.normal(0.0, spread_km, n)
        lat, lon = _offset(self.town_lat[town], self.town_lon[town], north, east)
        north_c, east_c = _km_from(self.centre[0], self.centre[1], lat, lon)
        distance = np.hypot(north_c, east_c)
        scale = np.minimum(1.0, t.COUNTY_RADIUS_KM / np.maximum(distance, 1e-9))
        return _offset(self.centre[0], self.centre[1], north_c * scale, east_c * scale)


def _offset(
    lat: FloatArray | float, lon: FloatArray | float, north_km: FloatArray, east_km: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Points moved by (north, east) kilometres (flat-earth, fine at county scale)."""
    new_lat = lat + north_km / t.KM_PER_DEGREE_LAT
    new_lon = lon + east_km / (t.KM_PER_DEGREE_LAT * np.cos(np.radians(lat)))
    return np.asarray(new_lat, dtype=np.float64), np.asarray(new_lon, dtype=np.float64)


def _km_from(
    lat0: float, lon0: float, lat: FloatArray, lon: FloatArray
) -> tuple[FloatArray, FloatArray]:
    north = (lat - lat0) * t.KM_PER_DEGREE_LAT
    east = (lon - lon0) * t.KM_PER_DEGREE_LAT * math.cos(math.radians(lat0))
    return north, east


# ---------------------------------------------------------------- children


@dataclass
class _Children:
    """The children as columns, while they are being generated."""

    ids: list[str]
    age: IntArray
    dob: IntArray  # days from as_of; > 0 for an unborn child
    unborn: BoolArray
    uasc: BoolArray
    sex: IntArray
    ethnicity: npt.NDArray[np.object_]
    religion: npt.NDArray[np.object_]
    languages: list[tuple[str, ...]]
    needs: npt.NDArray[np.int8]  # n x len(NEED_CODES), 0 = none
    plan: IntArray
    status: IntArray
    legal: npt.NDArray[np.object_]  # code or None
    entered: IntArray  # days from as_of (only where born)
    plan_date: IntArray
    home_lat: FloatArray
    home_lon: FloatArray
    family_time_km: FloatArray
    min_distance_km: FloatArray
    group: IntArray  # sibling group number, -1 if none
    part: IntArray  # together-part within the group (0 or 1)
    group_kind: list[str]  # per group: together | split | pending

    @property
    def n(self) -> int:
        return len(self.ids)


def _sample_children(rng: Rng, n: int, as_of: date, geography: _Geography) -> _Children:
    bands = _shuffled_labels(rng, n, t.AGE_BAND_SHARES)
    low = np.array([band[0] for band in t.AGE_BANDS])[bands]
    high = np.array([band[1] for band in t.AGE_BANDS])[bands]
    target_age = rng.integers(low, high + 1)
    unborn = (target_age == 0) & (rng.random(n) < t.UNBORN_SHARE_OF_BABIES)
    # A birthday 3..362 days past the target age keeps every born child at least a few
    # days old (entered care, then plan, then today) and the age as drawn.
    dob = -(np.round(target_age * 365.2425).astype(np.int64) + rng.integers(3, 363, n))
    dob = np.where(unborn, rng.integers(1, t.UNBORN_MAX_DAYS + 1, n), dob)
    age = _ages_on(dob, as_of)

    uasc_p = np.array([t.UASC_PROBABILITY_BY_AGE.get(a, 0.0) for a in range(18)])[age]
    uasc = (rng.random(n) < uasc_p) & ~unborn

    male = rng.random(n) < np.where(uasc, t.UASC_MALE_SHARE, t.MALE_SHARE)
    sex = np.where(male, 1, 0).astype(np.int64)
    sex = np.where(unborn & (rng.random(n) < 0.7), 2, sex)

    ethnicity, religion, languages = _identity(rng, n, uasc, unborn)
    needs = _needs(rng, age, uasc)
    plan = _plans(rng, age, unborn, uasc, needs)
    status = _statuses(rng, plan, unborn)
    legal = _legal_statuses(rng, plan, uasc, unborn)
    entered, plan_date = _care_dates(rng, age, dob, unborn, uasc)

    home_lat, home_lon = geography.homes(rng, n)
    # UASC have no birth-family home in the county.
    home_lat[uasc] = np.nan
    home_lon[uasc] = np.nan
    has_home = ~uasc
    family_time = np.where(
        has_home & (rng.random(n) < t.FAMILY_TIME_SHARE),
        _round_km(rng, t.FAMILY_TIME_KM, n),
        np.nan,
    )
    min_distance = np.where(
        has_home & (rng.random(n) < t.SAFEGUARDING_SHARE),
        _round_km(rng, t.SAFEGUARDING_KM, n),
        np.nan,
    )
    # A safeguarding distance and a family-time radius cannot both bind (family time
    # then happens at a contact centre): keep only the safeguarding distance.
    family_time[~np.isnan(min_distance)] = np.nan

    return _Children(
        ids=_ids("C", n),
        age=age,
        dob=dob,
        unborn=unborn,
        uasc=uasc,
        sex=sex,
        ethnicity=ethnicity,
        religion=religion,
        languages=languages,
        needs=needs,
        plan=plan,
        status=status,
        legal=legal,
        entered=entered,
        plan_date=plan_date,
        home_lat=home_lat,
        home_lon=home_lon,
        family_time_km=family_time,
        min_distance_km=min_distance,
        group=np.full(n, -1, dtype=np.int64),
        part=np.zeros(n, dtype=np.int64),
        group_kind=[],
    )


def _religions_for(rng: Rng, ethnicity: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    religion = np.empty(len(ethnicity), dtype=object)
    codes = np.array(t.RELIGION_CODES, dtype=object)
    for code, weights in t.RELIGION_BY_ETHNICITY.items():
        rows = np.flatnonzero(ethnicity == code)
        if len(rows):
            religion[rows] = codes[_pick(rng, weights, len(rows))]
    return religion


def _extra_languages(rng: Rng, ethnicity: npt.NDArray[np.object_]) -> list[str | None]:
    """A home language beside English for some, by ethnicity (None for most)."""
    extra: list[str | None] = [None] * len(ethnicity)
    for code, options in t.EXTRA_LANGUAGE_BY_ETHNICITY.items():
        rows = np.flatnonzero(ethnicity == code)
        if not len(rows):
            continue
        weights = [p for _, p in options]
        weights.append(max(0.0, 1.0 - sum(weights)))
        picked = _pick(rng, weights, len(rows))
        for row, choice in zip(rows.tolist(), picked.tolist(), strict=True):
            if choice < len(options):
                extra[row] = options[choice][0]
    return extra


def _identity(
    rng: Rng, n: int, uasc: BoolArray, unborn: BoolArray
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_], list[tuple[str, ...]]]:
    codes = np.array(list(t.CHILD_ETHNICITY), dtype=object)
    ethnicity = codes[_pick(rng, list(t.CHILD_ETHNICITY.values()), n)]
    religion = _religions_for(rng, ethnicity)
    extra = _extra_languages(rng, ethnicity)
    bsl = (rng.random(n) < t.BSL_SHARE).tolist()
    languages: list[tuple[str, ...]] = []
    for lang, sign in zip(extra, bsl, strict=True):
        spoken = ("en",) if lang is None else ("en", lang)
        languages.append((*spoken, "bsl") if sign else spoken)

    # Unaccompanied children: origin decides ethnicity, language and religion.
    rows = np.flatnonzero(uasc)
    origin = _pick(rng, [o[0] for o in t.UASC_ORIGINS], len(rows))
    speaks_english = (rng.random(len(rows)) < 0.4).tolist()
    faiths = np.array(t.UASC_RELIGIONS, dtype=object)
    for index, (_, code, _language, faith) in enumerate(t.UASC_ORIGINS):
        of_origin = origin == index
        ethnicity[rows[of_origin]] = code
        religion[rows[of_origin]] = faiths[_pick(rng, faith, int(of_origin.sum()))]
    for row, o, english in zip(rows.tolist(), origin.tolist(), speaks_english, strict=True):
        language = t.UASC_ORIGINS[o][2]
        languages[row] = (language, "en") if english else (language,)

    # Before birth: no language recorded, religion often not known.
    for row in np.flatnonzero(unborn).tolist():
        languages[row] = ()
    religion[unborn & (rng.random(n) < 0.5)] = "unknown"
    return ethnicity, religion, languages


def _need_band(age: IntArray) -> IntArray:
    edges = np.array([band[1] for band in t.NEED_AGE_BANDS])
    return np.searchsorted(edges, age, side="left").astype(np.int64)


def _needs(rng: Rng, age: IntArray, uasc: BoolArray) -> npt.NDArray[np.int8]:
    band = _need_band(age)
    probability = np.array(list(t.NEED_PROBABILITY.values())).T[band]
    has = rng.random(probability.shape) < probability
    complex_share = np.array(t.COMPLEX_SHARE_BY_BAND)[band][:, None]
    level = np.where(rng.random(probability.shape) < complex_share, 2, 1)
    needs = np.where(has, level, 0).astype(np.int8)
    uasc_level = np.where(rng.random(len(age)) < 0.2, 2, 1).astype(np.int8)
    needs[:, _NEED_INDEX["uasc"]] = np.where(uasc, uasc_level, 0)
    return needs


def _plans(
    rng: Rng, age: IntArray, unborn: BoolArray, uasc: BoolArray, needs: npt.NDArray[np.int8]
) -> IntArray:
    keys = sorted(t.PLAN_WEIGHTS_BY_AGE)
    table = np.array([t.PLAN_WEIGHTS_BY_AGE[max(k for k in keys if k <= a)] for a in range(18)])
    plan = _pick_rows(rng, table[age])
    # Older children with several complex needs: some need a children's home.
    complex_count = (needs == 2).sum(axis=1)
    residential = (
        (age >= t.RESIDENTIAL_MIN_AGE)
        & (complex_count >= 2)
        & (rng.random(len(age)) < t.RESIDENTIAL_SHARE_OF_COMPLEX)
    )
    plan = np.where(residential, _PLAN_INDEX["residential"], plan)
    # UASC: foster care, supported living from 16, a children's home for a few.
    uasc_plan = np.where(
        age >= 16,
        np.array([_PLAN_INDEX["supported_living"], _PLAN_INDEX["long_term_foster"]])[
            (rng.random(len(age)) < 0.5).astype(np.int64)
        ],
        _PLAN_INDEX["long_term_foster"],
    )
    uasc_plan = np.where(rng.random(len(age)) < 0.05, _PLAN_INDEX["residential"], uasc_plan)
    plan = np.where(uasc, uasc_plan, plan)
    return np.where(unborn, _PLAN_INDEX["ffa"], plan).astype(np.int64)


def _statuses(rng: Rng, plan: IntArray, unborn: BoolArray) -> IntArray:
    not_found = np.isin(plan, [_PLAN_INDEX[p] for p in NOT_FAMILY_FOUND_PLANS])
    weights = np.where(
        not_found[:, None],
        np.array(t.NOT_FAMILY_FOUND_STATUS),
        np.array(t.FAMILY_FOUND_STATUS),
    )
    for plan_name, plan_weights in t.STATUS_BY_PLAN.items():
        weights = np.where(
            (plan == _PLAN_INDEX[plan_name])[:, None], np.array(plan_weights), weights
        )
    weights = np.where(unborn[:, None], np.array(t.UNBORN_STATUS), weights)
    return _pick_rows(rng, weights)


def _legal_statuses(
    rng: Rng, plan: IntArray, uasc: BoolArray, unborn: BoolArray
) -> npt.NDArray[np.object_]:
    legal = np.empty(len(plan), dtype=object)
    for plan_name, weights in t.LEGAL_STATUS_BY_PLAN.items():
        rows = np.flatnonzero((plan == _PLAN_INDEX[plan_name]) & ~uasc)
        codes = np.array(list(weights), dtype=object)
        legal[rows] = codes[_pick(rng, list(weights.values()), len(rows))]
    rows = np.flatnonzero(uasc)
    codes = np.array(list(t.UASC_LEGAL_STATUS), dtype=object)
    legal[rows] = codes[_pick(rng, list(t.UASC_LEGAL_STATUS.values()), len(rows))]
    legal[unborn] = None
    return legal


def _care_dates(
    rng: Rng, age: IntArray, dob: IntArray, unborn: BoolArray, uasc: BoolArray
) -> tuple[IntArray, IntArray]:
    """Days before as_of of entering care and of the plan: birth <= entered < plan < today.

    Spread wide (log-normal) so some children are well past the adoption scorecard
    thresholds (426 days care to placement, 121 days placement order to match).
    """
    n = len(age)
    age_days = np.maximum(-dob, 2)
    median = np.where(uasc, 240.0, 200.0 + 90.0 * age)
    care_days = np.exp(np.log(median) + rng.normal(0.0, 0.75, n))
    care_days = np.clip(np.round(care_days), 2, age_days).astype(np.int64)
    waited = np.round(np.exp(np.log(140.0) + rng.normal(0.0, 0.8, n)))
    waited = np.clip(waited, 1, care_days - 1).astype(np.int64)
    entered = -care_days
    plan_date = -waited
    # Pre-birth planning: a plan in the last three months, nobody in care yet.
    plan_date = np.where(unborn, -rng.integers(1, 91, n), plan_date)
    return entered.astype(np.int64), plan_date.astype(np.int64)


def _form_sibling_groups(rng: Rng, kids: _Children) -> None:
    """Gather brothers and sisters: children with the same plan and near ages.

    Candidates of one plan are ordered by age plus noise and cut into groups of 2-4,
    so siblings are a few years apart. Members take the first child's birth family
    (home, ethnicity mostly, languages), status and dates adjusted to their own birth.
    """
    n = kids.n
    share = np.zeros(len(PLANS))
    for plan_name, p in t.SIBLING_SHARE_BY_PLAN.items():
        share[_PLAN_INDEX[plan_name]] = p
    candidate = (rng.random(n) < share[kids.plan]) & ~kids.uasc & ~kids.unborn
    sizes = np.array([s for s, _ in t.SIBLING_GROUP_SIZES])
    lead_of = np.arange(n)
    group_count = 0
    for plan_index in np.unique(kids.plan[candidate]).tolist():
        rows = np.flatnonzero(candidate & (kids.plan == plan_index))
        order = rows[np.argsort(kids.age[rows] + rng.normal(0.0, 1.8, len(rows)), kind="stable")]
        drawn = sizes[_pick(rng, [w for _, w in t.SIBLING_GROUP_SIZES], len(order) // 2 + 1)]
        bounds = np.concatenate(([0], np.cumsum(drawn)))
        bounds = bounds[bounds <= len(order)]
        group_sizes = np.diff(bounds)
        members = order[: bounds[-1]]
        kids.group[members] = np.repeat(group_count + np.arange(len(group_sizes)), group_sizes)
        lead_of[members] = np.repeat(order[bounds[:-1]], group_sizes)
        group_count += len(group_sizes)

    kinds = [k for k, _ in t.GROUP_ASSESSMENT_WEIGHTS]
    drawn_kinds = _pick(rng, [w for _, w in t.GROUP_ASSESSMENT_WEIGHTS], group_count)
    kids.group_kind = [kinds[k] for k in drawn_kinds.tolist()]
    grouped = np.flatnonzero(kids.group >= 0)
    by_group = grouped[np.argsort(kids.group[grouped], kind="stable")]
    starts = np.searchsorted(kids.group[by_group], np.arange(group_count))
    for group in np.flatnonzero(drawn_kinds == kinds.index("split")).tolist():
        stop = starts[group + 1] if group + 1 < group_count else len(by_group)
        members = by_group[starts[group] : stop]
        # Two parts, each non-empty: apart links only ever cross the split.
        cut = int(rng.integers(1, len(members)))
        kids.part[members[rng.permutation(len(members))[cut:]]] = 1

    rest = grouped[lead_of[grouped] != grouped]
    lead = lead_of[rest]
    for column in (kids.home_lat, kids.home_lon, kids.family_time_km, kids.min_distance_km):
        column[rest] = column[lead]
    kids.status[rest] = kids.status[lead]
    kids.legal[rest] = kids.legal[lead]
    # Half- and step-siblings may differ in ethnicity.
    same = rng.random(len(rest)) < 0.8
    kids.ethnicity[rest[same]] = kids.ethnicity[lead[same]]
    kids.religion[rest[same]] = kids.religion[lead[same]]
    for row, first in zip(rest.tolist(), lead.tolist(), strict=True):
        kids.languages[row] = kids.languages[first]
    # Brothers and sisters come into care together, or a younger one at birth.
    kids.entered[rest] = np.minimum(np.maximum(kids.entered[lead], kids.dob[rest]), -2)
    kids.plan_date[rest] = np.maximum(kids.plan_date[lead], kids.entered[rest] + 1)


def _sibling_links(rng: Rng, kids: _Children, as_of: date) -> list[SiblingLink]:
    """All pairs within each group, assessed consistently with its parts.

    Together links only join children of the same part and apart links only cross
    parts, so the together-components are exactly the parts: no contradiction.
    """
    rows = np.flatnonzero(kids.group >= 0)
    members: list[list[int]] = [[] for _ in kids.group_kind]
    for row, group in zip(rows.tolist(), kids.group[rows].tolist(), strict=True):
        members[group].append(row)  # rows ascend, so ids ascend within a group
    pair_count = sum(len(m) * (len(m) - 1) // 2 for m in members)
    relationships = [r for r, _ in t.RELATIONSHIP_WEIGHTS]
    relationship = _pick(rng, [w for _, w in t.RELATIONSHIP_WEIGHTS], pair_count).tolist()
    apart_notes = ("Needs best met apart", "Risk to younger sibling", "Sibling conflict")
    apart_note = rng.integers(len(apart_notes), size=pair_count).tolist()
    # A part of three or more may leave one pair unassessed: still joined by the others.
    spare_pending = (rng.random(len(members)) < 0.2).tolist()
    delay = rng.integers(14, 120, size=len(members)).tolist()
    base = as_of.toordinal()
    links: list[SiblingLink] = []
    for group, rows_of in enumerate(members):
        kind = kids.group_kind[group]
        leave_last = spare_pending[group] and len(rows_of) >= 3 and kind == "together"
        assessed = min(max(int(kids.entered[r]) for r in rows_of) + delay[group], -1)
        assessed_on = date.fromordinal(base + assessed)
        pairs = [(a, b) for i, a in enumerate(rows_of) for b in rows_of[i + 1 :]]
        for index, (a, b) in enumerate(pairs):
            k = len(links)
            if kind == "pending" or (leave_last and index == len(pairs) - 1):
                assessment, note, on = "pending", "Assessment in progress", None
            elif kids.part[a] == kids.part[b]:
                assessment, note, on = "together", "Together and Apart assessment", assessed_on
            else:
                assessment, note, on = "apart", apart_notes[apart_note[k]], assessed_on
            links.append(
                SiblingLink(
                    child_a=kids.ids[a],
                    child_b=kids.ids[b],
                    relationship=relationships[relationship[k]],
                    assessment=assessment,
                    assessed_on=on,
                    note=note,
                )
            )
    links.sort(key=lambda link: (link.child_a, link.child_b))
    return links


def _requirements(rng: Rng, kids: _Children) -> BoolArray:
    n = kids.n
    needs = kids.needs

    def need(code: str, level: int = 1) -> BoolArray:
        return np.asarray(needs[:, _NEED_INDEX[code]] >= level)

    def chance(p: float) -> BoolArray:
        return np.asarray(rng.random(n) < p)

    req = np.zeros((n, len(_REQUIREMENTS_ORDER)), dtype=bool)
    young = kids.age < 5
    req[:, _REQ["no_smokers"]] = (
        (need("complex_health") & chance(0.6))
        | (need("physical_disability") & chance(0.3))
        | (young & chance(0.08))
    )
    req[:, _REQ["no_pets"]] = (need("harm_to_animals") & chance(0.8)) | chance(0.02)
    hsb = need("harmful_sexual_behaviour")
    # A child with harmful sexual behaviour may not live with younger children.
    req[:, _REQ["no_younger_children"]] = hsb | (need("fire_setting") & chance(0.3))
    req[:, _REQ["no_older_children"]] = (kids.age >= 5) & (kids.age <= 12) & ~hsb & chance(0.015)
    complex_count = (needs == 2).sum(axis=1)
    req[:, _REQ["no_other_children"]] = (
        (need("harmful_sexual_behaviour", 2) & chance(0.35))
        | ((complex_count >= 3) & chance(0.2))
        | ((kids.age >= 5) & chance(0.005))
    )
    req[:, _REQ["wheelchair_access"]] = (need("physical_disability", 2) & chance(0.65)) | (
        need("physical_disability") & chance(0.15)
    )
    req[kids.unborn] = False
    return req


def _schools(rng: Rng, kids: _Children) -> tuple[FloatArray, FloatArray]:
    n = kids.n
    has = (kids.age >= 5) & ~np.isnan(kids.home_lat) & (rng.random(n) < t.SCHOOL_SHARE)
    lat, lon = _offset(kids.home_lat, kids.home_lon, rng.normal(0, 2.5, n), rng.normal(0, 2.5, n))
    return np.where(has, lat, np.nan), np.where(has, lon, np.nan)


def _wishes(
    rng: Rng, kids: _Children, requirements: BoolArray, has_school: BoolArray
) -> list[tuple[str, ...]]:
    n = kids.n
    voiced = (kids.age >= 5) & ~kids.unborn
    pets = (
        voiced
        & ~requirements[:, _REQ["no_pets"]]
        & (kids.needs[:, _NEED_INDEX["harm_to_animals"]] == 0)
        & (rng.random(n) < 0.15)
    )
    near_school = voiced & has_school & (rng.random(n) < 0.25)
    religious = np.array([r not in _NO_RELIGION for r in kids.religion.tolist()], dtype=bool)
    same_religion = voiced & religious & (rng.random(n) < 0.2)
    other_language = np.array([any(x != "en" for x in ls) for ls in kids.languages], dtype=bool)
    same_language = voiced & other_language & (rng.random(n) < 0.4)
    columns = (
        ("pets", pets),
        ("near_school", near_school),
        ("same_religion", same_religion),
        ("same_language", same_language),
    )
    wishes: list[tuple[str, ...]] = [()] * n
    for code, mask in columns:
        for row in np.flatnonzero(mask).tolist():
            wishes[row] = (*wishes[row], code)
    return wishes


def _child_names(rng: Rng, kids: _Children) -> list[str]:
    female = rng.integers(len(t.FEMALE_NAMES), size=kids.n).tolist()
    male = rng.integers(len(t.MALE_NAMES), size=kids.n).tolist()
    uasc_name = rng.integers(len(t.UASC_NAMES), size=kids.n).tolist()
    names = []
    for i, (sex, unborn, uasc) in enumerate(
        zip(kids.sex.tolist(), kids.unborn.tolist(), kids.uasc.tolist(), strict=True)
    ):
        if unborn:
            names.append("")
        elif uasc:
            names.append(t.UASC_NAMES[uasc_name[i]])
        else:
            names.append(t.FEMALE_NAMES[female[i]] if sex == 0 else t.MALE_NAMES[male[i]])
    return names


def _build_children(rng: Rng, kids: _Children, as_of: date) -> list[Child]:
    requirements = _requirements(rng, kids)
    school_lat, school_lon = _schools(rng, kids)
    wishes = _wishes(rng, kids, requirements, ~np.isnan(school_lat))
    names = _child_names(rng, kids)
    born = ~kids.unborn
    dobs: list[date] = (np.datetime64(as_of, "D") + kids.dob.astype("timedelta64[D]")).tolist()
    entered = _to_dates(as_of, kids.entered, born)
    plan_dates = _to_dates(as_of, kids.plan_date, np.ones(kids.n, dtype=bool))
    home_lat = _optional_floats(kids.home_lat, 4)
    home_lon = _optional_floats(kids.home_lon, 4)
    s_lat = _optional_floats(school_lat, 4)
    s_lon = _optional_floats(school_lon, 4)
    family_time = _optional_floats(kids.family_time_km, 1)
    min_distance = _optional_floats(kids.min_distance_km, 1)

    needs = _row_graded(kids.needs, NEED_CODES)
    requirement_sets = _row_sets(requirements, _REQUIREMENTS_ORDER)
    return _records(
        Child,
        _CHILD_FIELDS,
        {
            "child_id": kids.ids,
            "date_of_birth": dobs,
            "sex": [_SEX_CODES[x] for x in kids.sex.tolist()],
            "ethnicity": kids.ethnicity.tolist(),
            "plan": [PLANS[x] for x in kids.plan.tolist()],
            "status": [t.CHILD_STATUSES_ORDER[x] for x in kids.status.tolist()],
            "first_name": names,
            "religion": kids.religion.tolist(),
            "languages": kids.languages,
            "legal_status": kids.legal.tolist(),
            "entered_care_on": entered,
            "plan_date": plan_dates,
            "home_lat": home_lat,
            "home_lon": home_lon,
            "school_lat": s_lat,
            "school_lon": s_lon,
            "family_time_max_km": family_time,
            "min_distance_km": min_distance,
            "needs": needs,
            "requirements": requirement_sets,
            "wishes": wishes,
            # set by `_placements` once the pool exists
            "placed_with": [None] * kids.n,
            "placement_order_on": [None] * kids.n,
            "facts": [_NO_FACTS] * kids.n,
        },
    )


_NO_FACTS: Mapping[str, str] = {}  # shared, never written: records are frozen
# Household kinds that serve each family-based plan, for where a placed child lives.
_HOME_KINDS = {
    "adoption": ("adopter", "ffa"),
    "ffa": ("ffa",),
    "long_term_foster": ("foster",),
    "residential": ("residential",),
}


# Records that say two children are siblings but not how (SSDA903-sourced data).
RELATIONSHIP_NOT_RECORDED_SHARE = 0.03


def _relationships_as_recorded(rng: Rng, links: list[SiblingLink]) -> list[SiblingLink]:
    """A few sibling pairs whose relationship the records do not hold (`not_recorded`)."""
    unknown = rng.random(len(links)) < RELATIONSHIP_NOT_RECORDED_SHARE
    return [
        SiblingLink(
            link.child_a, link.child_b, "not_recorded", link.assessment, link.assessed_on, link.note
        )
        if flag
        else link
        for link, flag in zip(links, unknown.tolist(), strict=True)
    ]


def _placements(
    rng: Rng, children: list[Child], households: Sequence[Household], as_of: date
) -> list[Child]:
    """Children with `placement_order_on` and `placed_with` filled in, as records hold them.

    A child with a placement order (legal status E1) has its date between entering care
    and the reference date; a placed or matched child with a family-based plan lives
    with a household of a kind that serves the plan (a connected one for kinship, SGO
    and CAO, when the child has one). Drawn from their own stream, so the rest of the
    authority does not change with them.
    """
    by_kind: dict[str, list[str]] = {}
    connected_to: dict[str, list[str]] = {}
    for h in households:
        by_kind.setdefault(h.kind, []).append(h.household_id)
        for child_id in h.connected_child_ids:
            connected_to.setdefault(child_id, []).append(h.household_id)
    draws = rng.random((len(children), 2)).tolist()
    out = []
    for child, (order_draw, home_draw) in zip(children, draws, strict=True):
        changes: dict[str, Any] = {}
        if child.legal_status == "E1" and child.entered_care_on is not None:
            span = (as_of - child.entered_care_on).days
            # orders come a few months into care: between a quarter and 90% of the stay
            changes["placement_order_on"] = date.fromordinal(
                child.entered_care_on.toordinal() + int(span * (0.25 + 0.65 * order_draw))
            )
        if child.status in ("placed", "matched"):
            if child.plan in _KINSHIP_PLANS:
                homes = connected_to.get(child.child_id, [])
            else:
                homes = [i for k in _HOME_KINDS.get(child.plan, ()) for i in by_kind.get(k, [])]
            if homes:
                changes["placed_with"] = homes[int(home_draw * len(homes))]
        if changes:
            # copy and fill the frozen record directly: 100,000 replace() calls cost seconds
            record = object.__new__(Child)
            record.__dict__.update(child.__dict__, **changes)
            child = record
        out.append(child)
    return out


def _records(
    cls: Callable[..., _Record], names: Sequence[str], columns: Mapping[str, Sequence[Any]]
) -> list[_Record]:
    """Build records from one column per field, passed positionally in `names` order.

    Positional construction is a good deal faster than keywords for 100,000 records;
    `names` comes from `dataclasses.fields`, so it follows the class definition.
    """
    return list(starmap(cls, zip(*(columns[name] for name in names), strict=True)))


def _row_sets(matrix: BoolArray, codes: Sequence[str]) -> list[frozenset[str]]:
    """The codes set in each row of a boolean matrix (columns in `codes` order)."""
    gathered: list[list[str]] = [[] for _ in range(len(matrix))]
    rows, cols = np.nonzero(matrix)
    for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
        gathered[row].append(codes[col])
    empty: frozenset[str] = frozenset()
    return [frozenset(g) if g else empty for g in gathered]


def _row_graded(levels: npt.NDArray[Any], codes: Sequence[str]) -> list[dict[str, int]]:
    """{code: level} for the non-zero cells of each row of a level matrix."""
    graded: list[dict[str, int]] = [{} for _ in range(len(levels))]
    rows, cols = np.nonzero(levels)
    values = levels[rows, cols].tolist()
    for row, col, level in zip(rows.tolist(), cols.tolist(), values, strict=True):
        graded[row][codes[col]] = int(level)
    return graded


# ---------------------------------------------------------------- households


def _kinship_parts(kids: _Children) -> list[list[int]]:
    """Family parts of children whose plan is kinship, SGO or CAO: a together-part of a
    sibling group (the whole group while its assessment is pending), or a lone child."""
    kinship = np.isin(kids.plan, [_PLAN_INDEX[p] for p in _KINSHIP_PLANS])
    parts: dict[tuple[int, int], list[int]] = {}
    for row in np.flatnonzero(kinship).tolist():
        group = int(kids.group[row])
        key = (group, int(kids.part[row])) if group >= 0 else (-1, row)
        parts.setdefault(key, []).append(row)
    return list(parts.values())


@dataclass
class _Pool:
    """The stranger households (every kind but connected) as columns."""

    kind: list[str]
    term: list[str | None]
    provider: list[str]
    min_age: IntArray
    max_age: IntArray
    places: IntArray
    max_group: IntArray
    vacancies: IntArray
    status: list[str]


def _by_kind(
    rng: Rng,
    kinds: npt.NDArray[np.object_],
    tables: Mapping[str, Sequence[tuple[Any, float]]],
    default: Any = None,
) -> list[Any]:
    """One value per household, drawn from its kind's (value, weight) table."""
    out: list[Any] = [default] * len(kinds)
    for kind, table in tables.items():
        rows = np.flatnonzero(kinds == kind)
        picked = _pick(rng, [w for _, w in table], len(rows)).tolist()
        for row, choice in zip(rows.tolist(), picked, strict=True):
            out[row] = table[choice][0]
    return out


def _sample_pool(rng: Rng, m: int) -> _Pool:
    kind_names = [k for k, _ in t.HOUSEHOLD_KIND_SHARES]
    kinds = np.array(kind_names, dtype=object)[
        _shuffled_labels(rng, m, [w for _, w in t.HOUSEHOLD_KIND_SHARES])
    ]
    term = _by_kind(rng, kinds, {"foster": t.FOSTER_TERMS})
    provider = _by_kind(
        rng,
        kinds,
        {
            "foster": t.FOSTER_PROVIDERS,
            "adopter": t.ADOPTER_PROVIDERS,
            "ffa": (("raa", 1.0),),
            "residential": t.RESIDENTIAL_PROVIDERS,
        },
    )
    ranges = _by_kind(
        rng,
        kinds,
        {
            "foster": t.FOSTER_AGE_RANGES,
            "adopter": t.ADOPTER_AGE_RANGES,
            "ffa": t.FFA_AGE_RANGES,
            "residential": t.RESIDENTIAL_AGE_RANGES,
        },
        default=(0, 17),
    )
    min_age = np.array([r[0] for r in ranges], dtype=np.int64)
    max_age = np.array([r[1] for r in ranges], dtype=np.int64)
    places = np.array(
        _by_kind(
            rng,
            kinds,
            {
                "foster": t.FOSTER_PLACES,
                "adopter": t.ADOPTER_PLACES,
                "ffa": t.FFA_PLACES,
                "residential": t.RESIDENTIAL_PLACES,
            },
            default=1,
        ),
        dtype=np.int64,
    )
    # Most carers take one or two brothers and sisters together; few take three or more.
    group_limit = np.array(
        _by_kind(
            rng,
            kinds,
            {"foster": t.FOSTER_MAX_GROUP, "residential": t.RESIDENTIAL_MAX_GROUP},
            default=4,
        ),
        dtype=np.int64,
    )
    max_group = np.minimum(places, group_limit)
    status_index = _pick(rng, t.HOUSEHOLD_STATUS_WEIGHTS, m)
    status = [t.HOUSEHOLD_STATUS_ORDER[i] for i in status_index.tolist()]
    available = status_index == 0
    # Vacancies never exceed places and are often fewer: children already live there.
    some_free = 1 + rng.binomial(np.maximum(places - 1, 0), 0.35)
    vacancies = np.where(available & (rng.random(m) < 0.8), some_free, 0)
    vacancies = np.where(~available, rng.binomial(places, 0.3), vacancies)
    adoptive = np.isin(kinds, ["adopter", "ffa"])
    # Adopters have no placed children until matched: all places or none.
    vacancies = np.where(adoptive, np.where(rng.random(m) < 0.85, places, 0), vacancies)
    residential = kinds == "residential"
    vacancies = np.where(residential, rng.binomial(places, 0.3), vacancies)
    # Fostering: calibrated to the national share of vacant places (synthetic_tables).
    foster = kinds == "foster"
    foster_free = 1 + rng.binomial(np.maximum(places - 1, 0), t.FOSTER_MORE_VACANT)
    foster_vacant = available & (rng.random(m) < t.FOSTER_VACANT_CHANCE)
    vacancies = np.where(foster, np.where(foster_vacant, foster_free, 0), vacancies)
    unavailable = status_index == t.HOUSEHOLD_STATUS_ORDER.index("unavailable")
    vacancies = np.where(unavailable, 0, vacancies).astype(np.int64)
    return _Pool(
        kind=kinds.tolist(),
        term=term,
        provider=provider,
        min_age=min_age,
        max_age=max_age,
        places=places,
        max_group=max_group.astype(np.int64),
        vacancies=vacancies,
        status=status,
    )


def _skills_and_stances(
    rng: Rng, kinds: Sequence[str]
) -> tuple[list[frozenset[str]], list[dict[str, int]], list[frozenset[str]]]:
    """Skills, graded will_consider and refused needs for stranger households."""
    m = len(kinds)
    kind_array = np.array(kinds, dtype=object)
    skill_p = np.zeros((m, len(t.SKILL_CODES_ORDER)))
    stance_w = np.zeros((m, len(NEED_CODES), 4))
    for kind, probabilities in t.SKILL_PROBABILITY.items():
        rows = kind_array == kind
        skill_p[rows] = probabilities
        stance_w[rows] = [t.stance_weights(kind, code) for code in NEED_CODES]
    has_skill = rng.random(skill_p.shape) < skill_p
    stance = _pick_rows(rng, stance_w.reshape(-1, 4)).reshape(m, len(NEED_CODES))
    # A skill in a need means the household takes that need on, at the complex level.
    stance = np.where(has_skill[:, : len(NEED_CODES)], 2, stance)
    skills = _row_sets(has_skill, t.SKILL_CODES_ORDER)
    considers = _row_graded(np.where(stance <= 2, stance, 0), NEED_CODES)
    refuses = _row_sets(stance == 3, NEED_CODES)
    return skills, considers, refuses


def _carer_identity(
    rng: Rng, m: int
) -> tuple[list[tuple[str, ...]], list[str], list[tuple[str, ...]]]:
    codes = np.array(list(t.HOUSEHOLD_ETHNICITY), dtype=object)
    weights = list(t.HOUSEHOLD_ETHNICITY.values())
    first = codes[_pick(rng, weights, m)]
    second = codes[_pick(rng, weights, m)]
    mixed_couple = rng.random(m) < 0.12
    religion = _religions_for(rng, first).tolist()
    extra = _extra_languages(rng, first)
    ethnicities: list[tuple[str, ...]] = []
    languages: list[tuple[str, ...]] = []
    for row in range(m):
        a, b = first[row], second[row]
        ethnicities.append((a, b) if mixed_couple[row] and a != b else (a,))
        lang = extra[row]
        languages.append(("en",) if lang is None else ("en", lang))
    return ethnicities, religion, languages


def _home_ages(
    rng: Rng,
    kinds: Sequence[str],
    min_age: IntArray,
    max_age: IntArray,
    places: IntArray,
    vacancies: IntArray,
) -> list[tuple[int, ...]]:
    """Ages of the children already in each home: placed children and carers' own."""
    m = len(kinds)
    kind_array = np.array(kinds, dtype=object)
    adoptive = np.isin(kind_array, ["adopter", "ffa"])
    placed = np.where(adoptive, 0, places - vacancies)
    width = int(placed.max()) if m else 0
    span = (max_age - min_age + 1)[:, None]
    placed_ages = (min_age[:, None] + np.floor(rng.random((m, width)) * span)).astype(np.int64)
    own_draw = rng.random(m)
    own = np.where(kind_array == "foster", (own_draw < 0.35).astype(np.int64) + (own_draw < 0.1), 0)
    own = np.where(adoptive, (own_draw < 0.2).astype(np.int64), own)
    own_ages = np.where(adoptive[:, None], rng.integers(2, 15, (m, 2)), rng.integers(0, 18, (m, 2)))
    out: list[tuple[int, ...]] = []
    for row, (n_placed, n_own) in enumerate(zip(placed.tolist(), own.tolist(), strict=True)):
        if n_placed == 0 and n_own == 0:
            out.append(())
            continue
        ages = placed_ages[row, :n_placed].tolist() + own_ages[row, :n_own].tolist()
        out.append(tuple(sorted(ages)))
    return out


def _household_names(rng: Rng, kinds: Sequence[str]) -> list[str]:
    """ "The Smiths" for couples, "Ruby Ward" for single carers, "Oakfield House" for homes."""
    surname = rng.integers(len(t.SURNAMES), size=len(kinds)).tolist()
    home = rng.integers(len(t.RESIDENTIAL_NAMES), size=len(kinds)).tolist()
    couple = (rng.random(len(kinds)) < 0.7).tolist()
    female = (rng.random(len(kinds)) < 0.6).tolist()
    first = rng.integers(min(len(t.FEMALE_NAMES), len(t.MALE_NAMES)), size=len(kinds)).tolist()
    names: list[str] = []
    for row, kind in enumerate(kinds):
        family = t.SURNAMES[surname[row]]
        if kind == "residential":
            names.append(f"{t.RESIDENTIAL_NAMES[home[row]]} House")
        elif couple[row]:
            names.append(f"The {_plural(family)}")
        else:
            given = (t.FEMALE_NAMES if female[row] else t.MALE_NAMES)[first[row]]
            names.append(f"{given} {family}")
    return names


def _stranger_households(
    rng: Rng, m: int, as_of: date, geography: _Geography
) -> dict[str, list[Any]]:
    pool = _sample_pool(rng, m)
    kinds = pool.kind
    skills, considers, refuses = _skills_and_stances(rng, kinds)
    ethnicities, religion, languages = _carer_identity(rng, m)
    home_ages = _home_ages(rng, kinds, pool.min_age, pool.max_age, pool.places, pool.vacancies)
    names = _household_names(rng, kinds)
    kind_array = np.array(kinds, dtype=object)
    residential = kind_array == "residential"

    lat, lon = geography.homes(rng, m, spread_km=5.0)
    national = np.array([p == "national" for p in pool.provider], dtype=bool)
    city = rng.integers(len(t.ENGLAND_CITIES), size=m)
    city_lat = np.array([c[0] for c in t.ENGLAND_CITIES])[city]
    city_lon = np.array([c[1] for c in t.ENGLAND_CITIES])[city]
    far_lat, far_lon = _offset(city_lat, city_lon, rng.normal(0, 12, m), rng.normal(0, 12, m))
    lat = np.where(national, far_lat, lat)
    lon = np.where(national, far_lon, lon)

    cost = np.full(m, np.nan)
    for (kind, provider), (mean, sd) in t.WEEKLY_COST.items():
        rows = (kind_array == kind) & np.array([p == provider for p in pool.provider], dtype=bool)
        cost[rows] = np.maximum(rng.normal(mean, sd, int(rows.sum())), 0.5 * mean)
    smoker = (rng.random(m) < t.SMOKER_SHARE) & ~residential  # children's homes are smoke-free
    pets = rng.random(m) < np.where(residential, 0.1, t.PETS_SHARE)
    wheelchair = rng.random(m) < np.where(
        residential, t.RESIDENTIAL_WHEELCHAIR_SHARE, t.WHEELCHAIR_SHARE
    )
    # Adopters wait months to years after approval; carers and homes are long-standing.
    adoptive = np.isin(kind_array, ["adopter", "ffa"])
    waited = np.minimum(30 + rng.exponential(300.0, m), 4 * 365).astype(np.int64)
    established = rng.integers(60, 15 * 365, m)
    approved = -np.where(adoptive, waited, established)
    in_assessment = np.array([s == "in_assessment" for s in pool.status], dtype=bool)
    approved_on = _to_dates(as_of, approved, ~in_assessment)

    return {
        "name": names,
        "kind": kinds,
        "term": pool.term,
        "provider": pool.provider,
        "weekly_cost": _optional_floats(np.round(cost), 0),
        "approved_min_age": pool.min_age.tolist(),
        "approved_max_age": pool.max_age.tolist(),
        "approved_places": pool.places.tolist(),
        "max_sibling_group": pool.max_group.tolist(),
        "vacancies": pool.vacancies.tolist(),
        "skills": skills,
        "will_consider": considers,
        "will_not_consider": refuses,
        "children_in_home_ages": home_ages,
        "ethnicities": ethnicities,
        "religion": religion,
        "languages": languages,
        "smoker": smoker.tolist(),
        "pets": pets.tolist(),
        "wheelchair_access": wheelchair.tolist(),
        "lat": np.round(lat, 4).tolist(),
        "lon": np.round(lon, 4).tolist(),
        "approved_on": approved_on,
        "status": pool.status,
        "connected_child_ids": [()] * m,
    }


def _connected_households(
    rng: Rng, parts: list[list[int]], kids: _Children, children: Sequence[Child], as_of: date
) -> dict[str, list[Any]]:
    """A grandparent, aunt or family friend approved for exactly the named children."""
    count = len(parts)
    status = [t.HOUSEHOLD_STATUS_ORDER[i] for i in _pick(rng, t.CONNECTED_STATUS_WEIGHTS, count)]
    u = rng.random((count, 8)).tolist()
    shift = rng.normal(0.0, 6.0, (count, 2))
    city = rng.integers(len(t.ENGLAND_CITIES), size=count)
    own_ages = rng.integers(0, 18, (count, 2)).tolist()
    approved_days = rng.integers(14, 400, count).tolist()
    # Family mostly lives near the birth-family home; some live elsewhere in England.
    leads = np.array([rows[0] for rows in parts], dtype=np.int64)
    away = np.isnan(kids.home_lat[leads]) | (rng.random(count) >= 0.9)
    anchor_lat = np.where(
        away, np.array([c[0] for c in t.ENGLAND_CITIES])[city], kids.home_lat[leads]
    )
    anchor_lon = np.where(
        away, np.array([c[1] for c in t.ENGLAND_CITIES])[city], kids.home_lon[leads]
    )
    lats, lons = _offset(anchor_lat, anchor_lon, shift[:, 0], shift[:, 1])
    lat_list = np.round(lats, 4).tolist()
    lon_list = np.round(lons, 4).tolist()
    columns: dict[str, list[Any]] = {name: [] for name in _HOUSEHOLD_FIELDS}
    base = as_of.toordinal()
    for index, rows in enumerate(parts):
        draw = u[index]
        members = [children[r] for r in rows]  # rows ascend, so ids ascend
        lead = members[0]
        ages = [int(kids.age[r]) for r in rows]
        needs: dict[str, int] = {}
        for child in members:
            for code, level in child.needs.items():
                needs[code] = max(level, needs.get(code, 0))
        requirements = frozenset().union(*(c.requirements for c in members))
        # A connected carer asked to take a child who may not live with other children
        # has none of their own at home.
        own: tuple[int, ...] = ()
        if not requirements & _CHILD_FREE and draw[1] < 0.35:
            own = tuple(sorted(own_ages[index][: 1 + int(draw[1] < 0.1)]))
        surname = t.SURNAMES[int(draw[2] * len(t.SURNAMES))]
        if draw[3] < 0.5:
            name = f"The {_plural(surname)}"
        else:
            first_names = t.FEMALE_NAMES if draw[3] < 0.85 else t.MALE_NAMES
            name = f"{first_names[int(draw[4] * len(first_names))]} {surname}"
        values = {
            "name": name,
            "kind": "connected",
            "term": None,
            "provider": "in_house",
            "weekly_cost": None,
            "approved_min_age": min(ages),
            "approved_max_age": max(ages),
            "approved_places": len(rows),
            "max_sibling_group": len(rows),
            "vacancies": 0 if lead.status == "placed" else len(rows),
            "skills": frozenset(),
            "will_consider": needs,
            "will_not_consider": frozenset(),
            "children_in_home_ages": own,
            "ethnicities": (lead.ethnicity,),
            "religion": lead.religion,
            "languages": lead.languages or ("en",),
            "smoker": draw[5] < 0.2 and "no_smokers" not in requirements,
            "pets": draw[6] < 0.45 and "no_pets" not in requirements,
            "wheelchair_access": "wheelchair_access" in requirements and draw[7] < 0.6,
            "lat": lat_list[index],
            "lon": lon_list[index],
            "approved_on": None
            if status[index] == "in_assessment"
            else date.fromordinal(base - approved_days[index]),
            "status": status[index],
            "connected_child_ids": tuple(c.child_id for c in members),
        }
        for name_, value in values.items():
            columns[name_].append(value)
    return columns


# ---------------------------------------------------------------- the authority


def generate_authority(
    n_children: int, n_households: int, *, seed: int = 0, as_of: date
) -> Authority:
    """A synthetic authority of exactly `n_children` children and `n_households` households.

    Deterministic: the same (n_children, n_households, seed, as_of) give an equal
    authority, and the children and links do not depend on `n_households` (but for
    `placed_with`, which names a household of the pool). Every value
    is valid under `matching.vocab` and the rules of shared/domain.md, and sibling
    assessments never contradict one another. Ids are `C000001`... and `H000001`...,
    zero-padded so they sort.

    Kinship, SGO and CAO children mostly get a connected household naming them (or
    their together-group); these count towards `n_households`, up to a third of it,
    and the rest of the pool is foster, adopter, FfA and residential households.
    """
    if n_children < 0 or n_households < 0:
        raise ValueError("n_children and n_households cannot be negative")
    child_seq, link_seq, household_seq, placement_seq = np.random.SeedSequence(seed).spawn(4)
    child_rng = np.random.default_rng(child_seq)
    geography = _Geography.around(child_rng, t.COUNTY_CENTRE)
    kids = _sample_children(child_rng, n_children, as_of, geography)
    _form_sibling_groups(child_rng, kids)
    children = _build_children(child_rng, kids, as_of)
    links = _sibling_links(np.random.default_rng(link_seq), kids, as_of)

    rng = np.random.default_rng(household_seq)
    parts = _kinship_parts(kids)
    keep = rng.random(len(parts)) < t.CONNECTED_SHARE
    parts = [part for part, k in zip(parts, keep.tolist(), strict=True) if k]
    cap = int(t.CONNECTED_MAX_SHARE_OF_POOL * n_households)
    if len(parts) > cap:
        chosen = np.sort(rng.choice(len(parts), size=cap, replace=False)).tolist()
        parts = [parts[i] for i in chosen]
    connected = _connected_households(rng, parts, kids, children, as_of)
    strangers = _stranger_households(rng, n_households - len(parts), as_of, geography)
    # Connected households are spread through the id sequence, not all first.
    order = rng.permutation(n_households).tolist()
    columns: dict[str, Sequence[Any]] = {"household_id": _ids("H", n_households)}
    for name in _HOUSEHOLD_FIELDS:
        combined = connected[name] + strangers[name]
        columns[name] = [combined[i] for i in order]
    households = _records(Household, _HOUSEHOLD_ALL_FIELDS, columns)
    records_rng = np.random.default_rng(placement_seq)
    children = _placements(records_rng, children, households, as_of)
    links = _relationships_as_recorded(records_rng, links)
    return Authority(children=tuple(children), households=tuple(households), links=tuple(links))
