"""Where each hard rule comes from: the statute, regulation or guidance behind it.

Keyed by the rule's name in `matching.rules.HARD_RULES` (and `siblings_apart` and
`co_placement`, the assignment kernel's constraints between units). The transparency record
(`matching.transparency`) prints every rule of the code's own table with its source
from here; a test fails when a rule has none, so a rule cannot be added without saying
why it binds. England: the Children Act 1989 (CA 1989), the Care Planning, Placement and
Case Review (England) Regulations 2010 (CPPCR 2010), the Fostering Services (England)
Regulations 2011 (FSR 2011), the Adoption and Children Act 2002 (ACA 2002).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RuleSource:
    """The kind of authority behind a rule (statute, regulations, guidance, practice)
    and the citation in words."""

    kind: str
    source: str


RULE_SOURCES: Mapping[str, RuleSource] = {
    "plan_kind": RuleSource(
        "statute",
        "CA 1989 s.22C (the ways a looked-after child may be placed: a local authority "
        "foster parent, a connected person, a children's home) and s.22C(9A)-(9B) "
        "(fostering for adoption); ACA 2002 s.18 (placement for adoption only with "
        "prospective adopters); special guardianship and child arrangements orders "
        "(CA 1989 s.14A, s.8) go to the family's own connected people",
    ),
    "connected_to_child": RuleSource(
        "regulations",
        "FSR 2011 reg 27 (a foster parent's terms of approval may name the child or "
        "children) and CPPCR 2010 reg 24 (temporary approval of a connected person, for "
        "the named child)",
    ),
    "status": RuleSource(
        "regulations",
        "FSR 2011 reg 28 (review and termination of approval): a household on hold, in "
        "assessment or unavailable cannot take a placement now",
    ),
    "age_range": RuleSource(
        "regulations",
        "FSR 2011 reg 27 (terms of approval: the age range of children) and CPPCR 2010 "
        "reg 22 (a placement must be consistent with the foster parent's terms of approval)",
    ),
    "capacity": RuleSource(
        "statute",
        "CA 1989 Sch 7 (the usual fostering limit) and FSR 2011 reg 27 (terms of approval: "
        "the number of children); vacancies are the places free today",
    ),
    "will_not_consider": RuleSource(
        "guidance",
        "Fostering Services National Minimum Standards 2011, matching (carers can meet the "
        "child's needs); a need the household said at approval or review it will not take "
        "is not placed with it",
    ),
    "smoker_under_five": RuleSource(
        "guidance",
        "CoramBAAF practice note 'Reducing the risks of environmental tobacco smoke for "
        "looked after children and their carers', as adopted in fostering services' "
        "smoking policies: children under five are not placed with carers who smoke",
    ),
    "requirement": RuleSource(
        "regulations",
        "CPPCR 2010 reg 9 and Sch 2 (the placement plan: how the placement meets the "
        "child's needs, including who the child can live alongside and the home itself)",
    ),
    "safeguarding_distance": RuleSource(
        "statute",
        "CA 1989 s.22(3)(a) (the duty to safeguard and promote the child's welfare) and "
        "s.22C(8) (a placement near home only where consistent with welfare): the "
        "child's safety plan sets the distance from the birth family",
    ),
    "siblings_apart": RuleSource(
        "statute",
        "CA 1989 s.22C(8)(c) (siblings live together where that is consistent with their "
        "welfare), read with the Together and Apart assessment (CoramBAAF): children "
        "assessed to live apart do not share a household",
    ),
    "co_placement": RuleSource(
        "guidance",
        "Fostering Services: National Minimum Standards (2011) std 4 (safeguarding) and "
        "std 15 (matching takes account of the other children in the household); CPPCR "
        "2010 reg 9 (the placement plan, the child's needs met in the placement); the "
        "policy's co-placement risks and one-unit kinds, each with its own source",
    ),
}
