"""Controlled vocabularies of the CSV interchange format (docs/domain.md).

Every code a file may contain is listed here, once; validation and the generator both
read these sets, so adding a code is a one-line change.
"""

from __future__ import annotations

import re

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
    # No plan recorded yet (an SSDA903 child without a plans row, an Annex A "SGO/CAO"
    # or "Other" a person must resolve): imported and listed, never matched or guessed.
    "not_recorded",
)
NO_PLAN = "not_recorded"
# Plans that are not family-found: asking for a shortlist for them is an error.
NOT_FAMILY_FOUND_PLANS = frozenset({"return_home", "supported_living", NO_PLAN})
# Family-based plans a connected household can serve for its own children.
FAMILY_BASED_PLANS = frozenset(PLANS) - {"residential", NO_PLAN}

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

# `not_recorded`: the records say two children are siblings but not how (an SSDA903 or
# case-management export without the relationship); never guessed as full or half.
RELATIONSHIPS = frozenset({"full", "half", "step", "not_recorded"})
ASSESSMENTS = frozenset({"together", "apart", "pending"})

MAX_CHILD_AGE = 17

# Ids (child_id, household_id) the API can address in a URL path segment: 1 to 64 ASCII
# letters, digits, '-', '_' or '.', with at least one letter or digit ('.' and '..'
# are path steps, not ids). api/routes/records.py accepts the same set.
ID_MAX_LENGTH = 64
ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
ID_RULE = "1 to 64 letters A-Z, digits, '-', '_' or '.' (at least one letter or digit)"

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
    "placed_with",
    "placement_order_on",
    "facts",
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
# Facts a register may not hold: the column is required, but its cell may be empty or
# `not_recorded` (a question on the shortlist, never assumed).
NOT_RECORDED = "not_recorded"
MAY_BE_NOT_RECORDED = frozenset({"smoker", "pets", "wheelchair_access"})

# Location columns that may be given as a UK postcode instead (or a postcode district,
# placed at its centroid): postcode column -> (latitude column, longitude column).
POSTCODE_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "children.csv": {
        "home_postcode": ("home_lat", "home_lon"),
        "school_postcode": ("school_lat", "school_lon"),
    },
    "households.csv": {"postcode": ("lat", "lon")},
}

# Keys of a child's `facts` (key=value;... in children.csv), from the SSDA903 return.
FACT_KEYS = {
    "placement_type": "DfE placement type code of the current placement (PLACE)",
    "placement_provider": "DfE placement provider code (PLACE_PROVIDER)",
    "placement_urn": "Ofsted URN of the current placement (URN)",
    "placement_postcode": "postcode of the current placement (PL_POST)",
    "placement_moves_12m": "placement moves in the 12 months before the reference date",
    "placement_moves_in_care": "placement moves in the current period of care",
    "previous_permanence": "previous permanence order (PREV_PERM P1-P4)",
    "young_mother": "the young person is a mother (MOTHER)",
    "missing_12m": "missing or away episodes in the 12 months before the reference date",
    "placement_needed_by": "urgency of a placement referral (placements standard neededBy)",
    "referral_date": "date of the latest placement referral (placements standard)",
}

LINK_COLUMNS = ("child_a", "child_b", "relationship", "assessment", "assessed_on", "note")
# An empty (or absent) relationship is `not_recorded`: never guessed, never refused.
LINK_REQUIRED = frozenset({"child_a", "child_b", "assessment"})

CHILDREN_FILE = "children.csv"
HOUSEHOLDS_FILE = "households.csv"
LINKS_FILE = "sibling_links.csv"
