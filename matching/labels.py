"""One vocabulary of labels: every code the service stores, said in words.

Pages, CLI tables, exports and the panel paper show these labels; raw codes stay only in
JSON and in CSV columns meant for machines (with a label column beside them). Each
vocabulary is a plain mapping from code to label, and `label(vocabulary, code)` reads
any of them, falling back to the code with its underscores as spaces, so an unknown
code (a policy criterion added later, say) still reads as words rather than failing.

    label("ethnicity", "WBRI")           -> "White British"
    label("legal_status", "E1")          -> "Placement order granted"
    label("plan", "long_term_foster")    -> "Long-term fostering"
    label("language", "ku")              -> "Kurdish"
    household_kind("foster", "long")     -> "Long-term foster carers"
    labels("need", ["autism", "sen"])    -> ["Autism", "Special educational needs"]
    need_with_level("autism", 2)         -> "Autism (complex)"

Labels start with a capital letter, for a table cell or a list; `lower(...)` gives the
form used inside a sentence ("a long-term fostering plan"), keeping proper nouns and
acronyms as they are. Sentence helpers (plurals, lists, dates) are in
`matching.phrases`.

Sources: DfE SSDA903 guidance (ethnicity and legal status codes), ISO 639-2 via Debian's
iso-codes (languages), docs/domain.md (everything else).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from matching.language_names import LANGUAGE_NAMES

# DfE census / SSDA903 ethnicity codes (CLA guidance, "ETHNIC").
ETHNICITY: Mapping[str, str] = {
    "WBRI": "White British",
    "WIRI": "White Irish",
    "WIRT": "Traveller of Irish heritage",
    "WOTH": "Any other White background",
    "WROM": "Gypsy or Roma",
    "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African",
    "MWAS": "White and Asian",
    "MOTH": "Any other mixed background",
    "AIND": "Indian",
    "APKN": "Pakistani",
    "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background",
    "BCRB": "Black Caribbean",
    "BAFR": "Black African",
    "BOTH": "Any other Black background",
    "CHNE": "Chinese",
    "OOTH": "Any other ethnic group",
    "REFU": "Refused",
    "NOBT": "Information not yet obtained",
}

# DfE SSDA903 legal status codes ("LS"), shortened where the guidance is a paragraph.
LEGAL_STATUS: Mapping[str, str] = {
    "C1": "Interim care order",
    "C2": "Full care order",
    "D1": "Freeing order granted",
    "E1": "Placement order granted",
    "J1": "Remanded to local authority or youth detention accommodation",
    "J2": "Placed in local authority accommodation under PACE 1984",
    "J3": "Youth rehabilitation order with a residence or fostering requirement",
    "L1": "Under police protection, in local authority accommodation",
    "L2": "Emergency protection order",
    "L3": "Child assessment order, in local authority accommodation",
    "V2": "Accommodated under section 20 (single period)",
    "V3": "Short breaks (each episode recorded)",
    "V4": "Short breaks (agreements recorded)",
}

PLAN: Mapping[str, str] = {
    "return_home": "Return home",
    "kinship": "Kinship care",
    "sgo": "Special guardianship order",
    "cao": "Child arrangements order",
    "ffa": "Fostering for adoption",
    "adoption": "Adoption",
    "long_term_foster": "Long-term fostering",
    "residential": "Residential care",
    "supported_living": "Supported living",
    "not_recorded": "No plan recorded",
}

NEED: Mapping[str, str] = {
    "physical_disability": "Physical disability",
    "learning_disability": "Learning disability",
    "autism": "Autism",
    "complex_health": "Complex health needs",
    "emotional_behavioural": "Emotional and behavioural needs",
    "harmful_sexual_behaviour": "Harmful sexual behaviour",
    "exploitation_risk": "Risk of exploitation",
    "missing_episodes": "Missing episodes",
    "self_harm": "Self-harm",
    "substance_misuse": "Substance misuse",
    "fire_setting": "Fire-setting",
    "harm_to_animals": "Harm to animals",
    "sen": "Special educational needs",
    "attachment_trauma": "Attachment difficulties and trauma",
    "uasc": "Unaccompanied asylum-seeking child",
}
# A household's skills: the need codes (trained or experienced in them) and two more.
SKILL: Mapping[str, str] = {
    **NEED,
    "therapeutic": "Therapeutic parenting",
    "parent_and_child": "Parent and child placements",
}
NEED_LEVEL: Mapping[str, str] = {"1": "additional", "2": "complex"}

REQUIREMENT: Mapping[str, str] = {
    "no_smokers": "No smokers in the home",
    "no_pets": "No pets in the home",
    "no_younger_children": "No younger children in the home",
    "no_older_children": "No older children in the home",
    "no_other_children": "No other children in the home",
    "wheelchair_access": "Wheelchair access",
}
WISH: Mapping[str, str] = {
    "pets": "To live with pets",
    "near_school": "To stay near their school",
    "same_religion": "A family of the same religion",
    "same_language": "A family who speaks their language",
}
RELIGION: Mapping[str, str] = {
    "none": "No religion",
    "christian": "Christian",
    "muslim": "Muslim",
    "hindu": "Hindu",
    "sikh": "Sikh",
    "jewish": "Jewish",
    "buddhist": "Buddhist",
    "other": "Another religion",
    "unknown": "Not known",
}
SEX: Mapping[str, str] = {"female": "Female", "male": "Male", "unknown": "Not known"}

CHILD_STATUS: Mapping[str, str] = {
    "waiting": "Waiting",
    "matched": "Matched",
    "placed": "Placed",
}
HOUSEHOLD_STATUS: Mapping[str, str] = {
    "available": "Available",
    "on_hold": "On hold",
    "in_assessment": "In assessment",
    "unavailable": "Unavailable",
}
HOUSEHOLD_KIND: Mapping[str, str] = {
    "foster": "Foster carers",
    "adopter": "Adopters",
    "ffa": "Fostering for adoption carers (dual approved)",
    "connected": "Connected persons (family and friends)",
    "residential": "Children's home",
}
FOSTER_TERM: Mapping[str, str] = {
    "short": "Short-term",
    "long": "Long-term",
    "both": "Short- and long-term",
}
PROVIDER: Mapping[str, str] = {
    "in_house": "In-house",
    "ifa": "Independent fostering agency",
    "raa": "Regional adoption agency",
    "national": "National adopter pool",
    "private": "Private provider",
}

RELATIONSHIP: Mapping[str, str] = {
    "full": "Full siblings",
    "half": "Half siblings",
    "step": "Step-siblings",
    "not_recorded": "Siblings (relationship not recorded)",
}
ASSESSMENT: Mapping[str, str] = {
    "together": "To live together",
    "apart": "To live apart",
    "pending": "Assessment pending",
}

# Hard rules (matching.rules.HARD_RULES), as "excluded because of ...".
RULE: Mapping[str, str] = {
    "plan_kind": "Kind of household does not serve the plan",
    "connected_to_child": "Connected to other children only",
    "status": "Not available",
    "age_range": "Outside the approved age range",
    "capacity": "Not enough room (vacancies, places or sibling group size)",
    "will_not_consider": "Will not consider one of the needs",
    "smoker_under_five": "Smokers, and a child under five or who needs a smoke-free home",
    "requirement": "Does not meet one of the child's requirements",
    "safeguarding_distance": "Too near the birth family (safeguarding distance)",
    "siblings_apart": "Holds a sibling assessed to live apart",
    "co_placement": "Would hold a child they must not live with",
}
# Soft criteria (matching.scoring.CRITERIA).
CRITERION: Mapping[str, str] = {
    "needs": "Needs met",
    "age_fit": "Age within the approval",
    "identity": "Identity (ethnicity, religion, language)",
    "family_time_distance": "Distance for family time",
    "school_distance": "Distance from school",
    "household_fit": "Children already at home",
    "wishes": "The child's wishes",
    "in_house": "In-house before agency",
    "adopter_waiting": "Adopters' time waiting",
    "ffa_duty": "Fostering for adoption duty",
    "permanence": "Approval lasts to 18",
}

ROUND_MODE: Mapping[str, str] = {
    "allocate": "One household for each child (allocation)",
    "shortlist": "Shortlists for every child",
}
SOLVER_STATUS: Mapping[str, str] = {
    "OPTIMAL": "The best allocation possible (proven)",
    "FEASIBLE": "A good allocation, not proven the best (the time limit was reached)",
    "INFEASIBLE": "No allocation satisfies every rule",
    "UNKNOWN": "No answer within the time limit",
}
# A background round's state (api.services.round_jobs).
ROUND_STATUS: Mapping[str, str] = {
    "queued": "Waiting to start",
    "running": "Running",
    "done": "Done",
    "failed": "Failed",
    "cancelled": "Cancelled",
}
SOLVER: Mapping[str, str] = {
    "min_cost_flow": "Network flow",
    "min_cost_flow+cp_sat": "Network flow, then constraint programming",
    "cp_sat": "Constraint programming",
    "greedy": "Best first (greedy)",
}
UNPLACED_REASON: Mapping[str, str] = {
    "no_feasible_household": "No household passes every rule",
    "taken_by_others": "Every household that could take them went to others",
    "apart_from_placed": "The household with room holds a sibling assessed to live apart",
    "co_placement": "The household with room holds a child they must not live with",
    "not_reached_within_time_limit": "The search stopped at its time limit",
    "sibling_contradiction": "Sibling assessments contradict each other",
    "plan_conflict": "Siblings to live together have different plans",
    "sibling_reunification": "Matched first to their siblings' household",
}
WARNING: Mapping[str, str] = {
    "sibling_contradiction": "Sibling assessments contradict each other",
    "plan_conflict": "Siblings to live together have different plans",
    "plan_not_recorded": "No permanence plan recorded",
    "pending_assessment": "Together-and-Apart assessment pending",
    "sibling_reunification": "Matched first to their siblings' household",
    "kinship_age_range": "Connected persons: the child's age is outside their approval",
    "kinship_smoker": "Connected persons who smoke, and a child under five",
    "approval_ends_before_18": "The approval ends before the child is 18",
}
# Policy tiers (matching.tiers): ranks above the score, as a round or a shortlist says
# why a household came first.
TIER: Mapping[str, str] = {
    "kinship": "Kinship first: connected persons for this child",
    "needs_met": "Meets every need at the child's level",
    "permanence": "The approval lasts until the child is 18",
}

# A proposal's stage (api.services.proposals): what a family finder reads beside a child.
PROPOSAL_STAGE: Mapping[str, str] = {
    "proposed": "Proposed, awaiting panel",
    "recommended": "Recommended by panel",
    "not_recommended": "Not recommended by panel",
    "approved": "Approved",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
}
ROLE: Mapping[str, str] = {
    "family_finder": "Family finder",
    "recruitment": "Recruitment",
    "panel": "Panel",
    "decision_maker": "Agency decision maker",
    "oversight": "Oversight",
    "admin": "Administrator",
}
AUDIT_ACTION: Mapping[str, str] = {
    "read_child": "Read a child's record",
    "read_shortlist": "Read a shortlist",
    "list_children": "Listed children",
    "read_proposal": "Read a panel paper",
    "list_proposals": "Listed proposals",
    "preview_proposal": "Checked a proposal before making it",
    "create_proposal": "Proposed a match",
    "withdraw_proposal": "Withdrew a proposal",
    "record_recommendation": "Recorded the panel's recommendation",
    "record_decision": "Recorded the agency decision",
    "read_household": "Read a household",
    "compare_households": "Compared households",
    "import": "Imported records",
    "export_gaps": "Exported the gap report",
    "read_gaps": "Read the gap report",
    "read_fairness": "Read the fairness report",
    "add_user": "Added a user",
    "activate_user": "Reactivated a user",
    "deactivate_user": "Deactivated a user",
    "change_role": "Changed a user's role",
}

# The fairness report (matching.fairness): its dimensions and its figures.
FAIRNESS_DIMENSION: Mapping[str, str] = {
    "ethnicity": "Ethnicity (DfE major group)",
    "sex": "Sex",
    "age_band": "Age band",
    "disability": "Disability",
    "sibling_group": "Sibling group",
    "uasc": "Unaccompanied asylum-seeking",
}
FAIRNESS_METRIC: Mapping[str, str] = {
    "feasible_households_median": "Households that could take the child (median)",
    "feasible_households_lower_quartile": "Households that could take the child (lower quartile)",
    "best_score_median": "Score of the best household (median)",
    "placed_by_round_share": "Placed by the last allocation round",
    "placeable_share": "Placeable by today's pool",
    "within_first_threshold_share": "Waiting no longer than the first scorecard threshold",
    "within_second_threshold_share": "Waiting no longer than the second scorecard threshold",
    "days_waiting_median": "Days waiting (median)",
}
DRIVER_KIND: Mapping[str, str] = {"criterion": "Scoring criterion", "rule": "Hard rule"}
RANKING_STAGE: Mapping[str, str] = {"panel": "Panel recommendation", "decision": "Agency decision"}

LANGUAGE: Mapping[str, str] = {**LANGUAGE_NAMES, "bsl": "British Sign Language"}

VOCABULARIES: Mapping[str, Mapping[str, str]] = {
    "ethnicity": ETHNICITY,
    "legal_status": LEGAL_STATUS,
    "plan": PLAN,
    "need": NEED,
    "skill": SKILL,
    "need_level": NEED_LEVEL,
    "requirement": REQUIREMENT,
    "wish": WISH,
    "religion": RELIGION,
    "sex": SEX,
    "child_status": CHILD_STATUS,
    "household_status": HOUSEHOLD_STATUS,
    "household_kind": HOUSEHOLD_KIND,
    "foster_term": FOSTER_TERM,
    "provider": PROVIDER,
    "relationship": RELATIONSHIP,
    "assessment": ASSESSMENT,
    "rule": RULE,
    "criterion": CRITERION,
    "round_mode": ROUND_MODE,
    "solver_status": SOLVER_STATUS,
    "round_status": ROUND_STATUS,
    "solver": SOLVER,
    "unplaced_reason": UNPLACED_REASON,
    "warning": WARNING,
    "tier": TIER,
    "proposal_stage": PROPOSAL_STAGE,
    "role": ROLE,
    "audit_action": AUDIT_ACTION,
    "language": LANGUAGE,
    "fairness_dimension": FAIRNESS_DIMENSION,
    "fairness_metric": FAIRNESS_METRIC,
    "driver_kind": DRIVER_KIND,
    "ranking_stage": RANKING_STAGE,
}

# Words kept capitalised inside a sentence: proper nouns, nationalities, acronyms.
_KEEP_CAPITALS = frozenset(
    {"White", "Black", "Asian", "Irish", "British", "Caribbean", "African", "Indian"}
    | {"Pakistani", "Bangladeshi", "Chinese", "Traveller", "Gypsy", "Roma", "Sign"}
    | {"Christian", "Muslim", "Hindu", "Sikh", "Jewish", "Buddhist", "English", "PACE"}
)


def _fallback(code: str) -> str:
    words = code.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else "Not recorded"


def label(vocabulary: str, code: object) -> str:
    """The words for `code` in `vocabulary` (a key of VOCABULARIES).

    An empty or missing code is "Not recorded"; an unknown one reads as its words
    ("some_code" -> "Some code"); a language code is read case-insensitively. KeyError
    for an unknown vocabulary (a typo in a caller, not data).
    """
    table = VOCABULARIES[vocabulary]
    if code is None or code == "":
        return "Not recorded"
    text = str(code)
    if vocabulary == "language":
        text = text.lower()
    found = table.get(text)
    if found is not None:
        return found
    if vocabulary == "language":
        return f"Language {text}"
    return _fallback(text)


def labels(vocabulary: str, codes: Iterable[object]) -> list[str]:
    """`label` of each code, in the order given."""
    return [label(vocabulary, code) for code in codes]


def lower(text: str) -> str:
    """A label as it reads inside a sentence: its first word lower-cased unless it is a
    proper noun or an acronym ("Long-term fostering" -> "long-term fostering",
    "White British" stays, "BSL" stays)."""
    first, _, rest = text.partition(" ")
    acronym = len(first) > 1 and first.isupper()
    if not first or first in _KEEP_CAPITALS or acronym or first in LANGUAGE.values():
        return text
    return first[:1].lower() + first[1:] + (" " + rest if rest else "")


def need_with_level(code: str, level: int) -> str:
    """A need and its level: "Autism (complex)"."""
    return f"{label('need', code)} ({label('need_level', level)})"


def household_kind(kind: str, term: str | None = None) -> str:
    """A household's kind with its fostering term: "Long-term foster carers"."""
    if kind == "foster" and term:
        return {
            "short": "Short-term foster carers",
            "long": "Long-term foster carers",
            "both": "Short- and long-term foster carers",
        }.get(term, f"Foster carers ({lower(label('foster_term', term))})")
    return label("household_kind", kind)
