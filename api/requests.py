"""What a user may ask for, validated once whichever door they come in by.

One Pydantic model per kind of request, used by the REST API (as its body or query),
by the pages (built from the form or the query string) and by the CLI (built from the
options), so a limit and its message are written here once:

    RoundRequest           a matching round's parameters
    ShortlistQuery         one child's shortlist: how many, on what date, why not H
    ChildQuery             the children's list: filters and paging
    GapQuery               the gap report: date, suppression, what-if households
    GapPublicationRequest  publish the gap report as of a date
    ProposalRequest        propose a unit for a household from a stored run
    RecommendationRequest  the panel's recommendation on a proposal
    DecisionRequest        the agency decision on a proposal
    WithdrawalRequest      a proposal withdrawn, with the reason
    AuditQuery             the audit trail: filters and paging

A refusal is a `pydantic.ValidationError`: the API answers it with 422 (see
`api.http_errors`), a page shows each field's message beside the field
(`field_messages`), the CLI exits 2 naming the option.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from api.limits import (
    MAX_OFFSET,
    MAX_PAGE,
    MAX_WHAT_IF_SPECS,
    POLICY_NAME_PATTERN,
    ROUND_MAX_APPEARANCES,
    ROUND_MAX_PER_UNIT,
    ROUND_MAX_TIME_LIMIT_S,
    SHORTLIST_MAX_TOP,
)
from matching.vocab import MAX_CHILD_AGE

if TYPE_CHECKING:
    from matching.gaps import AddSpec
    from matching.rounds import RoundParams

MAX_INT32 = 2**31 - 1


def _said(message: str) -> WrapValidator:
    """Refuse with `message` whatever went wrong (missing, not a number, out of range),
    so every door shows the same sentence for the field."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError("invalid_value", message) from None

    return WrapValidator(validate)


def field_messages(error: ValidationError) -> dict[str, str]:
    """The first message for each field of a refused request, by field name (for a
    page to show beside its fields, or a command beside its options)."""
    messages: dict[str, str] = {}
    for item in error.errors():
        location = item.get("loc", ())
        field = str(location[0]) if location else ""
        messages.setdefault(field, str(item.get("msg", "is not valid")))
    return messages


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True)


# ----------------------------------------------------------------------------- rounds


class RoundRequest(_Request):
    """A matching round: shortlists (up to K per unit, each household on at most M lists)
    or one allocation, under a time limit, with a seed."""

    mode: Annotated[Literal["allocate", "shortlist"], _said("must be allocate or shortlist")] = (
        "allocate"
    )
    as_of: date | None = Field(default=None, description="Reference date (default today)")
    per_unit: Annotated[
        int,
        Field(ge=1, le=ROUND_MAX_PER_UNIT),
        _said(f"must be a whole number from 1 to {ROUND_MAX_PER_UNIT}"),
    ] = 3
    max_appearances: Annotated[
        int,
        Field(ge=1, le=ROUND_MAX_APPEARANCES),
        _said(f"must be a whole number from 1 to {ROUND_MAX_APPEARANCES}"),
    ] = 3
    time_limit_s: Annotated[
        float,
        Field(gt=0, le=ROUND_MAX_TIME_LIMIT_S),
        _said(
            "must be a whole number or a decimal of seconds, above 0 and at most "
            f"{ROUND_MAX_TIME_LIMIT_S:g}"
        ),
    ] = 30.0
    seed: Annotated[
        int, Field(ge=0, le=MAX_INT32), _said(f"must be a whole number from 0 to {MAX_INT32}")
    ] = 0

    def params(self) -> RoundParams:
        """The solver's parameters for this request."""
        from matching.rounds import RoundParams

        return RoundParams(
            mode=self.mode,
            per_unit=self.per_unit,
            max_appearances=self.max_appearances,
            time_limit_s=self.time_limit_s,
            seed=self.seed,
        )

    def on(self, default: date) -> date:
        """The round's reference date: `as_of`, else `default` (today)."""
        return self.as_of or default


# ----------------------------------------------------------------------------- records

ID_PATTERN = r"^[A-Za-z0-9._-]+$"

RecordId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]


class ShortlistQuery(_Request):
    """How one child's shortlist is asked for."""

    top: int = Field(default=10, ge=1, le=SHORTLIST_MAX_TOP, description="Households listed")
    as_of: date | None = Field(default=None, description="Reference date (default today)")
    why_not: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Also explain this household: the hard rules it fails, or its rank",
    )


class ChildQuery(_Request):
    """Which children to list, and which page of them.

    `plan` and `status` are checked against the vocabularies by the service (an unknown
    value is a FamilyFinderError, 400), as is an age band that is upside down.
    """

    plan: str | None = Field(default=None, description="One of the permanence plans")
    status: str | None = Field(default=None, description="waiting, matched or placed")
    age_min: int | None = Field(default=None, ge=0, le=MAX_CHILD_AGE)
    age_max: int | None = Field(default=None, ge=0, le=MAX_CHILD_AGE)
    waiting_since: date | None = Field(
        default=None,
        description="Children whose wait, as the pages show it (since entering care for "
        "an adoption plan, since the plan for the others), started on or before this date",
    )
    in_sibling_group: bool | None = Field(
        default=None, description="Only children with (true) or without (false) a sibling link"
    )
    as_of: date | None = Field(default=None, description="Date for ages (default today)")
    search: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="A child's id (or its start) or part of a first name, any case",
    )
    family_found: bool | None = Field(
        default=None,
        description="Only children whose plan is family-found (true: the waiting list "
        "rounds and the gap report count) or only those whose plan is not (false)",
    )
    sort: Literal["id", "days_waiting", "age", "plan"] = Field(
        default="id",
        description="id; days_waiting (longest first); age (youngest first); plan",
    )
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


# ----------------------------------------------------------------------------- gaps


def _add_spec(text: str) -> str:
    from matching.gaps import AddSpecError, parse_add_spec

    try:
        parse_add_spec(text)
    except AddSpecError as error:
        reason = error.problems[0].reason if error.problems else str(error)
        raise PydanticCustomError("add_spec", reason) from None
    return text


AddSpecText = Annotated[str, AfterValidator(_add_spec)]


def _few_enough(specs: tuple[str, ...]) -> tuple[str, ...]:
    if len(specs) > MAX_WHAT_IF_SPECS:
        raise PydanticCustomError(
            "too_many_what_ifs",
            f"give at most {MAX_WHAT_IF_SPECS} what-if household profiles at once",
        )
    return specs


class GapQuery(_Request):
    """The gap report asked for: its date, whether small counts are suppressed, and the
    what-if households (`matching.gaps.parse_add_spec` grammar, one spec per entry)."""

    as_of: date | None = Field(default=None, description="Reference date (default today)")
    suppress: bool = Field(default=True, description="Admin only: false shows exact counts")
    add: Annotated[tuple[AddSpecText, ...], AfterValidator(_few_enough)] = ()

    def specs(self) -> list[AddSpec]:
        """The what-if households, parsed (each was checked when the query was made)."""
        from matching.gaps import parse_add_spec

        return [parse_add_spec(text) for text in self.add]


# The what-if form's choices (the page's drop-downs and checkboxes): the kinds a
# household can be hypothesised as (connected carers are assessed for named children),
# the fostering terms, the ages and the places.
WHAT_IF_KINDS = ("foster", "adopter", "ffa", "residential")
WHAT_IF_TERMS = ("short", "long", "both")
WHAT_IF_MAX_PLACES = 4
WHAT_IF_MAX_COUNT = 1000


@dataclass(frozen=True)
class WhatIfForm:
    """The gap page's what-if form as submitted (every field as text, as a form sends
    it), and the one household profile it asks about once each field is valid."""

    kind: str = ""
    term: str = ""
    min_age: str = ""
    max_age: str = ""
    places: str = "1"
    count: str = "1"
    skills: tuple[str, ...] = ()

    def problems(self) -> dict[str, str]:
        """What is wrong, by field, in words a person can act on (nothing of the
        command line's `key=value` grammar)."""
        from matching.vocab import SKILL_CODES

        found: dict[str, str] = {}
        if self.kind not in WHAT_IF_KINDS:
            found["kind"] = "Select the kind of household"
        if self.kind == "foster" and self.term not in WHAT_IF_TERMS:
            found["term"] = "Select short-term, long-term or both for foster carers"
        elif self.kind in WHAT_IF_KINDS and self.kind != "foster" and self.term:
            found["term"] = "Leave the fostering term empty for households that do not foster"
        ages = [_choice(self.min_age, 0, MAX_CHILD_AGE), _choice(self.max_age, 0, MAX_CHILD_AGE)]
        if ages[0] is None:
            found["min_age"] = "Select the youngest age the households would be approved for"
        if ages[1] is None:
            found["max_age"] = "Select the oldest age the households would be approved for"
        elif ages[0] is not None and ages[0] > ages[1]:
            found["max_age"] = "The oldest age must be the same as the youngest age or more"
        if _choice(self.places, 1, WHAT_IF_MAX_PLACES) is None:
            found["places"] = "Select how many children each household could take"
        if not self.count.strip():
            found["count"] = "Enter how many households"
        elif _choice(self.count.strip().replace(",", ""), 1, WHAT_IF_MAX_COUNT) is None:
            found["count"] = (
                f"Enter how many households as a whole number from 1 to {WHAT_IF_MAX_COUNT:,}"
            )
        if any(skill not in SKILL_CODES for skill in self.skills):
            found["skills"] = "Select skills from the list only"
        return found

    def spec_text(self) -> str:
        """The household profile in `GapQuery.add`'s grammar (call once `problems()` is
        empty)."""
        from matching.gaps import AddSpec

        return AddSpec(
            kind=self.kind,
            term=self.term or None,
            min_age=int(self.min_age),
            max_age=int(self.max_age),
            places=int(self.places),
            count=int(self.count.strip().replace(",", "")),
            skills=tuple(sorted(set(self.skills))),
        ).describe()


def _choice(text: str, low: int, high: int) -> int | None:
    """A whole number from `low` to `high` as typed or chosen, else None."""
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        return None
    value = int(text)
    return value if low <= value <= high else None


class FairnessQuery(_Request):
    """The fairness report asked for: its date (an administrator's choice; everyone
    else reads it as of today), and a policy the service knows by name to compare it
    under (`api.services.compare_policies`)."""

    as_of: date | None = Field(default=None, description="Reference date (default today)")
    compare: str | None = Field(
        default=None,
        pattern=POLICY_NAME_PATTERN,
        description="A second policy, by name (`shipped`, or a NAME.toml of "
        "FAMILYFINDER_COMPARE_POLICY_DIR; the list: GET /api/fairness/policies): its "
        "report is returned beside the first as `compare`",
    )


class GapPublicationRequest(_Request):
    """Publish the gap report as of a date for the recruitment team (an administrator)."""

    as_of: date = Field(description="The report's reference date")


# ----------------------------------------------------------------------------- proposals


class ProposalRequest(_Request):
    """Propose the unit of a stored shortlist (`run_id`, the shortlist's run), or a
    round's unit of `child_id` (`round_id`, the id `POST /api/rounds` answered), for a
    household of that shortlist or round.

    Each source takes its own id and refuses the other's: a round's id given as a
    `run_id` (as before rounds had one id) is refused with a message, never taken for a
    shortlist or another round."""

    source: Literal["shortlist", "round"]
    run_id: int | None = Field(
        default=None, ge=1, le=MAX_INT32, description="For a shortlist: its run id"
    )
    round_id: int | None = Field(
        default=None, ge=1, le=MAX_INT32, description="For a round: the round's id"
    )
    household_id: str = Field(min_length=1)
    child_id: str | None = Field(
        default=None, description="For a round: a child of the unit to propose"
    )

    @model_validator(mode="after")
    def _one_id_for_its_source(self) -> ProposalRequest:
        if self.source == "round":
            if self.run_id is not None:
                raise PydanticCustomError(
                    "round_id",
                    "a proposal from a round names its round_id (the id POST /api/rounds "
                    "answered), not a run_id",
                )
            if self.round_id is None:
                raise PydanticCustomError("round_id", "a proposal from a round needs its round_id")
        else:
            if self.round_id is not None:
                raise PydanticCustomError(
                    "run_id", "a proposal from a shortlist names its run_id, not a round_id"
                )
            if self.run_id is None:
                raise PydanticCustomError(
                    "run_id", "a proposal from a shortlist needs the shortlist's run_id"
                )
        return self

    @property
    def source_id(self) -> int:
        """The id of the shortlist run or of the round proposed from."""
        source_id = self.round_id if self.source == "round" else self.run_id
        assert source_id is not None  # checked when the request was made
        return source_id


Reasons = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


RankingReason = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=10_000)]
_RANKING_REASON = (
    "Why this goes against the system's ranking, in words: required when a household "
    "that was not the top-ranked is recommended or approved, or the top-ranked one is "
    "not recommended or declined"
)


class RecommendationRequest(_Request):
    """The panel's recommendation, with its reasons (surrounding blanks are dropped), and
    why it departs from the system's ranking when it does (`ranking_reason`)."""

    recommendation: Literal["recommended", "not_recommended"]
    reasons: Reasons
    ranking_reason: RankingReason = Field(default=None, description=_RANKING_REASON)


class DecisionRequest(_Request):
    """The agency decision, with its reasons (surrounding blanks are dropped)."""

    decision: Literal["approved", "declined", "withdrawn"]
    reasons: Reasons
    ranking_reason: RankingReason = Field(default=None, description=_RANKING_REASON)


class WithdrawalRequest(_Request):
    """Why a proposal is withdrawn by its author or an administrator."""

    reasons: Reasons


# ----------------------------------------------------------------------------- audit


class AuditQuery(_Request):
    """Which audit events to list (newest first), and which page of them."""

    username: str | None = Field(default=None, max_length=64)
    child_id: str | None = Field(default=None, max_length=64)
    since: date | None = Field(default=None, description="From this date (UTC), inclusive")
    until: date | None = Field(default=None, description="To this date (UTC), inclusive")
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)

    def window(self) -> tuple[datetime | None, datetime | None]:
        """`since` and `until` as a half-open UTC interval [start, end)."""
        start = datetime.combine(self.since, time(), UTC) if self.since else None
        end = None
        if self.until is not None and self.until < date.max:
            end = datetime.combine(self.until, time(), UTC) + timedelta(days=1)
        return start, end
