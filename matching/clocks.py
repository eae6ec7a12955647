"""How long a child has waited: the adoption scorecard's clocks, and the round's clock.

One implementation, read by the shortlist, rounds, the gap report, the pages and the
waiting list's dashboard:

* for an adoption plan (`adoption`, `ffa`) the scorecard measures (DfE adoption
  scorecard, thresholds A1/A10 and A2): A1 from the day the child entered care
  (426 days to placement), A2 from the placement order (121 days to a match);
* every other plan shows the days since the plan was made, with no scorecard label
  (the thresholds are the adoption scorecard's, not theirs);
* a round's priority uses the longest honest clock: the earliest of entering care,
  the placement order and the plan date. Re-dating a plan (a review records a new plan
  date) can only start a later clock, never reset the one already running, so it never
  puts a child back to the end of the queue (docs/domain.md, "Legal status").

The functions take plain values, so a stored record and a domain `Child` read alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Plans the adoption scorecard measures (fostering for adoption is an adoption route).
ADOPTION_PLANS = frozenset({"adoption", "ffa"})

# DfE adoption scorecard thresholds (A1/A10: entering care to placement with the
# adoptive family, 14 months; A2: placement order to match, 4 months).
A1_DAYS = 426
A2_DAYS = 121


def _days(since: date | None, as_of: date) -> int | None:
    """Whole days from `since` to `as_of`; None when not recorded or still ahead."""
    if since is None or since > as_of:
        return None
    return (as_of - since).days


@dataclass(frozen=True)
class WaitingClocks:
    """A child's clocks on one date (None: the date it starts from is not recorded)."""

    plan: str
    since_entering_care: int | None  # A1 for an adoption plan
    since_placement_order: int | None  # A2 for an adoption plan
    since_plan: int | None

    @property
    def scorecard(self) -> bool:
        """True when the adoption scorecard measures this child (an adoption plan)."""
        return self.plan in ADOPTION_PLANS

    @property
    def longest(self) -> int | None:
        """The longest honest clock: the round's priority counts from it."""
        running = [
            d
            for d in (self.since_entering_care, self.since_placement_order, self.since_plan)
            if d is not None
        ]
        return max(running) if running else None

    @property
    def shown(self) -> int | None:
        """The days a page shows as "waiting": A1 for an adoption plan (days since
        entering care, else since the plan), the days since the plan for the others
        (else since entering care)."""
        if self.scorecard:
            return (
                self.since_entering_care
                if self.since_entering_care is not None
                else (self.since_plan)
            )
        return self.since_plan if self.since_plan is not None else self.since_entering_care

    def over(self) -> list[str]:
        """The scorecard thresholds passed, in words (empty for other plans)."""
        if not self.scorecard:
            return []
        passed = []
        if self.since_entering_care is not None and self.since_entering_care > A1_DAYS:
            passed.append(f"A1: over {A1_DAYS} days since entering care")
        if self.since_placement_order is not None and self.since_placement_order > A2_DAYS:
            passed.append(f"A2: over {A2_DAYS} days since the placement order")
        return passed

    def describe(self) -> list[str]:
        """The clocks in words, as the child's page lists them."""
        lines = []
        if self.scorecard:
            if self.since_entering_care is not None:
                lines.append(
                    f"{self.since_entering_care} days since entering care "
                    f"(scorecard A1: {A1_DAYS} days to placement)"
                )
            if self.since_placement_order is not None:
                lines.append(
                    f"{self.since_placement_order} days since the placement order "
                    f"(scorecard A2: {A2_DAYS} days to a match)"
                )
            else:
                lines.append("No placement order recorded: the A2 clock has not started")
        elif self.since_plan is not None:
            lines.append(f"{self.since_plan} days since the plan was made")
        elif self.since_entering_care is not None:
            lines.append(f"{self.since_entering_care} days since entering care")
        return lines


def waiting_clocks(
    *,
    plan: str,
    entered_care_on: date | None,
    plan_date: date | None,
    placement_order_on: date | None,
    as_of: date,
) -> WaitingClocks:
    """The clocks of a child with these dates on `as_of`."""
    return WaitingClocks(
        plan=plan,
        since_entering_care=_days(entered_care_on, as_of),
        since_placement_order=_days(placement_order_on, as_of),
        since_plan=_days(plan_date, as_of),
    )


def clocks_of(child: object, as_of: date) -> WaitingClocks:
    """`waiting_clocks` of a record with the child's attributes (a `Child` or a row)."""
    return waiting_clocks(
        plan=getattr(child, "plan"),  # noqa: B009 (any record with these attributes)
        entered_care_on=getattr(child, "entered_care_on"),  # noqa: B009
        plan_date=getattr(child, "plan_date"),  # noqa: B009
        placement_order_on=getattr(child, "placement_order_on"),  # noqa: B009
        as_of=as_of,
    )


def priority_days(child: object, as_of: date) -> int:
    """Days the round's priority counts: the longest honest clock (0 when none runs)."""
    return clocks_of(child, as_of).longest or 0
