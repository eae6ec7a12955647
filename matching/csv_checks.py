"""Rules on typed records of the interchange format (shared/domain.md).

`child_problems`, `household_problems` and `link_problems` check one record's values:
vocabularies, required values, ranges and the rules that tie two cells together. They
take a mapping from column name to typed value holding only the columns that could be
read, so a cell that failed to parse does not also trigger every rule that mentions it.
The same functions check records built in memory (an API import, the generator), so
both ways in obey one set of rules. Each returns (column, reason) pairs, empty when the
record is fine; they are written flat (no helper per cell on the happy path) because
they run once per row of files with a hundred thousand rows.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from typing import Any

from matching import vocab

Found = list[tuple[str, str]]

_LANGUAGE = re.compile(r"[a-z]{2,3}")
_SNAKE = re.compile(r"[a-z][a-z0-9_]*")
_NEED_CODES = frozenset(vocab.NEED_CODES)
_PLANS = frozenset(vocab.PLANS)
_LEVELS = frozenset(vocab.NEED_LEVELS)
_AGES = range(vocab.MAX_CHILD_AGE + 1)
_EMPTY = (None, "")
# Required columns whose cell may be empty: the register does not record the fact.
_HOUSEHOLD_CELLS_REQUIRED = vocab.HOUSEHOLD_REQUIRED - vocab.MAY_BE_NOT_RECORDED


class _Memo:
    """Strings already found to match a pattern; real files repeat a few codes often."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.good: set[str] = set()

    def bad(self, items: Iterable[str]) -> list[str]:
        good = self.good
        bad = []
        for item in items:
            if item in good:
                continue
            if self.pattern.fullmatch(item):
                if len(good) < 10_000:
                    good.add(item)
            else:
                bad.append(item)
        return bad


_LANGUAGES = _Memo(_LANGUAGE)
_WISHES = _Memo(_SNAKE)


def _listed(items: Iterable[Any]) -> str:
    return ", ".join(repr(item) for item in items)


def _not_one_of(found: Found, column: str, value: Any, allowed: Collection[str], what: str) -> None:
    found.append((column, f"{value!r} is not {what}; expected one of {', '.join(sorted(allowed))}"))


def _not_codes(
    found: Found, column: str, codes: Iterable[str], allowed: Collection[str], what: str
) -> None:
    unknown = [code for code in codes if code not in allowed]
    found.append(
        (column, f"{_listed(unknown)} not {what}; expected codes from {', '.join(sorted(allowed))}")
    )


def _required(found: Found, values: Mapping[str, Any], columns: Iterable[str]) -> None:
    for column in columns:
        if column in values and values[column] in _EMPTY:
            found.append((column, "a value is required here; the cell is empty"))


_GOOD_IDS: set[str] = set()  # ids already found usable (a link names a child many times)


def _id(found: Found, column: str, value: Any) -> None:
    # An id must be addressable by the API (/api/children/{id}): no '<', '"', '/', no
    # look-alike Cyrillic letters, nothing longer than the path segment accepts.
    if not isinstance(value, str) or not value or value in _GOOD_IDS:
        return
    if vocab.ID_PATTERN.fullmatch(value) and value.strip("."):
        if len(_GOOD_IDS) < 200_000:
            _GOOD_IDS.add(value)
        return
    shown = repr(value if len(value) <= 40 else value[:40] + "...")
    size = f" ({len(value):,} characters)" if len(value) > vocab.ID_MAX_LENGTH else ""
    found.append((column, f"{shown}{size} is not a usable id: ids are {vocab.ID_RULE}"))


def _languages(found: Found, codes: Iterable[str]) -> None:
    bad = _LANGUAGES.bad(codes)
    if bad:
        found.append(
            ("languages", f"{_listed(bad)} not a language code: use lower-case ISO 639 or bsl")
        )


def _graded(found: Found, column: str, graded: Mapping[str, int]) -> None:
    if not _NEED_CODES.issuperset(graded):
        _not_codes(found, column, graded, _NEED_CODES, "a need code")
    for code, level in graded.items():
        if level not in _LEVELS:
            found.append(
                (column, f"{code}:{level} has level {level}; use 1 (additional) or 2 (complex)")
            )


def _non_negative(found: Found, column: str, value: Any) -> None:
    if value is not None and value < 0:
        found.append((column, f"{value} is negative; a distance or cost cannot be below 0"))


def _lat_lon(
    found: Found, values: Mapping[str, Any], lat_column: str, lon_column: str, optional: bool
) -> None:
    lat, lon = values.get(lat_column), values.get(lon_column)
    if lat is not None and not -90 <= lat <= 90:
        found.append((lat_column, f"latitude {lat} is outside -90..90"))
    if lon is not None and not -180 <= lon <= 180:
        found.append((lon_column, f"longitude {lon} is outside -180..180"))
    if not optional:
        return  # both are required, and a missing one is reported as such
    if lat is not None and lon is None and lon_column in values:
        found.append((lon_column, f"{lat_column} is given, so {lon_column} is needed too"))
    if lon is not None and lat is None and lat_column in values:
        found.append((lat_column, f"{lon_column} is given, so {lat_column} is needed too"))


def child_problems(values: Mapping[str, Any], *, as_of: date) -> Found:
    """Rules on one child's values (see the module docstring)."""
    found: Found = []
    get = values.get
    _required(found, values, vocab.CHILD_REQUIRED)
    _id(found, "child_id", get("child_id"))
    for column, allowed, what in (
        ("sex", vocab.SEXES, "a sex"),
        ("ethnicity", vocab.ETHNICITIES, "a DfE ethnicity code"),
        ("religion", vocab.RELIGIONS, "a religion"),
        ("legal_status", vocab.LEGAL_STATUSES, "a DfE legal status"),
        ("plan", _PLANS, "a permanence plan"),
        ("status", vocab.CHILD_STATUSES, "a child status"),
    ):
        value = get(column)
        if value not in allowed and value not in _EMPTY:
            _not_one_of(found, column, value, allowed, what)
    languages = get("languages")
    if languages:
        _languages(found, languages)
    needs = get("needs")
    if needs:
        _graded(found, "needs", needs)
    requirements = get("requirements")
    if requirements and not vocab.REQUIREMENTS.issuperset(requirements):
        _not_codes(found, "requirements", requirements, vocab.REQUIREMENTS, "a requirement")
    wishes = get("wishes")
    if wishes:
        bad = _WISHES.bad(wishes)
        if bad:
            found.append(
                ("wishes", f"{_listed(bad)} not a wish code: use lower-case words joined by _")
            )

    placed_with = get("placed_with")
    if placed_with:
        _id(found, "placed_with", placed_with)
        if get("status") == "waiting":
            found.append(
                (
                    "placed_with",
                    f"the child is waiting, so placed_with ({placed_with}) must be empty: "
                    "it records the household a placed or matched child lives in",
                )
            )
    facts = get("facts")
    if facts and not vocab.FACT_KEYS.keys() >= facts.keys():
        _not_codes(found, "facts", facts, vocab.FACT_KEYS, "a fact key")

    born = get("date_of_birth")
    if born is not None:
        entered = get("entered_care_on")
        order = get("placement_order_on")
        if order is not None and order < born:
            found.append(("placement_order_on", f"{order} is before the date of birth {born}"))
        if born <= as_of and _age_on(born, as_of) > vocab.MAX_CHILD_AGE:
            # Looked-after children are under 18 (Children Act 1989 s.105(1)): an adult
            # in the file is a stale extract or a care leaver, never a child to match.
            found.append(
                (
                    "date_of_birth",
                    f"born {born}, the young person is {_age_on(born, as_of)} on {as_of}: "
                    "looked-after children are under 18; leave care leavers out of the file",
                )
            )
        if born > as_of:
            # Pre-birth planning: the child is not yet in care and has no legal order.
            if entered is not None:
                found.append(
                    (
                        "entered_care_on",
                        f"the child is unborn (due {born}), so entered_care_on must be empty",
                    )
                )
            if get("legal_status"):
                found.append(
                    (
                        "legal_status",
                        f"the child is unborn (due {born}), so legal_status must be empty",
                    )
                )
        elif entered is not None and entered < born:
            found.append(("entered_care_on", f"{entered} is before the date of birth {born}"))

    _lat_lon(found, values, "home_lat", "home_lon", True)
    _lat_lon(found, values, "school_lat", "school_lon", True)
    _non_negative(found, "family_time_max_km", get("family_time_max_km"))
    _non_negative(found, "min_distance_km", get("min_distance_km"))
    if (
        get("min_distance_km") is not None
        and "home_lat" in values
        and "home_lon" in values
        and (values["home_lat"] is None or values["home_lon"] is None)
    ):
        found.append(
            (
                "min_distance_km",
                "a safeguarding distance needs the birth-family home: give home_lat and home_lon",
            )
        )
    return found


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _age(found: Found, column: str, value: Any) -> None:
    if value is not None and value not in _AGES:
        found.append((column, f"{value} is not an age 0..{vocab.MAX_CHILD_AGE}"))


def household_problems(values: Mapping[str, Any]) -> Found:
    """Rules on one household's values (see the module docstring)."""
    found: Found = []
    get = values.get
    _required(found, values, _HOUSEHOLD_CELLS_REQUIRED)
    _id(found, "household_id", get("household_id"))
    kind = get("kind")
    for column, allowed, what in (
        ("kind", vocab.HOUSEHOLD_KINDS, "a household kind"),
        ("term", vocab.FOSTER_TERMS, "a foster term"),
        ("provider", vocab.PROVIDERS, "a provider"),
        ("status", vocab.HOUSEHOLD_STATUSES, "a household status"),
        ("religion", vocab.RELIGIONS, "a religion"),
    ):
        value = get(column)
        if value not in allowed and value not in _EMPTY:
            _not_one_of(found, column, value, allowed, what)
    languages = get("languages")
    if languages:
        _languages(found, languages)
    ethnicities = get("ethnicities")
    if ethnicities and not vocab.ETHNICITIES.issuperset(ethnicities):
        _not_codes(found, "ethnicities", ethnicities, vocab.ETHNICITIES, "a DfE ethnicity code")
    skills = get("skills")
    if skills and not vocab.SKILL_CODES.issuperset(skills):
        _not_codes(found, "skills", skills, vocab.SKILL_CODES, "a skill")
    will_consider = get("will_consider") or {}
    if will_consider:
        _graded(found, "will_consider", will_consider)
    refused = get("will_not_consider") or ()
    if refused:
        if not _NEED_CODES.issuperset(refused):
            _not_codes(found, "will_not_consider", refused, _NEED_CODES, "a need code")
        both = sorted(set(will_consider).intersection(refused))
        if both:
            found.append(
                (
                    "will_not_consider",
                    f"{', '.join(both)} also in will_consider: "
                    "a need is either considered or refused",
                )
            )
    _non_negative(found, "weekly_cost", get("weekly_cost"))

    known_kind = kind in vocab.HOUSEHOLD_KINDS
    if "term" in values:
        if kind == "foster" and values["term"] in _EMPTY:
            found.append(("term", "a foster household needs a term: short, long or both"))
        elif known_kind and kind != "foster" and values["term"]:
            found.append(("term", f"only foster households have a term; leave it empty for {kind}"))
    if "connected_child_ids" in values:
        connected = values["connected_child_ids"]
        if kind == "connected" and not connected:
            found.append(
                (
                    "connected_child_ids",
                    "a connected household is approved only for named children: list their ids",
                )
            )
        elif known_kind and kind != "connected" and connected:
            found.append(
                (
                    "connected_child_ids",
                    f"only connected households name children; leave it empty for {kind}",
                )
            )
        for child_id in connected:
            _id(found, "connected_child_ids", child_id)

    low, high = get("approved_min_age"), get("approved_max_age")
    _age(found, "approved_min_age", low)
    _age(found, "approved_max_age", high)
    if low is not None and high is not None and low > high:
        found.append(
            ("approved_max_age", f"the age range is upside down: min {low} is above max {high}")
        )
    ages = get("children_in_home_ages")
    if ages:
        bad_ages = [age for age in ages if age not in _AGES]
        if bad_ages:
            listed = ", ".join(str(age) for age in bad_ages)
            found.append(("children_in_home_ages", f"{listed} not an age 0..{vocab.MAX_CHILD_AGE}"))

    places = get("approved_places")
    if places is not None and places < 1:
        found.append(("approved_places", f"{places} places; an approved household has at least 1"))
    places_ok = places is not None and places >= 1
    vacancies = get("vacancies")
    if vacancies is not None:
        if vacancies < 0:
            found.append(("vacancies", f"{vacancies} is a negative vacancy"))
        elif places_ok and vacancies > places:
            found.append(
                ("vacancies", f"{vacancies} vacancies is more than the {places} approved places")
            )
    group = get("max_sibling_group")
    if group is not None:
        if group < 1:
            found.append(("max_sibling_group", f"{group}; the largest sibling group is at least 1"))
        elif places_ok and group > places:
            found.append(
                (
                    "max_sibling_group",
                    f"a sibling group of {group} is more than the {places} approved places",
                )
            )
    _lat_lon(found, values, "lat", "lon", False)
    return found


def link_problems(values: Mapping[str, Any]) -> Found:
    """Rules on one sibling link's values (see the module docstring)."""
    found: Found = []
    get = values.get
    _required(found, values, vocab.LINK_REQUIRED)
    a, b = get("child_a"), get("child_b")
    _id(found, "child_a", a)
    _id(found, "child_b", b)
    for column, allowed, what in (
        ("relationship", vocab.RELATIONSHIPS, "a relationship"),
        ("assessment", vocab.ASSESSMENTS, "an assessment"),
    ):
        value = get(column)
        if value not in allowed and value not in _EMPTY:
            _not_one_of(found, column, value, allowed, what)
    if a and a == b:
        found.append(
            ("child_b", f"{a} is linked to itself; a sibling link joins two different children")
        )
    return found
