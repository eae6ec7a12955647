"""The SocialCareData placements standard v2 (`matching/standards/placements.json`, MIT):
referrals in, agreed placements out.

The standard describes a placement referral (availability, requirements, recommended
placement types, risks, who entered it) and an agreed placement (`ActualPlacement`).
`load_standard` reads its `placements.json`; `referral_problems` validates one referral
against it (each field's type, cardinality and options); `apply_referrals` adds what a
referral says about a child already held to that child: risks as needs, who the child can
live alongside and pets as requirements or wishes, BSL as a language, urgency as a fact.
Every field that has no place in familyfinder is listed, never dropped silently.
`actual_placement` writes an agreed proposal as the standard's `ActualPlacement` record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any

from matching.domain import Child, Household
from matching.errors import Problem
from matching.geo import haversine_km

# Entities a referral holds (ActualPlacement is the agreed placement, written on export).
REFERRAL_ENTITIES = (
    "PlacementAvailability",
    "PlacementRequirements",
    "PlacementRecommendation",
    "Risks",
)
# QualityAssurance fields entered with the referral (the others come with the placement).
REFERRAL_QA_FIELDS = ("referralOfficerName", "referralDate")

# Risks -> the need code they are (at level 1, additional: the standard says only that a
# risk is present; its level is for the family finder to judge).
RISK_NEEDS = {
    "riskSelfHarm": "self_harm",
    "riskSexualExploitation": "exploitation_risk",
    "riskCriminalExploitation": "exploitation_risk",
    "riskDrugAlcohol": "substance_misuse",
    "riskMissing": "missing_episodes",
    "riskToOthersPhysical": "emotional_behavioural",
    "riskToOthersSexual": "harmful_sexual_behaviour",
    "riskToOthersFire": "fire_setting",
    "riskToOthersAnimals": "harm_to_animals",
    "riskToOthersCriminal": "exploitation_risk",
}
LIVING_COMPANIONS = {
    "Solo placement recommended": "no_other_children",
    "Only with other older children": "no_younger_children",
    "Only with other younger children": "no_older_children",
}
# Fields read into familyfinder; any other field with a value is listed as not mapped.
MAPPED = frozenset(
    {"childId", "neededBy", "livingCompanions", "pets", "specificCommunicationRequirements",
     "referralDate", *RISK_NEEDS}
)  # fmt: skip
_TRUE = {"y", "yes", "true", "1"}
_FALSE = {"n", "no", "false", "0"}


@dataclass(frozen=True)
class FieldSpec:
    entity: str
    name: str
    type: str  # Integer | String | Categorical | Boolean | Date
    cardinality: str  # 0..1 | 1..1 | 1..* | 0..*
    options: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.cardinality.startswith("1")

    @property
    def many(self) -> bool:
        return self.cardinality.endswith("*")


@dataclass(frozen=True)
class Standard:
    version: str
    fields: Mapping[str, FieldSpec]

    def referral_fields(self) -> list[FieldSpec]:
        return [
            f
            for f in self.fields.values()
            if f.entity in REFERRAL_ENTITIES or f.name in REFERRAL_QA_FIELDS
        ]


def load_standard(text: str | None = None) -> Standard:
    """The standard from its JSON text (default: the copy kept in the package)."""
    if text is None:
        text = resources.files("matching").joinpath("standards/placements.json").read_text("utf-8")
    data = json.loads(text)
    fields: dict[str, FieldSpec] = {}
    for entity in data["entities"]:
        for spec in entity["fields"]:
            fields[spec["name"]] = FieldSpec(
                entity["name"],
                spec["name"],
                spec["type"],
                spec["cardinality"],
                tuple(spec.get("options", ())),
            )
    return Standard(data["metadata"]["version"], fields)


def _values(spec: FieldSpec, cell: str) -> list[str]:
    return [v.strip() for v in cell.split(";")] if spec.many else [cell.strip()]


def referral_problems(
    referral: Mapping[str, str], standard: Standard, file: str, line: int
) -> list[Problem]:
    """Every way one referral (field name -> cell text) breaks the standard."""
    found = []
    for name in referral:
        if name not in standard.fields:
            found.append(Problem(file, line, name, f"{name!r} is not a field of the standard"))
    for spec in standard.referral_fields():
        cell = (referral.get(spec.name) or "").strip()
        if not cell:
            if spec.required:
                found.append(
                    Problem(file, line, spec.name, f"required by the standard ({spec.cardinality})")
                )
            continue
        for value in _values(spec, cell):
            reason = _type_problem(spec, value)
            if reason:
                found.append(Problem(file, line, spec.name, reason))
    return found


def _type_problem(spec: FieldSpec, value: str) -> str | None:
    if spec.type == "Categorical" and value not in spec.options:
        return f"{value!r} is not one of the standard's options: {', '.join(spec.options)}"
    if spec.type == "Boolean" and value.lower() not in _TRUE | _FALSE:
        return f"{value!r} is not a yes/no value (Y, N, Yes, No, true, false)"
    if spec.type == "Integer" and spec.name != "childId" and not value.lstrip("-").isdigit():
        return f"{value!r} is not a whole number"
    if spec.type == "Date" and _date(value) is None:
        return f"{value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)"
    return None


def _date(value: str) -> date | None:
    try:
        if "/" in value:
            day, month, year = value.split("/")
            return date(int(year), int(month), int(day))
        return date.fromisoformat(value)
    except ValueError:
        return None


@dataclass
class Applied:
    children: list[Child] = field(default_factory=list)
    unmapped: dict[str, int] = field(default_factory=dict)  # field -> referrals holding it


def apply_referrals(
    referrals: Iterable[tuple[int, Mapping[str, str]]],
    held: Mapping[str, Child],
) -> Applied:
    """The held children with each (valid) referral's facts added; a later referral for
    the same child adds to what an earlier one gave. Needs only ever rise."""
    updated: dict[str, Child] = {}
    applied = Applied()
    for _line, referral in referrals:
        child_id = referral["childId"].strip()
        child = updated.get(child_id) or held[child_id]
        needs = dict(child.needs)
        requirements = set(child.requirements)
        wishes = list(child.wishes)
        languages = list(child.languages)
        facts = dict(child.facts)
        for name, need in RISK_NEEDS.items():
            if (referral.get(name) or "").strip() == "Risk Present":
                needs[need] = max(needs.get(need, 0), 1)
        companions = LIVING_COMPANIONS.get((referral.get("livingCompanions") or "").strip())
        if companions:
            requirements.add(companions)
        pets = (referral.get("pets") or "").strip()
        if pets == "No":
            requirements.add("no_pets")
        elif pets == "Yes - must" and "pets" not in wishes:
            wishes.append("pets")
        communication = referral.get("specificCommunicationRequirements") or ""
        if "BSL" in [v.strip() for v in communication.split(";")] and "bsl" not in languages:
            languages.append("bsl")
        if needed := (referral.get("neededBy") or "").strip():
            facts["placement_needed_by"] = needed
        if (when := _date((referral.get("referralDate") or "").strip())) is not None:
            facts["referral_date"] = when.isoformat()
        for name, value in referral.items():
            if (value or "").strip() and name not in MAPPED:
                applied.unmapped[name] = applied.unmapped.get(name, 0) + 1
        for value in (v.strip() for v in communication.split(";")):
            if value and value not in ("BSL", "None"):
                key = f"specificCommunicationRequirements={value}"
                applied.unmapped[key] = applied.unmapped.get(key, 0) + 1
        record = object.__new__(Child)
        record.__dict__.update(
            child.__dict__,
            needs=needs,
            requirements=frozenset(requirements),
            wishes=tuple(wishes),
            languages=tuple(languages),
            facts=facts,
        )
        updated[child_id] = record
    applied.children = list(updated.values())
    return applied


ACTUAL_PLACEMENT_COLUMNS = (
    "childId",
    "totalWeeklyCost",
    "placementLocation",
    "preferabilityLocation",
    "educationContinuity",
    "providerURN",
    "siblingsPlacedTogether",
    "placementType",
    "placementOfficerName",
    "placementDate",
)
# Household kinds and the standard's placementType (adoption is outside its scope).
PLACEMENT_TYPES = {
    "foster": "Foster",
    "connected": "Foster",
    "ffa": "Foster",
    "residential": "Residential",
}
SCHOOL_KM = 20.0  # a school within this distance of the new home is kept (education)


def actual_placement(
    child: Child,
    household: Household,
    *,
    unit_size: int,
    officer: str,
    decided_on: date,
) -> dict[str, str] | None:
    """The standard's ActualPlacement record for one child of an agreed proposal; None
    for an adoptive placement (the standard's placement types do not include it)."""
    kind = PLACEMENT_TYPES.get(household.kind)
    if kind is None:
        return None
    preferable = ""
    if child.home_lat is not None and child.home_lon is not None:
        km = haversine_km(child.home_lat, child.home_lon, household.lat, household.lon)
        limit = child.family_time_max_km
        preferable = "" if limit is None else ("Yes" if km <= limit else "No")
    education = ""
    if child.school_lat is not None and child.school_lon is not None:
        km = haversine_km(child.school_lat, child.school_lon, household.lat, household.lon)
        education = "Yes" if km <= SCHOOL_KM else "No"
    cost = household.weekly_cost
    return {
        "childId": child.child_id,
        "totalWeeklyCost": "" if cost is None else str(round(cost)),
        "placementLocation": f"{household.lat:.3f},{household.lon:.3f}",
        "preferabilityLocation": preferable,
        "educationContinuity": education,
        "providerURN": "",
        "siblingsPlacedTogether": str(unit_size if unit_size > 1 else 0),
        "placementType": kind,
        "placementOfficerName": officer,
        "placementDate": decided_on.isoformat(),
    }


def referral_rows(data: Any) -> list[dict[str, str]]:
    """Referrals given as JSON: a list of flat objects (field -> value) or of objects
    grouped by entity ({"Risks": {...}, ...}); values become cell text (lists `;`)."""
    rows = data if isinstance(data, list) else data.get("referrals", [])
    out = []
    for item in rows:
        flat: dict[str, str] = {}
        for key, value in item.items():
            if isinstance(value, dict):
                for name, inner in value.items():
                    flat[name] = _text(inner)
            else:
                flat[key] = _text(value)
        out.append(flat)
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, list):
        return ";".join(_text(v) for v in value)
    return str(value)
