"""Warnings on one household for one unit: what a person must decide before a match.

A warning is a `{code, message}` pair (codes in `matching.labels.WARNING`). Unlike a
hard rule it excludes nothing, and unlike a score it cannot be outweighed: the shortlist
shows it beside the household and the panel paper carries it, so a person decides.

* `kinship_age_range`, `kinship_smoker`: a connected household is assessed and approved
  for its named children, so the approval age range and the under-fives smoking
  guidance do not exclude it (matching.rules); they are questions for that assessment.
* `approval_ends_before_18`: a long-term fostering match should last until the child is
  18 (Care Planning, Placement and Case Review (England) Regulations 2010 reg. 22A); an
  approval that ends sooner means re-approval must be discussed first.
"""

from __future__ import annotations

from dataclasses import dataclass

from matching.domain import Household
from matching.rules import UNDER_FIVE, UnitFeatures

KINSHIP_AGE_RANGE = "kinship_age_range"
KINSHIP_SMOKER = "kinship_smoker"
APPROVAL_ENDS_BEFORE_18 = "approval_ends_before_18"
# A foster approval's ages are whole years 0-17: an approval to 17 lasts until 18.
LAST_APPROVED_AGE = 17
LONG_TERM_PLAN = "long_term_foster"


@dataclass(frozen=True)
class MatchWarning:
    """Something about this household for this unit that a person must decide."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """The warning as printed JSON."""
        return {"code": self.code, "message": self.message}


def _ages(unit: UnitFeatures) -> str:
    if unit.size == 1:
        return f"the child is {unit.ages[0]}"
    if unit.min_age == unit.max_age:
        return f"the children are {unit.min_age}"
    return f"the children are {unit.min_age}–{unit.max_age}"


def _them(unit: UnitFeatures) -> str:
    return "the child" if unit.size == 1 else "the children"


def approval_ends_early(unit: UnitFeatures, approved_max_age: int) -> bool:
    """For a long-term fostering plan: the approval ends before the child is 18."""
    return LONG_TERM_PLAN in unit.plans and approved_max_age < LAST_APPROVED_AGE


def household_warnings(unit: UnitFeatures, h: Household) -> list[MatchWarning]:
    """The warnings on household `h` for `unit` (empty when there is nothing to decide)."""
    found: list[MatchWarning] = []
    lo, hi = h.approved_min_age, h.approved_max_age
    if h.kind == "connected":
        if unit.min_age < lo or unit.max_age > hi:
            found.append(
                MatchWarning(
                    KINSHIP_AGE_RANGE,
                    f"Approved for ages {lo}–{hi}; {_ages(unit)}: as connected persons they "
                    f"are approved for their named children, so the assessment must decide "
                    f"whether they can care for {_them(unit)} at this age.",
                )
            )
        if h.smoker and unit.min_age < UNDER_FIVE and "no_smokers" not in unit.requirements:
            who = "the child is" if unit.size == 1 else "a child is"
            found.append(
                MatchWarning(
                    KINSHIP_SMOKER,
                    f"Someone in the household smokes and {who} under five: connected "
                    "persons are not excluded for it, but a smoke-free home must be agreed "
                    "before the match.",
                )
            )
    if approval_ends_early(unit, hi):
        found.append(
            MatchWarning(
                APPROVAL_ENDS_BEFORE_18,
                f"Approved to age {hi}; {_ages(unit)}: discuss re-approval before a "
                "long-term match.",
            )
        )
    return found
