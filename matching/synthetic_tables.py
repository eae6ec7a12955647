"""Reference tables for the synthetic authority generator (`matching.synthetic`).

Proportions follow the "Reference figures" of shared/domain.md (DfE children looked
after in England 2024, Ofsted fostering statistics, ASGLB adoption data) and the
Durham, Torbay and Leicester permanence documents. Names are a small fixed list of
common first names and surnames: every record built from them is fictional.
"""

from __future__ import annotations

from matching.vocab import NEED_CODES

# Durham County Hall, roughly: the default county centre.
COUNTY_CENTRE = (54.78, -1.57)
COUNTY_RADIUS_KM = 40.0
KM_PER_DEGREE_LAT = 111.2

# National adopters live anywhere in England: a few city centres to scatter them around.
ENGLAND_CITIES = (
    (51.507, -0.128),  # London
    (52.486, -1.890),  # Birmingham
    (53.480, -2.242),  # Manchester
    (53.801, -1.549),  # Leeds
    (51.455, -2.588),  # Bristol
    (53.408, -2.992),  # Liverpool
    (54.978, -1.618),  # Newcastle
    (53.381, -1.470),  # Sheffield
    (52.954, -1.158),  # Nottingham
    (52.637, -1.132),  # Leicester
    (50.910, -1.404),  # Southampton
    (50.376, -4.143),  # Plymouth
    (52.630, 1.297),  # Norwich
    (50.726, -3.527),  # Exeter
    (52.205, 0.119),  # Cambridge
    (53.960, -1.082),  # York
    (53.745, -0.337),  # Hull
    (50.822, -0.137),  # Brighton
)

# Age bands of looked-after children (DfE 2024): under 1, 1-4, 5-9, 10-15, 16-17.
AGE_BANDS = ((0, 0), (1, 4), (5, 9), (10, 15), (16, 17))
AGE_BAND_SHARES = (0.05, 0.15, 0.18, 0.38, 0.24)
# Share of the under-1 band that is not yet born (pre-birth FfA planning).
UNBORN_SHARE_OF_BABIES = 0.15
UNBORN_MAX_DAYS = 120

# Unaccompanied asylum-seeking children (~7% overall), by age in years.
UASC_PROBABILITY_BY_AGE = {12: 0.02, 13: 0.04, 14: 0.12, 15: 0.16, 16: 0.2, 17: 0.2}
UASC_MALE_SHARE = 0.9
MALE_SHARE = 0.53  # of the other children (DfE: 56% of all looked-after children)
# (weight, ethnicity, home language, religion weights (muslim, christian, none, buddhist))
UASC_ORIGINS = (
    (0.26, "AOTH", "ps", (0.97, 0.01, 0.02, 0.0)),  # Afghan, Pashto
    (0.08, "AOTH", "fa", (0.9, 0.05, 0.05, 0.0)),  # Afghan, Dari
    (0.16, "BAFR", "ti", (0.25, 0.7, 0.05, 0.0)),  # Eritrean, Tigrinya
    (0.12, "BAFR", "ar", (0.95, 0.03, 0.02, 0.0)),  # Sudanese, Arabic
    (0.12, "OOTH", "ku", (0.85, 0.05, 0.1, 0.0)),  # Kurdish
    (0.08, "OOTH", "fa", (0.75, 0.15, 0.1, 0.0)),  # Iranian, Farsi
    (0.08, "OOTH", "ar", (0.9, 0.05, 0.05, 0.0)),  # Syrian, Arabic
    (0.06, "WOTH", "sq", (0.6, 0.1, 0.3, 0.0)),  # Albanian
    (0.04, "OOTH", "vi", (0.0, 0.1, 0.5, 0.4)),  # Vietnamese
)
UASC_RELIGIONS = ("muslim", "christian", "none", "buddhist")

# Non-UASC children's ethnicity, chosen so that with the UASC origins above the whole
# population is about 71% White, 11% Mixed, 7% Black, 5% Asian, 6% other (DfE 2024).
CHILD_ETHNICITY = {
    "WBRI": 0.677,
    "WIRI": 0.008,
    "WIRT": 0.015,
    "WROM": 0.008,
    "WOTH": 0.044,
    "MWBC": 0.041,
    "MWBA": 0.018,
    "MWAS": 0.024,
    "MOTH": 0.035,
    "BAFR": 0.024,
    "BCRB": 0.013,
    "BOTH": 0.016,
    "AIND": 0.006,
    "APKN": 0.011,
    "ABAN": 0.005,
    "AOTH": 0.009,
    "CHNE": 0.004,
    "OOTH": 0.022,
    "REFU": 0.009,
    "NOBT": 0.011,
}
# Carers are mostly White British (Ofsted fostering statistics).
HOUSEHOLD_ETHNICITY = {
    "WBRI": 0.80,
    "WIRI": 0.01,
    "WOTH": 0.03,
    "MWBC": 0.02,
    "MOTH": 0.02,
    "BAFR": 0.03,
    "BCRB": 0.02,
    "BOTH": 0.01,
    "AIND": 0.015,
    "APKN": 0.02,
    "ABAN": 0.005,
    "AOTH": 0.005,
    "CHNE": 0.005,
    "OOTH": 0.01,
}

RELIGION_CODES = (
    "none",
    "christian",
    "muslim",
    "hindu",
    "sikh",
    "jewish",
    "buddhist",
    "other",
    "unknown",
)
# Religion weights per ethnicity (same order as RELIGION_CODES).
_WHITE_RELIGION = (0.55, 0.33, 0.01, 0.0, 0.0, 0.01, 0.0, 0.01, 0.09)
_MIXED_RELIGION = (0.5, 0.28, 0.1, 0.0, 0.0, 0.0, 0.0, 0.02, 0.1)
RELIGION_BY_ETHNICITY = {
    "WBRI": _WHITE_RELIGION,
    "WIRI": (0.35, 0.55, 0.0, 0.0, 0.0, 0.0, 0.0, 0.01, 0.09),
    "WIRT": (0.2, 0.7, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1),
    "WROM": (0.25, 0.65, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1),
    "WOTH": (0.3, 0.5, 0.1, 0.0, 0.0, 0.02, 0.0, 0.0, 0.08),
    "MWBC": _MIXED_RELIGION,
    "MWBA": (0.35, 0.35, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1),
    "MWAS": (0.35, 0.15, 0.35, 0.05, 0.02, 0.0, 0.0, 0.0, 0.08),
    "MOTH": _MIXED_RELIGION,
    "BAFR": (0.05, 0.55, 0.35, 0.0, 0.0, 0.0, 0.0, 0.0, 0.05),
    "BCRB": (0.35, 0.55, 0.02, 0.0, 0.0, 0.0, 0.0, 0.0, 0.08),
    "BOTH": (0.15, 0.5, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.05),
    "AIND": (0.05, 0.05, 0.1, 0.45, 0.3, 0.0, 0.0, 0.0, 0.05),
    "APKN": (0.02, 0.0, 0.95, 0.0, 0.0, 0.0, 0.0, 0.0, 0.03),
    "ABAN": (0.02, 0.0, 0.95, 0.0, 0.0, 0.0, 0.0, 0.0, 0.03),
    "AOTH": (0.1, 0.15, 0.45, 0.1, 0.0, 0.0, 0.15, 0.0, 0.05),
    "CHNE": (0.6, 0.15, 0.0, 0.0, 0.0, 0.0, 0.2, 0.0, 0.05),
    "OOTH": (0.15, 0.2, 0.5, 0.0, 0.0, 0.0, 0.05, 0.02, 0.08),
    "REFU": (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
    "NOBT": (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
}

# A second home language beside English, per ethnicity: (language, probability) pairs.
EXTRA_LANGUAGE_BY_ETHNICITY: dict[str, tuple[tuple[str, float], ...]] = {
    "WOTH": (("pl", 0.35), ("ro", 0.15), ("lt", 0.08), ("pt", 0.05)),
    "WROM": (("ro", 0.3),),
    "MWAS": (("ur", 0.1),),
    "BAFR": (("so", 0.2), ("yo", 0.1), ("tw", 0.08), ("ti", 0.05)),
    "BOTH": (("so", 0.15), ("fr", 0.1)),
    "AIND": (("pa", 0.25), ("gu", 0.25), ("hi", 0.1)),
    "APKN": (("ur", 0.45), ("pa", 0.15)),
    "ABAN": (("bn", 0.55),),
    "AOTH": (("ps", 0.15), ("ta", 0.1), ("ar", 0.1)),
    "CHNE": (("zh", 0.45),),
    "OOTH": (("ar", 0.3), ("ku", 0.1), ("fa", 0.1)),
}
BSL_SHARE = 0.004

# Distances: a workable radius for family time for about a third of children, a
# safeguarding distance from the birth family for a few percent; most school-age
# children have a school to keep.
FAMILY_TIME_SHARE = 0.35
FAMILY_TIME_KM = (15, 40)
SAFEGUARDING_SHARE = 0.03
SAFEGUARDING_KM = (20, 50)
SCHOOL_SHARE = 0.85

# Need probabilities by need age band (unborn/0, 1-4, 5-9, 10-15, 16-17): older children
# have more needs and more complex ones (Durham 2018: the children who wait are older
# or have complex needs).
NEED_AGE_BANDS = ((0, 0), (1, 4), (5, 9), (10, 15), (16, 17))
NEED_PROBABILITY: dict[str, tuple[float, float, float, float, float]] = {
    "physical_disability": (0.02, 0.03, 0.04, 0.04, 0.04),
    "learning_disability": (0.0, 0.03, 0.08, 0.1, 0.1),
    "autism": (0.0, 0.02, 0.06, 0.08, 0.07),
    "complex_health": (0.08, 0.05, 0.04, 0.04, 0.04),
    "emotional_behavioural": (0.0, 0.06, 0.35, 0.55, 0.5),
    "harmful_sexual_behaviour": (0.0, 0.0, 0.01, 0.04, 0.04),
    "exploitation_risk": (0.0, 0.0, 0.01, 0.1, 0.15),
    "missing_episodes": (0.0, 0.0, 0.01, 0.1, 0.12),
    "self_harm": (0.0, 0.0, 0.01, 0.08, 0.1),
    "substance_misuse": (0.0, 0.0, 0.0, 0.04, 0.1),
    "fire_setting": (0.0, 0.0, 0.01, 0.02, 0.02),
    "harm_to_animals": (0.0, 0.005, 0.01, 0.015, 0.01),
    "sen": (0.0, 0.05, 0.2, 0.25, 0.2),
    "attachment_trauma": (0.03, 0.25, 0.4, 0.45, 0.35),
    "uasc": (0.0, 0.0, 0.0, 0.0, 0.0),  # given to UASC children only
}
assert tuple(NEED_PROBABILITY) == NEED_CODES
COMPLEX_SHARE_BY_BAND = (0.2, 0.2, 0.3, 0.4, 0.4)

# Plans by age band for children who are not UASC and not residential (weights over
# vocab.PLANS order: return_home, kinship, sgo, cao, ffa, adoption, long_term_foster,
# residential, supported_living). Adoption is for young children (under ~6), FfA for
# babies; supported living from 16.
PLAN_WEIGHTS_BY_AGE: dict[int, tuple[float, ...]] = {
    0: (0.08, 0.08, 0.06, 0.02, 0.34, 0.32, 0.10, 0.0, 0.0),
    1: (0.12, 0.09, 0.09, 0.03, 0.05, 0.36, 0.26, 0.0, 0.0),
    2: (0.12, 0.09, 0.09, 0.03, 0.0, 0.35, 0.32, 0.0, 0.0),
    5: (0.14, 0.09, 0.08, 0.03, 0.0, 0.10, 0.56, 0.0, 0.0),
    6: (0.14, 0.10, 0.08, 0.03, 0.0, 0.0, 0.65, 0.0, 0.0),
    10: (0.13, 0.08, 0.05, 0.02, 0.0, 0.0, 0.72, 0.0, 0.0),
    16: (0.10, 0.05, 0.02, 0.0, 0.0, 0.0, 0.50, 0.0, 0.33),
}
# Older children with several complex needs: share given a residential plan (Durham:
# 22 residential of 400 plans outside the birth family).
RESIDENTIAL_MIN_AGE = 10
RESIDENTIAL_SHARE_OF_COMPLEX = 0.4

# Legal status weights per plan (DfE codes).
LEGAL_STATUS_BY_PLAN: dict[str, dict[str, float]] = {
    "return_home": {"C2": 0.45, "C1": 0.35, "V2": 0.2},
    "kinship": {"C2": 0.5, "C1": 0.35, "V2": 0.15},
    "sgo": {"C2": 0.55, "C1": 0.35, "V2": 0.1},
    "cao": {"C2": 0.5, "C1": 0.3, "V2": 0.2},
    "ffa": {"C1": 0.65, "C2": 0.15, "E1": 0.2},
    "adoption": {"E1": 0.7, "C2": 0.2, "C1": 0.1},
    "long_term_foster": {"C2": 0.76, "C1": 0.1, "V2": 0.12, "J2": 0.01, "L2": 0.01},
    "residential": {"C2": 0.72, "V2": 0.15, "C1": 0.05, "J2": 0.05, "L3": 0.03},
    "supported_living": {"V2": 0.5, "C2": 0.5},
}
UASC_LEGAL_STATUS = {"V2": 0.9, "C2": 0.1}

# Status weights (waiting, matched, placed) by kind of plan.
CHILD_STATUSES_ORDER = ("waiting", "matched", "placed")
FAMILY_FOUND_STATUS = (0.68, 0.12, 0.20)
# Calibrated to Durham's 2018 permanence report (shared/domain.md): of 286 children with
# a long-term fostering plan, 73 were not yet matched (about a quarter); of 92 with an
# adoption plan, 21 were placed and 42 waited with a placement order (the rest matched or
# awaiting the order). Other family-found plans keep FAMILY_FOUND_STATUS.
STATUS_BY_PLAN: dict[str, tuple[float, float, float]] = {
    "long_term_foster": (0.26, 0.06, 0.68),
    "adoption": (0.46, 0.31, 0.23),
    "ffa": (0.46, 0.31, 0.23),
}
NOT_FAMILY_FOUND_STATUS = (0.55, 0.0, 0.45)
UNBORN_STATUS = (0.85, 0.15, 0.0)

# Sibling groups: the share of each plan's children who are in a group, and the size
# mix. About half of the children waiting for adoption are in sibling groups (ASGLB:
# 57%), and brothers and sisters are common in long-term fostering too.
SIBLING_SHARE_BY_PLAN = {
    "adoption": 0.57,
    "long_term_foster": 0.35,
    "kinship": 0.4,
    "sgo": 0.35,
    "cao": 0.3,
    "return_home": 0.3,
}
SIBLING_GROUP_SIZES = ((2, 0.66), (3, 0.24), (4, 0.10))
RELATIONSHIP_WEIGHTS = (("full", 0.55), ("half", 0.4), ("step", 0.05))
# How a group was assessed: all together, split in two parts (apart across the
# split), or not yet assessed (pending).
GROUP_ASSESSMENT_WEIGHTS = (("together", 0.7), ("split", 0.15), ("pending", 0.15))

# Share of kinship / SGO / CAO family parts with a connected-person household in the
# pool, and the cap on connected households as a share of the pool (about a fifth of
# fostering households are kinship households).
CONNECTED_SHARE = 0.85
CONNECTED_MAX_SHARE_OF_POOL = 0.35

# Kinds of the rest of the pool (after connected households).
HOUSEHOLD_KIND_SHARES = (
    ("foster", 0.72),
    ("adopter", 0.16),
    ("ffa", 0.06),
    ("residential", 0.06),
)
FOSTER_TERMS = (("short", 0.35), ("long", 0.35), ("both", 0.30))
FOSTER_PROVIDERS = (("in_house", 0.6), ("ifa", 0.4))
ADOPTER_PROVIDERS = (("raa", 0.7), ("national", 0.3))
RESIDENTIAL_PROVIDERS = (("private", 0.7), ("in_house", 0.3))

# Approved age ranges, with scarcity for older children.
FOSTER_AGE_RANGES = (
    ((0, 2), 0.06),
    ((0, 4), 0.14),
    ((0, 8), 0.14),
    ((0, 11), 0.14),
    ((0, 17), 0.10),
    ((2, 11), 0.08),
    ((5, 11), 0.10),
    ((5, 17), 0.08),
    ((8, 17), 0.08),
    ((11, 17), 0.08),
)
ADOPTER_AGE_RANGES = (
    ((0, 2), 0.15),
    ((0, 4), 0.45),
    ((0, 6), 0.25),
    ((2, 8), 0.10),
    ((0, 10), 0.05),
)
FFA_AGE_RANGES = (((0, 1), 0.3), ((0, 2), 0.4), ((0, 4), 0.3))
RESIDENTIAL_AGE_RANGES = (
    ((8, 17), 0.15),
    ((10, 17), 0.45),
    ((12, 17), 0.3),
    ((13, 17), 0.1),
)
# Approved places: most households take one or two children, few three or more.
FOSTER_PLACES = ((1, 0.42), (2, 0.40), (3, 0.13), (4, 0.05))
ADOPTER_PLACES = ((1, 0.5), (2, 0.4), (3, 0.1))
FFA_PLACES = ((1, 0.7), (2, 0.3))
RESIDENTIAL_PLACES = ((2, 0.15), (3, 0.25), (4, 0.3), (5, 0.15), (6, 0.15))
# Largest sibling group taken together (capped by places): most take one or two.
FOSTER_MAX_GROUP = ((1, 0.4), (2, 0.42), (3, 0.13), (4, 0.05))
RESIDENTIAL_MAX_GROUP = ((1, 0.6), (2, 0.4))

# Share of a fostering household's places that are vacant: about 16% of fostering places
# were vacant in England (Ofsted, Fostering in England 2023-24; shared/domain.md). An
# available foster household has a vacancy with this probability, and then one place
# (more with FOSTER_MORE_VACANT for larger homes).
FOSTER_VACANT_CHANCE = 0.35
FOSTER_MORE_VACANT = 0.15

HOUSEHOLD_STATUS_ORDER = ("available", "on_hold", "in_assessment", "unavailable")
HOUSEHOLD_STATUS_WEIGHTS = (0.74, 0.1, 0.06, 0.1)
CONNECTED_STATUS_WEIGHTS = (0.78, 0.04, 0.15, 0.03)

# Weekly cost in pounds, (mean, sd) by provider and kind: agencies cost more.
WEEKLY_COST = {
    ("foster", "in_house"): (480.0, 60.0),
    ("foster", "ifa"): (920.0, 120.0),
    ("residential", "in_house"): (3600.0, 400.0),
    ("residential", "private"): (5200.0, 900.0),
}

# Skills held, by household kind (probability per skill code).
SKILL_CODES_ORDER = (*NEED_CODES, "therapeutic", "parent_and_child")
_FOSTER_SKILLS = (
    0.06, 0.12, 0.12, 0.08, 0.4, 0.03, 0.06, 0.05, 0.06, 0.04, 0.02, 0.01, 0.2, 0.35, 0.08,
    0.25, 0.05,
)  # fmt: skip
_ADOPTER_SKILLS = (
    0.03, 0.04, 0.04, 0.04, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.05, 0.2, 0.0,
    0.15, 0.0,
)  # fmt: skip
_RESIDENTIAL_SKILLS = (
    0.2, 0.4, 0.4, 0.3, 0.9, 0.3, 0.6, 0.6, 0.6, 0.5, 0.25, 0.15, 0.5, 0.7, 0.2,
    0.7, 0.0,
)  # fmt: skip
SKILL_PROBABILITY = {
    "foster": _FOSTER_SKILLS,
    "adopter": _ADOPTER_SKILLS,
    "ffa": _ADOPTER_SKILLS,
    "residential": _RESIDENTIAL_SKILLS,
}
# Stance on each need code: (not stated, level 1, level 2, refused). Harmful sexual
# behaviour, fire setting and substance misuse are the needs most often refused.
_OFTEN_REFUSED = frozenset({"harmful_sexual_behaviour", "fire_setting", "substance_misuse"})
_SOMETIMES_REFUSED = frozenset(
    {"exploitation_risk", "missing_episodes", "harm_to_animals", "self_harm"}
)


def stance_weights(kind: str, code: str) -> tuple[float, float, float, float]:
    """Weights of (not stated, considered at 1, considered at 2, refused) for one need."""
    if kind == "residential":
        if code in _OFTEN_REFUSED:
            return (0.1, 0.3, 0.35, 0.25)
        return (0.05, 0.25, 0.65, 0.05)
    if code in _OFTEN_REFUSED:
        return (0.25, 0.08, 0.02, 0.65)
    if code in _SOMETIMES_REFUSED:
        return (0.3, 0.25, 0.1, 0.35)
    if code == "uasc":
        return (0.35, 0.35, 0.15, 0.15) if kind == "foster" else (0.5, 0.0, 0.0, 0.5)
    return (0.3, 0.35, 0.22, 0.13)


SMOKER_SHARE = 0.10
PETS_SHARE = 0.40
WHEELCHAIR_SHARE = 0.03
RESIDENTIAL_WHEELCHAIR_SHARE = 0.2

FEMALE_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Ivy", "Freya", "Lily", "Florence", "Mia",
    "Willow", "Rosie", "Sophia", "Isabella", "Grace", "Daisy", "Sienna", "Poppy", "Elsie",
    "Emily", "Ella", "Evelyn", "Phoebe", "Sofia", "Evie", "Charlotte", "Harper", "Ruby",
    "Chloe", "Jessica", "Holly", "Megan", "Aisha", "Maya", "Zara", "Leah", "Millie",
)  # fmt: skip
MALE_NAMES = (
    "Noah", "Oliver", "George", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Archie",
    "Henry", "Theodore", "Freddie", "Jack", "Charlie", "Theo", "Alfie", "Jacob", "Thomas",
    "Finley", "Arlo", "William", "Lucas", "Tommy", "Isaac", "Teddy", "Ethan", "Mason",
    "Joshua", "Dylan", "Kai", "Riley", "Logan", "Callum", "Liam", "Tyler", "Reuben",
)  # fmt: skip
UASC_NAMES = (
    "Ahmad", "Mohammed", "Ali", "Hamid", "Reza", "Yonas", "Dawit", "Samir", "Omar",
    "Bilal", "Karim", "Mustafa", "Hassan", "Idris", "Amanuel", "Feven", "Hana", "Arben",
    "Ermal", "Minh", "Farid", "Zaid", "Yusuf", "Rahim",
)  # fmt: skip
SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
    "Hall", "Wood", "Jackson", "Clarke", "Patel", "Khan", "Lewis", "Harrison", "Turner",
    "Hughes", "Edwards", "Hill", "Moore", "Clark", "Cooper", "Ward", "Morris", "King",
    "Okafor", "Mensah", "Begum", "Hussain", "Kowalski", "Nowak", "Chen", "Singh",
)  # fmt: skip
RESIDENTIAL_NAMES = (
    "Oakfield", "Beechwood", "Hawthorn", "Larchmere", "Elmside", "Ashgrove", "Rowan",
    "Willowbank", "Heatherlea", "Brackenhill", "Fernlea", "Hollybrook",
)  # fmt: skip
