"""The household pool as numpy arrays, built once and reused by every shortlist.

Each household is one row; each attribute the rules or the scoring read is one column
(codes, bitmasks, numbers). A shortlist then filters and scores the whole pool with a
handful of vectorised operations instead of a Python loop over households.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import numpy as np
import numpy.typing as npt

from matching.domain import Household
from matching.vocab import (
    ETHNICITIES,
    FAMILY_BASED_PLANS,
    NEED_CODES,
    PLANS,
    PROVIDERS,
    RELIGIONS,
    SKILL_CODES,
)

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

KIND_CODES: dict[str, int] = {
    "foster": 0,
    "adopter": 1,
    "ffa": 2,
    "connected": 3,
    "residential": 4,
}
TERM_CODES: dict[str | None, int] = {None: 0, "short": 1, "long": 2, "both": 3}
PROVIDER_CODES: dict[str, int] = {p: i for i, p in enumerate(sorted(PROVIDERS))}
RELIGION_CODES: dict[str, int] = {r: i for i, r in enumerate(sorted(RELIGIONS))}
NEED_INDEX: dict[str, int] = {code: i for i, code in enumerate(NEED_CODES)}
SKILL_BITS: dict[str, int] = {code: 1 << i for i, code in enumerate(sorted(SKILL_CODES))}
ETHNICITY_BITS: dict[str, int] = {code: 1 << i for i, code in enumerate(sorted(ETHNICITIES))}

# DfE census broad groups; REFU (refused) and NOBT (not obtained) carry no information.
BROAD_GROUPS: dict[str, str] = {
    "WBRI": "White",
    "WIRI": "White",
    "WIRT": "White",
    "WOTH": "White",
    "WROM": "White",
    "MWBC": "Mixed",
    "MWBA": "Mixed",
    "MWAS": "Mixed",
    "MOTH": "Mixed",
    "AIND": "Asian",
    "APKN": "Asian",
    "ABAN": "Asian",
    "AOTH": "Asian",
    "BCRB": "Black",
    "BAFR": "Black",
    "BOTH": "Black",
    "CHNE": "Other",
    "OOTH": "Other",
}
BROAD_GROUP_BITS: dict[str, int] = {
    g: 1 << i for i, g in enumerate(sorted(set(BROAD_GROUPS.values())))
}

# Which household kinds (and foster terms) serve which plan; `connected` is handled
# apart because it serves only the children it is connected to (rule
# `connected_to_child`), for any family-based plan.
_PLAN_KINDS: dict[str, frozenset[str]] = {
    "adoption": frozenset({"adopter", "ffa"}),
    "ffa": frozenset({"ffa"}),
    "long_term_foster": frozenset({"foster"}),
    "residential": frozenset({"residential"}),
    "kinship": frozenset(),
    "sgo": frozenset(),
    "cao": frozenset(),
}
_LONG_TERMS = frozenset({TERM_CODES["long"], TERM_CODES["both"]})

# Sentinel ages for an empty home: no child younger than 99, none older than -1.
NO_CHILD_MIN_AGE = 99
NO_CHILD_MAX_AGE = -1


class HouseholdPool:
    """Column arrays over a fixed tuple of households (row i = `households[i]`)."""

    def __init__(self, households: Sequence[Household]) -> None:
        hs = tuple(households)
        n = len(hs)
        self.households: tuple[Household, ...] = hs
        self.size = n
        self.ids: tuple[str, ...] = tuple(h.household_id for h in hs)
        self.index: dict[str, int] = {hid: i for i, hid in enumerate(self.ids)}
        order = sorted(range(n), key=lambda i: self.ids[i])
        self.id_rank = np.empty(n, dtype=np.int64)
        self.id_rank[order] = np.arange(n, dtype=np.int64)

        self.kind = np.array([KIND_CODES[h.kind] for h in hs], dtype=np.int8)
        self.term = np.array([TERM_CODES[h.term] for h in hs], dtype=np.int8)
        self.available = np.array([h.status == "available" for h in hs], dtype=bool)
        self.is_connected = self.kind == KIND_CODES["connected"]
        self.min_age = np.array([h.approved_min_age for h in hs], dtype=np.int16)
        self.max_age = np.array([h.approved_max_age for h in hs], dtype=np.int16)
        self.places = np.array([h.approved_places for h in hs], dtype=np.int16)
        self.max_group = np.array([h.max_sibling_group for h in hs], dtype=np.int16)
        self.vacancies = np.array([h.vacancies for h in hs], dtype=np.int16)
        # The smallest of the three capacity limits: one comparison per shortlist.
        self.capacity = np.minimum(np.minimum(self.places, self.max_group), self.vacancies)
        # Known facts only: a fact the register does not record (None) is neither, so a
        # hard rule never excludes on it (the shortlist asks the question instead).
        self.smoker = np.array([h.smoker is True for h in hs], dtype=bool)
        self.pets = np.array([h.pets is True for h in hs], dtype=bool)
        self.wheelchair = np.array([h.wheelchair_access is True for h in hs], dtype=bool)
        self.no_wheelchair = np.array([h.wheelchair_access is False for h in hs], dtype=bool)

        self.lat = np.array([h.lat for h in hs], dtype=np.float64)
        self.lon = np.array([h.lon for h in hs], dtype=np.float64)
        self.lat_rad = np.radians(self.lat)
        self.lon_rad = np.radians(self.lon)
        self.cos_lat = np.cos(self.lat_rad)
        self._index_latitudes()

        self.skills = np.array([_bits(h.skills, SKILL_BITS) for h in hs], dtype=np.int64).reshape(n)
        self.will_not_consider = np.array(
            [_bits(h.will_not_consider, _NEED_BITS) for h in hs], dtype=np.int64
        ).reshape(n)
        # Highest level of each need the household will take on; 0 = not stated.
        self.will_consider = np.zeros((n, len(NEED_CODES)), dtype=np.int8)
        for i, h in enumerate(hs):
            for code, level in h.will_consider.items():
                self.will_consider[i, NEED_INDEX[code]] = level

        width = max((len(h.children_in_home_ages) for h in hs), default=0)
        self.home_ages = np.full((n, max(width, 1)), -1, dtype=np.int16)
        for i, h in enumerate(hs):
            ages = h.children_in_home_ages
            self.home_ages[i, : len(ages)] = ages
        self.home_count = np.array([len(h.children_in_home_ages) for h in hs], dtype=np.int16)
        self.has_children = self.home_count > 0
        self.home_min_age = np.array(
            [min(h.children_in_home_ages, default=NO_CHILD_MIN_AGE) for h in hs], dtype=np.int16
        )
        self.home_max_age = np.array(
            [max(h.children_in_home_ages, default=NO_CHILD_MAX_AGE) for h in hs], dtype=np.int16
        )

        self.provider = np.array([PROVIDER_CODES[h.provider] for h in hs], dtype=np.int8)
        self.in_house = self.provider == PROVIDER_CODES["in_house"]
        self.weekly_cost = np.array(
            [np.nan if h.weekly_cost is None else h.weekly_cost for h in hs], dtype=np.float64
        )
        self.has_approved_on = np.array([h.approved_on is not None for h in hs], dtype=bool)
        self.approved_on = np.array(
            [h.approved_on.toordinal() if h.approved_on else 0 for h in hs], dtype=np.int64
        )

        self.ethnicity = np.array(
            [_bits(h.ethnicities, ETHNICITY_BITS) for h in hs], dtype=np.int64
        ).reshape(n)
        self.ethnic_group = np.array(
            [
                _bits(
                    {BROAD_GROUPS[e] for e in h.ethnicities if e in BROAD_GROUPS}, BROAD_GROUP_BITS
                )
                for h in hs
            ],
            dtype=np.int64,
        ).reshape(n)
        self.religion = np.array(
            [RELIGION_CODES[h.religion] if h.religion else -1 for h in hs], dtype=np.int8
        )
        # One boolean column per language spoken anywhere in the pool.
        speakers: dict[str, list[int]] = {}
        for i, h in enumerate(hs):
            for lang in h.languages:
                speakers.setdefault(lang, []).append(i)
        self._language: dict[str, BoolArray] = {}
        for lang, rows in speakers.items():
            col = np.zeros(n, dtype=bool)
            col[rows] = True
            self._language[lang] = col

        # Inverse index of connected persons: child id -> rows connected to that child.
        linked: dict[str, list[int]] = {}
        for i, h in enumerate(hs):
            for child_id in set(h.connected_child_ids):
                linked.setdefault(child_id, []).append(i)
        self._connected_rows = {c: np.array(r, dtype=np.int64) for c, r in linked.items()}

        self._served: dict[str, BoolArray] = {}
        self._zeros = np.zeros(n, dtype=bool)
        # Rules may hand these columns out as masks: nobody may write through them.
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    def _index_latitudes(self) -> None:
        # Rows by latitude: a distance rule looks only at the band of latitudes that can
        # be within its radius (great-circle distance >= radius x latitude difference).
        self.lat_order = np.argsort(self.lat_rad, kind="stable").astype(np.int64)
        self.lat_sorted = self.lat_rad[self.lat_order]

    @classmethod
    def from_households(cls, households: Iterable[Household]) -> HouseholdPool:
        """Build the arrays for a pool of households (row order = iteration order)."""
        return cls(tuple(households))

    def take(self, rows: Sequence[int] | IntArray) -> HouseholdPool:
        """The pool of `rows` (in that order), sliced from these arrays instead of rebuilt
        from the households; equal to `from_households` of those households (tested)."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        sub = object.__new__(HouseholdPool)
        for name, value in vars(self).items():
            if isinstance(value, np.ndarray):
                setattr(sub, name, value[rows])
        n = len(rows)
        sub.households = tuple(self.households[i] for i in rows.tolist())
        sub.size = n
        sub.ids = tuple(self.ids[i] for i in rows.tolist())
        sub.index = {hid: i for i, hid in enumerate(sub.ids)}
        sub.id_rank = np.empty(n, dtype=np.int64)
        sub.id_rank[sorted(range(n), key=lambda i: sub.ids[i])] = np.arange(n, dtype=np.int64)
        sub.home_ages = sub.home_ages[:, : max(int(sub.home_count.max(initial=0)), 1)]
        sub._index_latitudes()
        sub._language = {}
        for lang, col in self._language.items():
            if bool(col[rows].any()):
                sub._language[lang] = col[rows]
        position = np.full(self.size, -1, dtype=np.int64)
        position[rows] = np.arange(n, dtype=np.int64)
        sub._connected_rows = {}
        for child_id, linked in self._connected_rows.items():
            mapped = position[linked]
            if bool((mapped >= 0).any()):
                sub._connected_rows[child_id] = np.sort(mapped[mapped >= 0])
        sub._served = {}
        sub._zeros = np.zeros(n, dtype=bool)
        for value in vars(sub).values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
        return sub

    def speaks_any(self, languages: Iterable[str], rows: IntArray | None = None) -> BoolArray:
        """Whether each household (of `rows`, or of the pool) speaks one of `languages`."""
        out = self._zeros.copy() if rows is None else np.zeros(len(rows), dtype=bool)
        for lang in languages:
            col = self._language.get(lang)
            if col is not None:
                out |= col if rows is None else col[rows]
        return out

    def connected_rows(self, child_id: str) -> IntArray:
        """Rows of the connected households linked to `child_id`."""
        rows = self._connected_rows.get(child_id)
        return rows if rows is not None else np.zeros(0, dtype=np.int64)

    def connected_child_ids(self) -> list[str]:
        """Ids of the children some household of the pool is connected to."""
        return list(self._connected_rows)

    def served(self, plan: str) -> BoolArray:
        """Rows whose kind serves `plan` (connected households: any family-based plan)."""
        cached = self._served.get(plan)
        if cached is not None:
            return cached
        if plan not in PLANS:
            raise ValueError(f"unknown plan {plan!r}")
        kinds = _PLAN_KINDS.get(plan, frozenset())
        mask = np.isin(self.kind, [KIND_CODES[k] for k in kinds])
        if plan == "long_term_foster":
            mask &= np.isin(self.term, sorted(_LONG_TERMS))
        if plan in FAMILY_BASED_PLANS:
            mask |= self.is_connected
        mask.flags.writeable = False
        self._served[plan] = mask
        return mask

    def feature_arrays(self) -> list[npt.NDArray[np.generic]]:
        """Every per-household feature column (for measuring the cost of one pass)."""
        return [
            self.kind, self.term, self.available, self.min_age, self.max_age, self.places,
            self.max_group, self.vacancies, self.smoker, self.pets, self.wheelchair,
            self.no_wheelchair,
            self.lat_rad, self.lon_rad, self.cos_lat, self.skills, self.will_not_consider,
            self.will_consider, self.home_ages, self.home_min_age, self.home_max_age,
            self.provider, self.weekly_cost, self.approved_on, self.ethnicity,
            self.ethnic_group, self.religion,
        ]  # fmt: skip

    def days_since_approval(self, rows: IntArray, as_of: date) -> FloatArray:
        """Days from approval to `as_of` for `rows` (0 when the date is unknown)."""
        days = (as_of.toordinal() - self.approved_on[rows]).astype(np.float64)
        days[~self.has_approved_on[rows]] = 0.0
        return np.maximum(days, 0.0)


_NEED_BITS: dict[str, int] = {code: 1 << i for i, code in enumerate(NEED_CODES)}


def need_bits(codes: Iterable[str]) -> int:
    """Bitmask of need codes, as stored in `HouseholdPool.will_not_consider`."""
    return _bits(codes, _NEED_BITS)


def skill_bit(code: str) -> int:
    """Bit of one skill code, as stored in `HouseholdPool.skills`."""
    return SKILL_BITS[code]


def _bits(codes: Iterable[str], table: dict[str, int]) -> int:
    value = 0
    for code in codes:
        value |= table.get(code, 0)
    return value
