"""The scoring policy: weights and thresholds as versioned data.

The default policy ships in the package (`matching/default_policy.toml`); an authority
may supply its own text. Every result quotes the policy version it was made under.
A policy that does not validate raises `PolicyError` naming the offending key, e.g.
``weights.age_fit: must be >= 0``.
"""

from __future__ import annotations

import json
import threading
import tomllib
import weakref
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
    # optional so that policy files written before it still load (no permanence points)
    permanence: Weight = 0.0

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
    """Who counts as a baby for the fostering-for-adoption duty, and until when it applies."""

    max_age_years: int = Field(ge=0, le=17)
    # the duty applies only until a placement order is made (s.22C(9A)-(9B)); optional
    # so older policy files still load, with the statute's reading as the default
    until_placement_order: bool = True


TIER_NAMES = ("kinship", "needs_met", "permanence")


class TierPolicy(_Strict):
    """A tier: households meeting it rank above those that do not, whatever the score."""

    name: str
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _known(self) -> TierPolicy:
        if self.name not in TIER_NAMES:
            raise ValueError(f"unknown tier {self.name!r} (known: {', '.join(TIER_NAMES)})")
        return self


def _default_tiers() -> tuple[TierPolicy, ...]:
    # a policy file written before tiers existed keeps kinship first, as it always had
    return (TierPolicy(name="kinship", source="Children Act 1989 s.22C(7)(a)"),)


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

    @model_validator(mode="after")
    def _tiers_once(self) -> Policy:
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError("tiers: each tier at most once")
        return self

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
    # highest first; kinship alone for a policy file written before tiers existed
    tiers: tuple[TierPolicy, ...] = Field(default_factory=_default_tiers)
    # needs-gap report profiles; optional so older policy files still load
    profiles: ProfilesPolicy = Field(default_factory=lambda: ProfilesPolicy())
    # who may live together when a round gives one household several units; optional
    # so older policy files still load (they get the shipped rules, never none)
    co_placement: CoPlacementPolicy = Field(default_factory=lambda: default_co_placement())
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
    except RecursionError as exc:  # tomllib reads nested arrays and tables recursively
        raise PolicyError("policy is not valid TOML: nested too deeply") from exc
    try:
        policy = Policy.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "policy"
        raise PolicyError(f"{key}: {_describe(first)}") from exc
    _remember_text(policy, source)
    return policy


# The text each policy still in use was loaded from, so a stored run can keep the
# policy file's own words (its comments name the sources). Keyed by the object's id and
# dropped when the object is: a copy made in code (`model_copy`) is another object and
# gets `policy_toml` instead.
_TEXTS: dict[int, tuple[weakref.ref[Policy], str]] = {}
_texts_lock = threading.Lock()


def _forget_text(key: int) -> None:
    with _texts_lock:
        _TEXTS.pop(key, None)


def _remember_text(policy: Policy, text: str) -> None:
    with _texts_lock:
        _TEXTS[id(policy)] = (weakref.ref(policy), text)
    weakref.finalize(policy, _forget_text, id(policy))


def policy_text(policy: Policy) -> str:
    """The text `policy` was loaded from (the file with its comments), or, for a policy
    made in code, the same values written as TOML: either way `load_policy` of it gives
    an equal policy."""
    with _texts_lock:
        kept = _TEXTS.get(id(policy))
    if kept is not None and kept[0]() is policy:
        return kept[1]
    return policy_toml(policy)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _toml_table(path: str, table: dict[str, Any], lines: list[str]) -> None:
    def is_table(v: Any) -> bool:
        return isinstance(v, dict)

    def is_table_array(v: Any) -> bool:
        return isinstance(v, list | tuple) and bool(v) and all(isinstance(x, dict) for x in v)

    for key, value in table.items():
        if not is_table(value) and not is_table_array(value):
            lines.append(f"{key} = {_toml_value(value)}")
    for key, value in table.items():
        name = f"{path}.{key}" if path else key
        if is_table(value):
            lines.extend(["", f"[{name}]"])
            _toml_table(name, value, lines)
        elif is_table_array(value):
            for item in value:
                lines.extend(["", f"[[{name}]]"])
                _toml_table(name, item, lines)


def policy_toml(policy: Policy) -> str:
    """The policy's values as a TOML policy file (no comments)."""
    lines = ["# written by familyfinder from the policy's values (no file text was kept)"]
    _toml_table("", policy.model_dump(mode="json"), lines)
    return "\n".join(lines) + "\n"


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


class CoPlacementRisk(_Strict):
    """A child with `need` at `min_level` or above does not live with a younger child
    unrelated to them (`matching.coplacement`); `source` names the guidance."""

    need: str
    min_level: int = Field(ge=1, le=2)
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _known(self) -> CoPlacementRisk:
        from matching.vocab import NEED_CODES

        if self.need not in NEED_CODES:
            raise ValueError(f"unknown need code {self.need!r}")
        return self


class CoPlacementPolicy(_Strict):
    """`[co_placement]`: the risk rules between children a round places together, and the
    household kinds that take one unit (child or sibling group) at a time."""

    one_unit_kinds: tuple[str, ...]
    one_unit_source: str = Field(min_length=1)
    risks: tuple[CoPlacementRisk, ...]

    @model_validator(mode="after")
    def _kinds(self) -> CoPlacementPolicy:
        from matching.vocab import HOUSEHOLD_KINDS

        unknown = sorted(set(self.one_unit_kinds) - HOUSEHOLD_KINDS)
        if unknown:
            raise ValueError(f"unknown household kind {unknown[0]!r}")
        return self

    def risk_levels(self) -> dict[str, int]:
        """Each risk need and the lowest level that makes a child a co-placement risk."""
        levels: dict[str, int] = {}
        for r in self.risks:
            levels[r.need] = min(levels.get(r.need, r.min_level), r.min_level)
        return levels

    def risk_level(self, need: str) -> int | None:
        """The lowest level of `need` that makes a child a co-placement risk, or None."""
        levels = [r.min_level for r in self.risks if r.need == need]
        return min(levels) if levels else None


def default_co_placement() -> CoPlacementPolicy:
    """The `[co_placement]` section of the shipped policy (for policy files without one)."""
    data = tomllib.loads(default_policy_text())
    return CoPlacementPolicy.model_validate(data["co_placement"])


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
