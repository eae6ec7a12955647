"""Soft criteria: named, weighted, explained contributions to a 0-100 score.

Each criterion is a pair of small functions: `fraction` gives every household (rows of
the pool, vectorised) a credit in 0..1, and `reason` explains one household's credit
in a sentence a family finder understands. Only criteria that apply to the unit count:
their policy weights are rescaled so that their `max_points` sum to 100, and a
household's score is exactly the sum of its contributions' points. Reasons and
questions are built only for the few households actually shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from matching import labels
from matching.domain import Child, Household
from matching.geo import haversine_km, haversine_km_to_many
from matching.legal_status import ffa_duty_applies
from matching.match_warnings import LAST_APPROVED_AGE, LONG_TERM_PLAN
from matching.phrases import ages_at_home, join_words
from matching.policy import Policy
from matching.pool import (
    BROAD_GROUP_BITS,
    BROAD_GROUPS,
    ETHNICITY_BITS,
    KIND_CODES,
    NEED_INDEX,
    PROVIDER_CODES,
    RELIGION_CODES,
    BoolArray,
    FloatArray,
    HouseholdPool,
    IntArray,
    skill_bit,
)
from matching.rules import UnitFeatures
from matching.vocab import NEED_CODES, NEED_LEVELS

ADOPTION_PLANS = frozenset({"adoption", "ffa"})
_ADOPTIVE_KINDS = (KIND_CODES["adopter"], KIND_CODES["ffa"])
_PROVIDER_NAMES = {
    "in_house": "in-house carers (no agency fee)",
    "ifa": "an independent fostering agency",
    "raa": "the regional adoption agency",
    "national": "the national adopter pool",
    "private": "a private provider",
}
KNOWN_WISHES = ("pets", "near_school", "same_religion", "same_language")


@dataclass(frozen=True)
class Contribution:
    """One criterion's share of a household's score, with its reason."""

    criterion: str
    points: float
    max_points: float
    reason: str


@dataclass(frozen=True)
class Criterion:
    """A soft criterion: when it applies, its per-household credit, and its explanation."""

    name: str
    applies: Callable[[UnitFeatures, Policy], bool]
    fraction: Callable[[UnitFeatures, HouseholdPool, IntArray, Policy], FloatArray]
    reason: Callable[[UnitFeatures, Household, Policy], str]


# -- helpers ------------------------------------------------------------------------


def _label(code: str) -> str:
    """A need in words, as it reads inside a sentence (matching.labels)."""
    return labels.lower(labels.label("need", code))


def _words(vocabulary: str, codes: Iterable[str]) -> str:
    """Codes of one vocabulary in words, joined as a sentence lists them."""
    return join_words(labels.lower(labels.label(vocabulary, c)) for c in sorted(codes))


def _level(level: int) -> str:
    return NEED_LEVELS.get(level, str(level))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _the_child(unit: UnitFeatures) -> str:
    return "the child" if unit.size == 1 else "the children"


def _years(n: int) -> str:
    return f"{n} year" if n == 1 else f"{n} years"


def _has_home(child: Child) -> bool:
    return child.home_lat is not None and child.home_lon is not None


def _has_school(child: Child) -> bool:
    return child.school_lat is not None and child.school_lon is not None


def _distance(pool: HouseholdPool, rows: IntArray, lat: float, lon: float) -> FloatArray:
    return haversine_km_to_many(
        lat, lon, pool.lat_rad[rows], pool.lon_rad[rows], pool.cos_lat[rows]
    )


def _ramp(km: FloatArray, radius: float) -> FloatArray:
    """Full credit at 0 km, half at the radius, none at twice the radius."""
    credit: FloatArray = np.maximum(1.0 - km / (2.0 * radius), 0.0)
    return credit


def _mean(parts: list[FloatArray]) -> FloatArray:
    """Element-wise mean of a few equal-length arrays (cheaper than np.mean on a list)."""
    total = parts[0].copy()
    for part in parts[1:]:
        total += part
    if len(parts) > 1:
        total /= len(parts)
    return total


def _km(lat: float | None, lon: float | None, h: Household) -> float:
    assert lat is not None and lon is not None
    return haversine_km(lat, lon, h.lat, h.lon)


# -- needs --------------------------------------------------------------------------


def _needed(unit: UnitFeatures) -> list[int]:
    return [NEED_INDEX[code] for code, _ in unit.needed]


def _needs_applies(unit: UnitFeatures, policy: Policy | None = None) -> bool:
    return unit.need_mask != 0


def _needs_fraction(
    unit: UnitFeatures, pool: HouseholdPool, rows: IntArray, policy: Policy
) -> FloatArray:
    p = policy.needs
    needed = _needed(unit)
    wanted = unit.need_levels[needed]
    accepted = pool.will_consider[rows][:, needed]
    tolerance = np.where(
        accepted >= wanted,
        1.0,
        np.where(accepted > 0, p.lower_level_credit, p.not_stated_credit),
    )
    masks = np.array([skill_bit(NEED_CODES[j]) for j in needed], dtype=np.int64)
    skilled = (pool.skills[rows][:, None] & masks[None, :]) != 0
    credit = p.tolerance_share * tolerance + (1.0 - p.tolerance_share) * skilled
    result: FloatArray = credit.mean(axis=1)
    return result


def _needs_reason(unit: UnitFeatures, h: Household, policy: Policy) -> str:
    parts = []
    whose = "the child's" if unit.size == 1 else "the children's highest"
    for code, wanted in unit.needed:
        accepted = h.will_consider.get(code, 0)
        skilled = code in h.skills
        name = _label(code)
        if accepted >= wanted:
            head = f"approved for {name} at {_level(accepted)} level"
        elif accepted > 0:
            head = f"accepts {name} only at {_level(accepted)} level"
        else:
            head = f"has not said whether it would consider {name}"
        skill = " and trained or experienced in it" if skilled else ", no recorded skill in it"
        parts.append(f"{head}{skill} ({whose} {name} is {_level(wanted)})")
    return "Household " + "; ".join(parts)


def need_questions(unit: UnitFeatures, h: Household) -> list[str]:
    """Questions for the family finder: needs not stated, or accepted at a lower level."""
    questions = []
    for code, wanted in unit.needed:
        accepted = h.will_consider.get(code, 0)
        name = _label(code)
        if accepted == 0:
            questions.append(
                f"Ask whether the household would consider {name} at {_level(wanted)} level: "
                "they have neither accepted nor refused it."
            )
        elif accepted < wanted:
            questions.append(
                f"Ask whether the household could meet {name} at {_level(wanted)} level: "
                f"they have accepted it only at {_level(accepted)} level."
            )
    return questions


_UNDER_FIVE = 5  # fostering guidance: no smoking where a child under five lives (rules.py)


def unrecorded_questions(unit: UnitFeatures, h: Household) -> list[str]:
    """Questions for facts the household's register does not record, where they matter
    to this unit: never assumed either way, so a person asks (issue #14)."""
    questions = []
    reqs = unit.requirements
    if h.smoker is None and (min(unit.ages) < _UNDER_FIVE or "no_smokers" in reqs):
        why = "must not live with smokers" if "no_smokers" in reqs else "is under five"
        questions.append(
            f"Ask whether anyone in the household smokes: the register does not record it, "
            f"and {_the_child(unit)} {why}."
        )
    wants_pets = any("pets" in c.wishes for c in unit.children)
    if h.pets is None and ("no_pets" in reqs or wants_pets):
        why = "cannot live with pets" if "no_pets" in reqs else "would like a home with pets"
        questions.append(
            f"Ask whether the household has pets: the register does not record it, and "
            f"{_the_child(unit)} {why}."
        )
    if h.wheelchair_access is None and "wheelchair_access" in reqs:
        questions.append(
            "Ask whether the home has wheelchair access: the register does not record it, "
            f"and {_the_child(unit)} needs it."
        )
    spoken = sorted({lang for c in unit.children for lang in c.languages})
    if not h.languages and spoken:
        questions.append(
            "Ask which languages the household speaks: the register does not record them "
            f"({_the_child(unit)} {'speaks' if unit.size == 1 else 'speak'} "
            f"{_words('language', spoken)})."
        )
    faiths = sorted({c.religion for c in unit.children if c.religion not in (None, "unknown")})
    if h.religion is None and faiths and faiths != ["none"]:
        questions.append(
            "Ask about the household's religion: the register does not record it "
            f"({_the_child(unit)}: {_words('religion', faiths)})."
        )
    return questions


# -- age fit ------------------------------------------------------------------------


def _age_margin(unit: UnitFeatures, pool: HouseholdPool, rows: IntArray) -> IntArray:
    # Head-room below the upper limit (the child grows towards it); the lower limit
    # matters only when the range does not start at birth.
    upper = pool.max_age[rows].astype(np.int64) - unit.max_age
    lower = unit.min_age - pool.min_age[rows].astype(np.int64)
    margin: IntArray = np.where(pool.min_age[rows] > 0, np.minimum(upper, lower), upper)
    return margin


def _age_fraction(
    unit: UnitFeatures, pool: HouseholdPool, rows: IntArray, policy: Policy
) -> FloatArray:
    margin = _age_margin(unit, pool, rows)
    full = policy.age_fit.margin_years + 1
    return np.clip((margin + 1) / full, 0.0, 1.0)


def _age_reason(unit: UnitFeatures, h: Household, policy: Policy) -> str:
    lo, hi = h.approved_min_age, h.approved_max_age
    margin = hi - unit.max_age
    if lo > 0:
        margin = min(margin, unit.min_age - lo)
    ages = (
        f"the child is {unit.ages[0]}"
        if unit.size == 1
        else f"the children are {unit.min_age}–{unit.max_age}"
    )
    if margin < 0:
        room = "outside the approval"
    elif margin >= policy.age_fit.margin_years:
        room = f"comfortably inside it ({_years(margin)} of head-room)"
    else:
        room = f"near its limit ({_years(margin)} of head-room)"
    return f"Approved for ages {lo}–{hi}; {ages}, {room}"


# -- identity -----------------------------------------------------------------------


def _religion_known(child: Child) -> bool:
    return child.religion is not None and child.religion != "unknown"


def _identity_parts(child: Child) -> tuple[bool, bool, bool]:
    return child.ethnicity in BROAD_GROUPS, _religion_known(child), bool(child.languages)


def _identity_applies(unit: UnitFeatures, policy: Policy) -> bool:
    return any(any(_identity_parts(c)) for c in unit.children)


def _identity_child(
    child: Child, pool: HouseholdPool, rows: IntArray, policy: Policy
) -> FloatArray | None:
    ethnic, religious, speaking = _identity_parts(child)
    parts: list[FloatArray] = []
    if ethnic:
        exact = (pool.ethnicity[rows] & ETHNICITY_BITS[child.ethnicity]) != 0
        group = (pool.ethnic_group[rows] & BROAD_GROUP_BITS[BROAD_GROUPS[child.ethnicity]]) != 0
        parts.append(np.where(exact, 1.0, np.where(group, policy.identity.broad_group_credit, 0.0)))
    if religious:
        assert child.religion is not None
        parts.append((pool.religion[rows] == RELIGION_CODES[child.religion]).astype(np.float64))
    if speaking:
        parts.append(pool.speaks_any(child.languages, rows).astype(np.float64))
    if not parts:
        return None
    mean: FloatArray = _mean(parts)
    return mean


def _identity_fraction(
    unit: UnitFeatures, pool: HouseholdPool, rows: IntArray, policy: Policy
) -> FloatArray:
    per_child = [
        f for c in unit.children if (f := _identity_child(c, pool, rows, policy)) is not None
    ]
    result: FloatArray = _mean(per_child)
    return result


def _identity_reason(unit: UnitFeatures, h: Household, policy: Policy) -> str:
    whose = _the_child(unit)
    shared, differs = [], []

    def compare(what: str, theirs: set[str], ours: list[str], same: bool, note: str = "") -> None:
        if same:
            shared.append(f"{what} ({_words(what, theirs)})")
        else:
            household = _words(what, ours) or "not recorded"
            differs.append(f"{what}{note} (household {household}, {whose} {_words(what, theirs)})")

    ethnic = [c for c in unit.children if _identity_parts(c)[0]]
    if ethnic:
        groups = {BROAD_GROUPS.get(e) for e in h.ethnicities}
        exact = all(c.ethnicity in h.ethnicities for c in ethnic)
        broad = all(BROAD_GROUPS[c.ethnicity] in groups for c in ethnic)
        note = ": same broad group" if broad else ""
        compare("ethnicity", {c.ethnicity for c in ethnic}, list(h.ethnicities), exact, note)
    religious = [c for c in unit.children if _identity_parts(c)[1]]
    if religious:
        faiths = {c.religion or "" for c in religious}
        same = all(c.religion == h.religion for c in religious)
        compare("religion", faiths, [h.religion] if h.religion else [], same)
    speaking = [c for c in unit.children if _identity_parts(c)[2]]
    if speaking:
        common = [set(c.languages) & set(h.languages) for c in speaking]
        if all(common):
            shared.append(f"language ({_words('language', set().union(*common))})")
        else:
            langs = {lang for c in speaking for lang in c.languages}
            compare("language", langs, list(h.languages), False)
    text = []
    if shared:
        text.append(f"Shares {whose}'s " + ", ".join(shared))
    if differs:
        text.append("Differs in " + "; ".join(differs) + " (considered, never a bar)")
    return "; ".join(text)


# -- distances ----------------------------------------------------------------------


def _family_time_children(unit: UnitFeatures) -> list[Child]:
    # A child kept away from the birth family (safeguarding distance) has no
    # family-time proximity to score.
    return [c for c in unit.children if _has_home(c) and c.min_distance_km is None]


def _radius(child: Child, policy: Policy) -> float:
    return child.family_time_max_km or policy.distance.family_time_default_km


def _family_time_fraction(
    unit: UnitFeatures, pool: HouseholdPool, rows: IntArray, policy: Policy
) -> FloatArray:
    parts = []
    for child in _family_time_children(unit):
        assert child.home_lat is not None and child.home_lon is not None
        km = _distance(pool, rows, child.home_lat, child.home_lon)
        parts.append(_ramp(km, _radius(child, policy)))
    result: FloatArray = _mean(parts)
    return result


def _family_time_reason(unit: UnitFeatures, h: Household, policy: Policy) -> str:
    seen: dict[tuple[float, float, float], str] = {}
    for child in _family_time_children(unit):
        assert child.home_lat is not None and child.home_lon is not None
        radius = _radius(child, policy)
        key = (child.home_lat, child.home_lon, radius)
        if key in seen:
            continue
        km = _km(child.home_lat, child.home_lon, h)
        where = "within" if km <= radius else "beyond"
        seen[key] = (
            f"{km:.0f} km from the birth-family home, {where} the {radius:g} km family-time radius"
        )
    return _sentence("; ".join(seen.values()))


def _school_children(unit: UnitFeatures) -> list[Child]:
    return [c for c in unit.children if _has_school(c)]


def _school_fraction(
    unit: UnitFeatures, pool: HouseholdPool, rows: IntArray, policy: Policy
) -> FloatArray:
    parts = []
    for child in _school_children(unit):
        assert child.school_lat is not None and child.school_lon is not None
        km = _distance(pool, rows, child.school_lat, child.school_lon)
        parts.append(_ramp(km, policy.distance.school_max_km))
    result: FloatArray = _mean(parts)
    return result


def _school_reason(unit: UnitFeatures, h: Household, policy: Policy) -> str:
    radius = policy.distance.school_max_km
    seen: dict[tuple[float, float], str] = {}
    for child in _school_children(unit):
        assert child.school_lat is not None and child.school_lon is not None
        key = (child.school_lat, child.school_lon)
        if key in seen:
            continue
        km = _km(*key, h)
        stay = "can stay at the same school" if km <= radius else "may have to change school"
        who = child.first_name or child.child_id
        seen[key] = f"{km:.0f} km from {who}'s school ({stay}; {radius:g} km radius)"
    return _sentence("; ".join(seen.values()))


# -- household fit ------------------------------------------------------------------


def _closest_gap(unit: UnitFeatures, pool: HouseholdPool, rows: IntArray) -> IntArray:
    home = pool.home_ages[rows].astype(np.int64)
    present = home >= 0
    gap = np.full(len(rows), 99, dtype=np.int64)
    for age in unit.ages:
        diff = np.where(present, np.abs(home - age), 99)
        gap = np.minimum(gap, diff.min(axis=1))
    return gap


def _household_fit_fraction(
    unit: UnitFeatures, pool: HouseholdPool, rows: IntArray, policy: Policy
) -> FloatArray:
    p = policy.household_fit
    gap = _closest_gap(unit, pool, rows)
    return np.where(
        pool.has_children[rows], np.minimum(1.0, gap / p.min_age_gap_years), p.no_children_credit
    )


def _household_fit_reason(unit: UnitFeatures, h: Household, policy: Policy) -> str:
    if not h.children_in_home_ages:
        return "No other children in the home"
    gap = min(abs(a - b) for a in h.children_in_home_ages for b in unit.ages)
    judged = (
        "a comfortable gap" if gap >= policy.household_fit.min_age_gap_years else "close in age"
    )
    at_home = ages_at_home(h.children_in_home_ages)
    return (
        f"{at_home[:1].upper()}{at_home[1:]} already at home; closest age gap to "
        f"{_the_child(unit)} is {_years(gap)} ({judged})"
    )


# -- wishes -------------------------------------------------------------------------


def _wish_items(unit: UnitFeatures) -> list[tuple[Child, str]]:
    items = []
    for child in unit.children:
        for wish in dict.fromkeys(child.wishes):
            if wish == "pets" or (
                (wish == "near_school" and _has_school(child))
                or (wish == "same_religion" and _religion_known(child))
                or (wish == "same_language" and child.languages)
            ):
                items.append((child, wish))
    return items


def _wish_met(
    child: Child, wish: str, pool: HouseholdPool, rows: IntArray, policy: Policy
) -> BoolArray:
    if wish == "pets":
        return pool.pets[rows]
    if wish == "near_school":
        assert child.school_lat is not None and child.school_lon is not None
        km = _distance(pool, rows, child.school_lat, child.school_lon)
        met: BoolArray = km <= policy.distance.school_max_km
        return met
    if wish == "same_religion":
        assert child.religion is not None
        same: BoolArray = pool.religion[rows] == RELIGION_CODES[child.religion]
        return same
    return pool.speaks_any(child.languages, rows)


def _wishes_fraction(
    unit: UnitFeatures, pool: HouseholdPool, rows: IntArray, policy: Policy
) -> FloatArray:
    met = [_wish_met(c, w, pool, rows, policy) for c, w in _wish_items(unit)]
    result: FloatArray = _mean([m.astype(np.float64) for m in met])
    return result


def _wish_met_by(child: Child, wish: str, h: Household, policy: Policy) -> bool:
    if wish == "pets":
        return h.pets is True
    if wish == "near_school":
        return _km(child.school_lat, child.school_lon, h) <= policy.distance.school_max_km
    if wish == "same_religion":
        return child.religion == h.religion
    return bool(set(child.languages) & set(h.languages))


def _wishes_reason(unit: UnitFeatures, h: Household, policy: Policy) -> str:
    met: list[str] = []
    unmet: list[str] = []
    for child, wish in _wish_items(unit):
        who = "" if unit.size == 1 else f" ({child.first_name or child.child_id})"
        ok = _wish_met_by(child, wish, h, policy)
        (met if ok else unmet).append(labels.lower(labels.label("wish", wish)) + who)
    text = []
    if met:
        text.append("Wishes met: " + join_words(met))
    if unmet:
        text.append("not met: " + join_words(unmet))
    return "; ".join(text)


# -- cost, waiting, FfA -------------------------------------------------------------


def _provider_credit(policy: Policy) -> FloatArray:
    credit = np.zeros(len(PROVIDER_CODES), dtype=np.float64)
    for provider, code in PROVIDER_CODES.items():
        credit[code] = getattr(policy.cost, provider)
    return credit


def _in_house_fraction(
    unit: UnitFeatures, pool: HouseholdPool, rows: IntArray, policy: Policy
) -> FloatArray:
    result: FloatArray = _provider_credit(policy)[pool.provider[rows]]
    return result


def _in_house_reason(unit: UnitFeatures, h: Household, policy: Policy) -> str:
    if h.provider == "in_house":
        return "In-house carers (no agency fee)"
    cost = f", £{h.weekly_cost:,.0f} a week" if h.weekly_cost is not None else ""
    return f"Placement through {_PROVIDER_NAMES[h.provider]}{cost}; in-house carers come first"


def _adoptive(unit: UnitFeatures, policy: Policy | None = None) -> bool:
    return bool(unit.plans & ADOPTION_PLANS)


def _waiting_fraction(
    unit: UnitFeatures, pool: HouseholdPool, rows: IntArray, policy: Policy
) -> FloatArray:
    days = pool.days_since_approval(rows, unit.as_of)
    adoptive = np.isin(pool.kind[rows], _ADOPTIVE_KINDS)
    return np.where(adoptive, np.minimum(1.0, days / policy.adopter_waiting.full_credit_days), 0.0)


def _waiting_reason(unit: UnitFeatures, h: Household, policy: Policy) -> str:
    if h.kind not in ("adopter", "ffa"):
        return "Not an adopter household: time waiting since approval does not apply"
    if h.approved_on is None:
        return "Approval date not recorded: time waiting unknown"
    days = max(0, (unit.as_of - h.approved_on).days)
    full = policy.adopter_waiting.full_credit_days
    return f"Approved {days} days ago and waiting (full credit at {full} days)"


def _ffa_applies(unit: UnitFeatures, policy: Policy) -> bool:
    """A baby of the unit whose plan may be adoption, with no placement order yet when
    the policy follows s.22C(9A)-(9B) (`until_placement_order`)."""
    for child, unborn, age in zip(unit.children, unit.unborn, unit.ages, strict=True):
        if not (unborn or age < policy.ffa_duty.max_age_years):
            continue
        if policy.ffa_duty.until_placement_order:
            if ffa_duty_applies(child):
                return True
        elif child.plan in ADOPTION_PLANS:
            return True
    return False


def _ffa_fraction(
    unit: UnitFeatures, pool: HouseholdPool, rows: IntArray, policy: Policy
) -> FloatArray:
    dual: FloatArray = (pool.kind[rows] == KIND_CODES["ffa"]).astype(np.float64)
    return dual


def _ffa_reason(unit: UnitFeatures, h: Household, policy: Policy) -> str:
    duty = "Children Act 1989 s.22C(9A), inserted by the Children and Families Act 2014"
    if h.kind == "ffa":
        return (
            "Dual approved for fostering for adoption: considered first for a baby with no "
            f"placement order yet ({duty})"
        )
    return (
        "Not dual approved for fostering for adoption; FfA carers are considered first "
        f"for a baby ({duty})"
    )


# -- permanence ---------------------------------------------------------------------


def _permanence_applies(unit: UnitFeatures, policy: Policy | None = None) -> bool:
    return LONG_TERM_PLAN in unit.plans


def _permanence_fraction(
    unit: UnitFeatures, pool: HouseholdPool, rows: IntArray, policy: Policy
) -> FloatArray:
    # The share of the years to the youngest child's 18th birthday that the approval
    # covers (it lasts while the eldest is within it); an approval to 17 covers them all.
    approved = pool.max_age[rows].astype(np.float64)
    needed = float(18 - unit.min_age)
    covered = np.clip((approved + 1 - unit.max_age) / needed, 0.0, 1.0)
    result: FloatArray = np.where(approved >= LAST_APPROVED_AGE, 1.0, covered)
    return result


def _permanence_reason(unit: UnitFeatures, h: Household, policy: Policy) -> str:
    hi = h.approved_max_age
    who = _the_child(unit)
    if hi >= LAST_APPROVED_AGE:
        return f"Approved to age {hi}: a long-term match can last until {who} turns 18"
    covered = max(0, hi + 1 - unit.max_age)
    needed = 18 - unit.min_age
    return (
        f"Approved to age {hi}: covers {_years(covered)} of the {_years(needed)} until "
        f"{who} turns 18"
    )


CRITERIA: tuple[Criterion, ...] = (
    Criterion("needs", _needs_applies, _needs_fraction, _needs_reason),
    Criterion("age_fit", lambda unit, policy: True, _age_fraction, _age_reason),
    Criterion("identity", _identity_applies, _identity_fraction, _identity_reason),
    Criterion(
        "family_time_distance",
        lambda unit, policy: bool(_family_time_children(unit)),
        _family_time_fraction,
        _family_time_reason,
    ),
    Criterion(
        "school_distance",
        lambda unit, policy: bool(_school_children(unit)),
        _school_fraction,
        _school_reason,
    ),
    Criterion(
        "household_fit", lambda unit, policy: True, _household_fit_fraction, _household_fit_reason
    ),
    Criterion(
        "wishes", lambda unit, policy: bool(_wish_items(unit)), _wishes_fraction, _wishes_reason
    ),
    Criterion("in_house", lambda unit, policy: True, _in_house_fraction, _in_house_reason),
    Criterion("adopter_waiting", _adoptive, _waiting_fraction, _waiting_reason),
    Criterion("ffa_duty", _ffa_applies, _ffa_fraction, _ffa_reason),
    Criterion("permanence", _permanence_applies, _permanence_fraction, _permanence_reason),
)
CRITERION_NAMES: tuple[str, ...] = tuple(c.name for c in CRITERIA)


def applicable_criteria(unit: UnitFeatures, policy: Policy) -> list[tuple[Criterion, float]]:
    """The criteria that apply to `unit` with their max_points (summing to 100).

    A criterion with weight 0 is left out; if no applicable criterion has weight,
    the list is empty and every score is 0.
    """
    chosen = [
        (c, float(getattr(policy.weights, c.name))) for c in CRITERIA if c.applies(unit, policy)
    ]
    chosen = [(c, w) for c, w in chosen if w > 0]
    total = sum(w for _, w in chosen)
    if total == 0:
        return []
    return [(c, 100.0 * w / total) for c, w in chosen]


@dataclass(frozen=True)
class ScoreTable:
    """Scores of some pool rows for one unit: points per applicable criterion and in total."""

    unit: UnitFeatures
    rows: IntArray
    criteria: tuple[Criterion, ...]
    max_points: tuple[float, ...]
    points: FloatArray  # shape (len(criteria), len(rows))
    score: FloatArray  # shape (len(rows),) == points summed in criterion order


def score_candidates(
    unit: UnitFeatures, pool: HouseholdPool, rows: IntArray, policy: Policy
) -> ScoreTable:
    """Score pool `rows` (normally the households passing the hard rules) for `unit`."""
    chosen = applicable_criteria(unit, policy)
    points = np.zeros((len(chosen), len(rows)), dtype=np.float64)
    score = np.zeros(len(rows), dtype=np.float64)
    if len(rows):
        for i, (criterion, max_points) in enumerate(chosen):
            points[i] = criterion.fraction(unit, pool, rows, policy) * max_points
            # Summed in the same order as `explain` lists them, so the score is exactly
            # the sum of the reported points.
            score += points[i]
    return ScoreTable(
        unit=unit,
        rows=rows,
        criteria=tuple(c for c, _ in chosen),
        max_points=tuple(m for _, m in chosen),
        points=points,
        score=score,
    )


def explain(
    table: ScoreTable, position: int, pool: HouseholdPool, policy: Policy
) -> tuple[list[Contribution], list[str]]:
    """Contributions (with reasons) and questions for the household at `position` of `table`."""
    h = pool.households[int(table.rows[position])]
    contributions = [
        Contribution(
            criterion=criterion.name,
            points=float(table.points[i, position]),
            max_points=max_points,
            reason=criterion.reason(table.unit, h, policy),
        )
        for i, (criterion, max_points) in enumerate(
            zip(table.criteria, table.max_points, strict=True)
        )
    ]
    questions = need_questions(table.unit, h) if _needs_applies(table.unit) else []
    questions += unrecorded_questions(table.unit, h)
    return contributions, questions
