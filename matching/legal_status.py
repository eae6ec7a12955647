"""Legal status: when fostering for adoption applies, and authority to place for adoption.

* Fostering for Adoption (Children Act 1989 s.22C(9A)-(9B), inserted by the Children
  and Families Act 2014 s.2): a local authority considering adoption must consider
  placing the child with dual-approved carers *while* the plan may be adoption and the
  agency is not yet authorised to place for adoption. Once there is a placement order,
  the placement is an adoptive placement and the duty no longer applies.
* Authority to place (Adoption and Children Act 2002 s.18, s.19 and s.21): an adoption
  agency may place a child for adoption only under a placement order (SSDA903 legal
  status E1, or a placement order date recorded) or with the parents' consent. Consent
  is not recorded in the interchange format, so a proposal of adopters without a
  placement order is refused, saying so; dual-approved (FfA) carers may be proposed
  before it, as a fostering-for-adoption placement.

The functions read the attributes a `Child` and a stored child record share.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from matching.clocks import ADOPTION_PLANS

PLACEMENT_ORDER = "E1"  # SSDA903 legal status: placement order granted
FFA_PLACEMENT = "fostering_for_adoption"
ADOPTIVE_PLACEMENT = "adoptive"


class LegalRecord(Protocol):
    """What these rules read of a child (a domain `Child` or a stored record)."""

    @property
    def child_id(self) -> str: ...

    @property
    def plan(self) -> str: ...

    @property
    def legal_status(self) -> str | None: ...

    @property
    def placement_order_on(self) -> object: ...


def has_placement_order(child: LegalRecord) -> bool:
    """A placement order is recorded: legal status E1 or a placement order date."""
    return child.legal_status == PLACEMENT_ORDER or child.placement_order_on is not None


def ffa_duty_applies(child: LegalRecord) -> bool:
    """The plan may be adoption and there is no placement order yet (s.22C(9A)-(9B))."""
    return child.plan in ADOPTION_PLANS and not has_placement_order(child)


def placement_kind(children: Sequence[LegalRecord], household_kind: str) -> str | None:
    """How a proposal of a household of `household_kind` for `children` is made:
    `fostering_for_adoption` (FfA carers before a placement order), `adoptive` (adopters
    or FfA carers with authority to place), None when neither applies (fostering,
    kinship, residential)."""
    adoptive = any(c.plan in ADOPTION_PLANS for c in children)
    if not adoptive or household_kind not in ("adopter", "ffa"):
        return None
    if household_kind == "ffa" and not all(has_placement_order(c) for c in children):
        return FFA_PLACEMENT
    return ADOPTIVE_PLACEMENT


def authority_to_place_refusal(
    children: Sequence[LegalRecord], household_kind: str, household: str
) -> str | None:
    """Why adopters cannot be proposed now for children with an adoption plan and no
    authority to place, in words; None when the proposal may be made."""
    if household_kind != "adopter":
        return None
    missing = [
        c.child_id for c in children if c.plan in ADOPTION_PLANS and not has_placement_order(c)
    ]
    if not missing:
        return None
    who = " and ".join(missing)
    return (
        f"{household} are adopters, and {who} {'has' if len(missing) == 1 else 'have'} no "
        'placement order recorded (the legal status "placement order granted", or a '
        "placement order date): an adoption "
        "agency may place a child for adoption only under a placement order or with the "
        "parents' consent (Adoption and Children Act 2002 s.18-s.21), and consent is not "
        "recorded here. Record the placement order first, or propose dual-approved "
        "fostering for adoption carers"
    )
