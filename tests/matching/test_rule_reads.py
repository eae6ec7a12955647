"""Each hard rule reads only what it declares, and the gap report's types hold all of it.

The gap report groups units and households into types from the rules' declarations
(`matching.rules.reads`); a rule that read an attribute it did not declare would make
two households of one type differ for it, and the report would be silently wrong. Here
every rule runs on instrumented features and pools that record each attribute read.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest

import matching.gaps.grouped_feasibility as groups_module
from matching.domain import Child
from matching.pool import HouseholdPool
from matching.rules import HARD_RULES, RULE_READS, Reads, RuleFn, UnitFeatures
from matching.siblings import sibling_units
from matching.synthetic import generate_authority
from matching.vocab import REQUIREMENTS
from tests.matching.checker import make_child, make_household

AS_OF = date(2026, 6, 1)


class Recorder:
    """Stands for `target`, noting the name of every attribute read through it."""

    def __init__(self, target: object) -> None:
        self._target = target
        self.seen: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.seen.add(name)
        return getattr(self._target, name)


def undeclared_reads(
    rule: RuleFn, reads: Reads, units: list[UnitFeatures], pool: HouseholdPool
) -> set[str]:
    """What `rule` reads over `units` against `pool` beyond its declaration."""
    extra: set[str] = set()
    for features in units:
        unit, households = Recorder(features), Recorder(pool)
        rule(unit, households)  # type: ignore[arg-type]
        extra |= {f"unit.{a}" for a in unit.seen - reads.unit}
        extra |= {f"household.{a}" for a in households.seen - reads.household}
    return extra


def varied_units() -> tuple[list[UnitFeatures], HouseholdPool]:
    """Units of a generated authority plus hand-made ones that take every branch."""
    authority = generate_authority(300, 200, seed=11, as_of=AS_OF)
    by_id = {c.child_id: c for c in authority.children}
    units = [
        UnitFeatures.from_children([by_id[c] for c in unit], AS_OF)
        for unit in sibling_units(by_id, authority.links)
        if all(by_id[c].plan not in ("return_home", "supported_living") for c in unit)
    ][:150]
    special: list[list[Child]] = [
        [make_child(requirements=frozenset({r}))] for r in sorted(REQUIREMENTS)
    ]
    special.append([make_child(needs={"autism": 2}, date_of_birth=date(2024, 1, 1))])
    special.append([make_child(min_distance_km=30.0, home_lat=54.7, home_lon=-1.6)])
    special.append(
        [make_child(child_id="C1", plan="kinship"), make_child(child_id="C2", plan="kinship")]
    )
    units += [UnitFeatures.from_children(children, AS_OF) for children in special]
    households = [
        *authority.households,
        make_household(
            household_id="HX", kind="connected", term=None, connected_child_ids=("C1", "C2")
        ),
    ]
    return units, HouseholdPool.from_households(households)


@pytest.mark.parametrize("name", list(HARD_RULES))
def test_each_rule_reads_only_what_it_declares(name: str) -> None:
    units, pool = varied_units()
    assert undeclared_reads(HARD_RULES[name], RULE_READS[name], units, pool) == set()


def test_a_rule_reading_an_undeclared_attribute_is_caught() -> None:
    # a rule that reads the pets column while declaring only the smoker column
    def sneaky(unit: UnitFeatures, pool: HouseholdPool) -> np.ndarray:
        return pool.smoker | pool.pets

    units, pool = varied_units()
    declared = Reads(frozenset(), frozenset({"smoker"}))
    assert undeclared_reads(sneaky, declared, units[:3], pool) == {"household.pets"}


def test_every_declared_attribute_has_a_place_in_the_type_keys() -> None:
    # a rule declaring what the grouping cannot type would raise at this point
    household = groups_module._household_reads()
    typed = [n for n in HARD_RULES if not RULE_READS[n].per_item]
    assert set(typed) == set(groups_module.TYPED_RULES)
    for name in typed:
        assert RULE_READS[name].household <= set(household)
        for attribute in RULE_READS[name].unit - {"need_mask"}:
            groups_module._unit_part(attribute, [make_child()], [8], {"fire_setting": 2})
    with pytest.raises(RuntimeError, match="no unit type key part"):
        groups_module._unit_part("religion", [make_child()], [8], {})


def test_households_differing_only_in_what_no_rule_reads_share_a_type() -> None:
    # names, costs, religion and locations are read by no typed rule: one type
    children = tuple(make_child(child_id=f"C{i}") for i in range(3))
    households = tuple(
        make_household(household_id=f"H{i}", name=f"N{i}", weekly_cost=100.0 + i, religion=r)
        for i, r in enumerate(("christian", "muslim", None))
    )
    from matching.domain import Authority
    from matching.policy import default_policy

    types = groups_module.feasible_groups(
        Authority(children, households, ()), as_of=AS_OF, policy=default_policy()
    )
    assert types.n_household_types == 1
