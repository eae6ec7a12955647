"""Controlled vocabularies of the CSV interchange format (docs/domain.md).

Every code a file may contain is listed here, once; validation and the generator both
read these sets, so adding a code is a one-line change.
"""

from __future__ import annotations

# DfE SSDA903 / school census ethnicity codes.
ETHNICITIES = frozenset(
    [
        "WBRI",
        "WIRI",
        "WIRT",
        "WOTH",
        "WROM",
        "MWBC",
        "MWBA",
        "MWAS",
        "MOTH",
        "AIND",
        "APKN",
        "ABAN",
        "AOTH",
        "BCRB",
        "BAFR",
        "BOTH",
        "CHNE",
        "OOTH",
        "REFU",
        "NOBT",
    ]
)
# DfE legal status codes (empty for an unborn child).
LEGAL_STATUSES = frozenset(
    ["C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4"]
)
SEXES = frozenset({"female", "male", "unknown"})
RELIGIONS = frozenset(
    {"none", "christian", "muslim", "hindu", "sikh", "jewish", "buddhist", "other", "unknown"}
)

# Permanence routes, in the order practice considers them.
PLANS = (
    "return_home",
    "kinship",
    "sgo",
    "cao",
    "ffa",
    "adoption",
    "long_term_foster",
    "residential",
    "supported_living",
)
# Plans that are not family-found: asking for a shortlist for them is an error.
NOT_FAMILY_FOUND_PLANS = frozenset({"return_home", "supported_living"})
# Family-based plans a connected household can serve for its own children.
FAMILY_BASED_PLANS = frozenset(PLANS) - {"residential"}

NEED_CODES = (
    "physical_disability",
    "learning_disability",
    "autism",
    "complex_health",
    "emotional_behavioural",
    "harmful_sexual_behaviour",
    "exploitation_risk",
    "missing_episodes",
    "self_harm",
    "substance_misuse",
    "fire_setting",
    "harm_to_animals",
    "sen",
    "attachment_trauma",
    "uasc",
)
NEED_LEVELS = {1: "additional", 2: "complex"}
SKILL_CODES = frozenset(NEED_CODES) | {"therapeutic", "parent_and_child"}

REQUIREMENTS = frozenset(
    {
        "no_smokers",
        "no_pets",
        "no_younger_children",
        "no_older_children",
        "no_other_children",
        "wheelchair_access",
    }
)
CHILD_STATUSES = frozenset({"waiting", "matched", "placed"})

HOUSEHOLD_KINDS = frozenset({"foster", "adopter", "ffa", "connected", "residential"})
FOSTER_TERMS = frozenset({"short", "long", "both"})
PROVIDERS = frozenset({"in_house", "ifa", "raa", "national", "private"})
HOUSEHOLD_STATUSES = frozenset({"available", "on_hold", "in_assessment", "unavailable"})

RELATIONSHIPS = frozenset({"full", "half", "step"})
ASSESSMENTS = frozenset({"together", "apart", "pending"})

MAX_CHILD_AGE = 17

CHILD_COLUMNS = (
    "child_id",
    "first_name",
    "date_of_birth",
    "sex",
    "ethnicity",
    "religion",
    "languages",
    "legal_status",
    "plan",
    "entered_care_on",
    "plan_date",
    "home_lat",
    "home_lon",
    "school_lat",
    "school_lon",
    "family_time_max_km",
    "min_distance_km",
    "needs",
    "requirements",
    "wishes",
    "status",
)
CHILD_REQUIRED = frozenset({"child_id", "date_of_birth", "sex", "ethnicity", "plan", "status"})

HOUSEHOLD_COLUMNS = (
    "household_id",
    "name",
    "kind",
    "term",
    "provider",
    "weekly_cost",
    "approved_min_age",
    "approved_max_age",
    "approved_places",
    "max_sibling_group",
    "vacancies",
    "skills",
    "will_consider",
    "will_not_consider",
    "children_in_home_ages",
    "ethnicities",
    "religion",
    "languages",
    "smoker",
    "pets",
    "wheelchair_access",
    "lat",
    "lon",
    "approved_on",
    "status",
    "connected_child_ids",
)
HOUSEHOLD_REQUIRED = frozenset(
    {
        "household_id",
        "kind",
        "provider",
        "approved_min_age",
        "approved_max_age",
        "approved_places",
        "max_sibling_group",
        "vacancies",
        "smoker",
        "pets",
        "wheelchair_access",
        "lat",
        "lon",
        "status",
    }
)

LINK_COLUMNS = ("child_a", "child_b", "relationship", "assessment", "assessed_on", "note")
LINK_REQUIRED = frozenset({"child_a", "child_b", "relationship", "assessment"})

CHILDREN_FILE = "children.csv"
HOUSEHOLDS_FILE = "households.csv"
LINKS_FILE = "sibling_links.csv"
