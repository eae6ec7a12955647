"""Response bodies of the REST API, and the bodies of requests only the API takes
(Pydantic v2). Requests that the pages or the CLI also make are in `api.requests`;
results are the types of `matching.results`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from matching.results import RoundDocument, ShortlistDocument


class _FromRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    expires_at: datetime
    role: str


class UserOut(_FromRow):
    username: str
    role: str
    active: bool
    created_at: datetime


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(min_length=12, max_length=256)
    role: Literal["family_finder", "recruitment", "panel", "decision_maker", "oversight", "admin"]


class UserActive(BaseModel):
    """Deactivate (ends every session of the user at once) or reactivate an account,
    and/or give it another role (from its next request)."""

    active: bool | None = None
    role: str | None = None


class SignedOut(BaseModel):
    signed_out: bool


class Child(_FromRow):
    child_id: str
    first_name: str
    date_of_birth: date
    sex: str
    ethnicity: str
    religion: str | None
    languages: list[str]
    legal_status: str | None
    plan: str
    entered_care_on: date | None
    plan_date: date | None
    home_lat: float | None
    home_lon: float | None
    school_lat: float | None
    school_lon: float | None
    family_time_max_km: float | None
    min_distance_km: float | None
    needs: dict[str, int]
    requirements: list[str]
    wishes: list[str]
    status: str
    placed_with: str | None = None
    placement_order_on: date | None = None
    facts: dict[str, str] = Field(default_factory=dict)
    # set when a snapshot import no longer held the child (kept for the audit)
    retired_at: datetime | None = None


class ChildWarning(BaseModel):
    """A practice warning a person must resolve (matching.practice)."""

    code: str
    message: str


class ChildRecord(Child):
    """One child's record with its stored practice warnings (sibling contradiction, plan
    conflict, plan not recorded): matching holds the child back until they are resolved."""

    warnings: list[ChildWarning] = Field(default_factory=list)


class ChildPage(BaseModel):
    items: list[Child]
    total: int
    limit: int
    offset: int


class Household(_FromRow):
    household_id: str
    name: str
    kind: str
    term: str | None
    provider: str
    weekly_cost: float | None
    approved_min_age: int
    approved_max_age: int
    approved_places: int
    max_sibling_group: int
    vacancies: int
    skills: list[str]
    will_consider: dict[str, int]
    will_not_consider: list[str]
    children_in_home_ages: list[int]
    ethnicities: list[str]
    religion: str | None
    languages: list[str]
    # null: the register does not record it (a question on the shortlist)
    smoker: bool | None
    pets: bool | None
    wheelchair_access: bool | None
    lat: float
    lon: float
    approved_on: date | None
    status: str
    connected_child_ids: list[str]


class HouseholdPage(BaseModel):
    items: list[Household]
    total: int
    limit: int
    offset: int


class ImportCounts(BaseModel):
    import_run_id: int
    as_of: date
    children_inserted: int
    children_updated: int
    households_inserted: int
    households_updated: int
    links_inserted: int
    links_updated: int
    inputs_fingerprint: str
    # how each file was decoded, practice warnings imported as recorded (FILE:LINE:
    # warning: ...), and the children stored without a permanence plan
    encodings: dict[str, str] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    needs_plan: list[str] = Field(default_factory=list)


class Proposal(_FromRow):
    id: int
    created_at: datetime
    created_by: str
    unit: list[str]
    household_id: str
    places: int
    source_kind: str
    source_id: int
    status: str
    rationale: dict[str, Any]
    recommendation: str | None
    recommendation_reasons: str | None
    recommendation_ranking_reason: str | None = None
    recommended_by: str | None
    recommended_at: datetime | None
    decision: str | None
    decision_reasons: str | None
    decision_ranking_reason: str | None = None
    decided_by: str | None
    decided_at: datetime | None


class ProposalPage(BaseModel):
    items: list[Proposal]
    total: int
    limit: int
    offset: int


class AuditEvent(_FromRow):
    id: int
    occurred_at: datetime
    username: str
    role: str
    action: str
    child_id: str | None
    subject: str | None
    client_address: str | None


class AuditPage(BaseModel):
    items: list[AuditEvent]
    total: int
    limit: int
    offset: int


class Shortlist(ShortlistDocument):
    """A stored shortlist as the CLI prints it, with its run id."""

    run_id: int


class RoundAccepted(BaseModel):
    round_id: int = Field(
        description="The round's id: poll GET /api/rounds/{round_id}, cancel with POST "
        "/api/rounds/{round_id}/cancel, propose from it with a proposal's round_id"
    )
    status: str


RoundState = Literal["queued", "running", "done", "failed", "cancelled"]


class RoundSummary(BaseModel):
    """A round without its result (lists carry no child)."""

    round_id: int
    status: RoundState
    requested_by: str
    created_at: datetime
    finished_at: datetime | None
    stage: str | None
    fraction: float | None
    params: dict[str, Any]
    error: str | None
    cancelled_by: str | None = None


class RoundStatus(RoundSummary):
    """A round: its status and progress and, once done, its result."""

    result: RoundDocument | None = Field(description="The stored round, once done")


class RoundPage(BaseModel):
    items: list[RoundSummary]


class GapPublicationOut(BaseModel):
    """A gap report published for recruitment (GET /api/gaps?as_of=<its date> reads it)."""

    id: int
    as_of: date
    basis: Literal["month_end", "import", "admin"]
    created_at: datetime
    created_by: str
    import_run_id: int | None
    policy_version: str


class GapPublicationPage(BaseModel):
    items: list[GapPublicationOut]


class FairnessPolicyOut(BaseModel):
    """A policy the service knows by name, that the fairness report can be compared
    under (`GET /api/fairness?compare=NAME`)."""

    name: str
    policy_version: str | None = Field(description="None when the file cannot be used")
    problem: str | None = Field(description="Why the file cannot be used, if it cannot")


class FairnessPolicyList(BaseModel):
    policies: list[FairnessPolicyOut]
    max_policy_bytes: int = Field(
        description="The largest policy file POST /api/fairness/compare accepts"
    )
