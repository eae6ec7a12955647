"""The scoring policy: weights and thresholds as versioned data.

The default policy ships in the package (`matching/default_policy.toml`); an authority
may supply its own text. Every result quotes the policy version it was made under.
A policy that does not validate raises `PolicyError` naming the offending key, e.g.
``weights.age_fit: must be >= 0``.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from matching.errors import PolicyError

Weight = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Weights(_Strict):
    """Relative weight of each soft criterion (rescaled to 100 over the applicable ones)."""

    needs: Weight
    age_fit: Weight
    identity: Weight
    family_time_distance: Weight
    school_distance: Weight
    household_fit: Weight
    wishes: Weight
    in_house: Weight
    adopter_waiting: Weight
    ffa_duty: Weight

    @model_validator(mode="after")
    def _some_weight(self) -> Weights:
        if not any(v > 0 for v in self.model_dump().values()):
            raise ValueError("at least one weight must be > 0")
        return self


class NeedsPolicy(_Strict):
    """Credit for needs: tolerance versus skill, and partial tolerance."""

    tolerance_share: Fraction
    lower_level_credit: Fraction
    not_stated_credit: Fraction


class AgeFitPolicy(_Strict):
    """Head-room inside the approval range that earns full credit."""

    margin_years: int = Field(ge=0)


class IdentityPolicy(_Strict):
    """Partial credit for a shared broad ethnic group."""

    broad_group_credit: Fraction


class DistancePolicy(_Strict):
    """Workable radii (km) for family time and school."""

    family_time_default_km: float = Field(gt=0)
    school_max_km: float = Field(gt=0)


class HouseholdFitPolicy(_Strict):
    """Age gaps to the children already in the home."""

    min_age_gap_years: int = Field(ge=1)
    no_children_credit: Fraction


class CostPolicy(_Strict):
    """Credit by provider: in-house carers first."""

    in_house: Fraction
    raa: Fraction
    national: Fraction
    ifa: Fraction
    private: Fraction


class AdopterWaitingPolicy(_Strict):
    """Days since approval that earn an adopter full credit."""

    full_credit_days: int = Field(ge=1)


class FfaDutyPolicy(_Strict):
    """Who counts as a baby for the fostering-for-adoption duty."""

    max_age_years: int = Field(ge=0, le=17)


class PriorityPolicy(_Strict):
    """How a unit's round priority grows with days waiting."""

    first_threshold_days: int = Field(ge=1)
    second_threshold_days: int = Field(ge=1)
    at_first_threshold: float = Field(ge=1)
    at_second_threshold: float = Field(ge=1)
    per_year_beyond: Weight
    maximum: float = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> PriorityPolicy:
        if self.second_threshold_days <= self.first_threshold_days:
            raise ValueError("second_threshold_days must be after first_threshold_days")
        if self.at_second_threshold < self.at_first_threshold:
            raise ValueError("at_second_threshold must be >= at_first_threshold")
        return self


class Policy(_Strict):
    """A validated scoring policy."""

    version: str = Field(min_length=1)
    min_round_score: float = Field(ge=0, le=100)
    weights: Weights
    needs: NeedsPolicy
    age_fit: AgeFitPolicy
    identity: IdentityPolicy
    distance: DistancePolicy
    household_fit: HouseholdFitPolicy
    cost: CostPolicy
    adopter_waiting: AdopterWaitingPolicy
    ffa_duty: FfaDutyPolicy
    priority: PriorityPolicy
    # needs-gap report profiles; optional so older policy files still load
    profiles: ProfilesPolicy = Field(default_factory=lambda: ProfilesPolicy())
    # fairness report (matching.fairness); optional so older policy files still load
    fairness: FairnessPolicy = Field(default_factory=lambda: FairnessPolicy())


def default_policy_text() -> str:
    """The text of the policy shipped with the package."""
    return resources.files("matching").joinpath("default_policy.toml").read_text("utf-8")


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _describe(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "greater_than_equal":
        return f"must be >= {_number(ctx['ge'])}"
    if kind == "greater_than":
        return f"must be > {_number(ctx['gt'])}"
    if kind == "less_than_equal":
        return f"must be <= {_number(ctx['le'])}"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "missing"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def load_policy(text: str | None = None) -> Policy:
    """Parse and validate a policy; `None` loads the default shipped with the package.

    Raises `PolicyError` naming the first offending key (``section.key: reason``).
    """
    source = default_policy_text() if text is None else text
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy is not valid TOML: {exc}") from exc
    try:
        return Policy.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "policy"
        raise PolicyError(f"{key}: {_describe(first)}") from exc


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    """The default policy, parsed once (policies are immutable)."""
    return load_policy(None)


class ProfilesPolicy(_Strict):
    """`[profiles]`: how coarse the needs-gap report's profiles are (matching.gaps)."""

    age_bands: tuple[int, ...] = (0, 5, 10, 16)
    max_size_band: int = Field(default=3, ge=1)
    key_needs: tuple[str, ...] = (
        "emotional_behavioural",
        "harmful_sexual_behaviour",
        "autism",
        "learning_disability",
        "physical_disability",
        "complex_health",
    )
    key_need_min_level: int = Field(default=1, ge=1, le=2)
    target_radius_km: float = Field(default=25.0, gt=0)
    area_grid_degrees: float = Field(default=0.5, gt=0)
    max_target_places: int = Field(default=3, ge=1)

    @model_validator(mode="after")
    def _valid(self) -> ProfilesPolicy:
        from matching.vocab import NEED_CODES

        if (
            not self.age_bands
            or self.age_bands[0] != 0
            or list(self.age_bands) != sorted(set(self.age_bands))
        ):
            raise ValueError("age_bands must start at 0 and increase")
        unknown = sorted(set(self.key_needs) - set(NEED_CODES))
        if unknown:
            raise ValueError(f"unknown need code {unknown[0]!r}")
        return self


class FairnessPolicy(_Strict):
    """`[fairness]`: when the fairness report flags a group (matching.fairness)."""

    threshold: float = Field(default=0.8, gt=0, le=1)
    confidence: float = Field(default=0.95, gt=0, lt=1)
    bootstrap_samples: int = Field(default=1000, ge=100, le=100_000)
    min_children: int = Field(default=20, ge=1)
    disability_needs: tuple[str, ...] = (
        "physical_disability",
        "learning_disability",
        "autism",
    )

    @model_validator(mode="after")
    def _known_needs(self) -> FairnessPolicy:
        from matching.vocab import NEED_CODES

        if not self.disability_needs:
            raise ValueError("disability_needs must name at least one need")
        unknown = sorted(set(self.disability_needs) - set(NEED_CODES))
        if unknown:
            raise ValueError(f"unknown need code {unknown[0]!r}")
        return self


Policy.model_rebuild()
