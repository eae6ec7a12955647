"""The hard rules, one small named function each, vectorised over the whole pool.

Each rule takes the unit's features and the pool and returns the mask of households it
EXCLUDES. A rule holds for a unit when it holds for every child in it. The rules and
their order are exactly the hard-rules table in the domain reference
(docs/domain.md); `siblings_apart` is a constraint between units and lives in the
assignment kernel (`matching.assignment`, its never-together pairs).

Each rule DECLARES what it reads (`@reads`): the `UnitFeatures` attributes and the
`HouseholdPool` columns. The gap report groups units and households into types from
these declarations (`matching.gaps.grouped_feasibility`), so a new rule cannot fall outside
the grouping; a test runs every rule on instrumented features and pool and fails when a
rule reads anything it did not declare.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from matching.domain import Child
from matching.errors import NotFamilyFoundError
from matching.geo import EARTH_RADIUS_KM, haversine_km_to_many
from matching.policy import Policy, default_policy
from matching.pool import NEED_INDEX, HouseholdPool, need_bits
from matching.vocab import NEED_CODES, NOT_FAMILY_FOUND_PLANS

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# A child under this age (whole years) is not placed with carers who smoke: fostering
# guidance on smoking (as adopted in fostering services' smoking policies), quoted in
# the domain reference's hard-rule table.
UNDER_FIVE = 5

# A connected household (family and friends) is assessed and approved for its named
# children (Care Planning, Placement and Case Review (England) Regulations 2010 reg. 24
# and Schedule 4; Family and Friends Care: Statutory Guidance, DfE 2011), so the general
# approval age range and the under-fives smoking guidance do not exclude it: they are
# questions for that assessment (matching.match_warnings), shown on the shortlist and
# the panel paper. A child's own `no_smokers` requirement still excludes.


def risk_ages(
    children: Sequence[Child], ages: Sequence[int], risks: Mapping[str, int]
) -> tuple[int, ...]:
    """Ages of the children with a need at a level the policy's co-placement risks name
    (`risks`: need code -> lowest level), sorted: none of them may live with a younger
    unrelated child (`matching.coplacement` between units; `requirement` against the
    children already in the home)."""
    return tuple(
        sorted(
            age
            for child, age in zip(children, ages, strict=True)
            if any(child.needs.get(need, 0) >= level for need, level in risks.items())
        )
    )


@dataclass(frozen=True)
class UnitFeatures:
    """What the rules and the scoring need to know about one unit, computed once."""

    children: tuple[Child, ...]
    as_of: date
    ages: tuple[int, ...]
    unborn: tuple[bool, ...]
    plans: frozenset[str]
    # highest level of each need over the unit's children (index as NEED_CODES)
    need_levels: npt.NDArray[np.int8]
    need_mask: int
    requirements: frozenset[str]
    # (need code, highest level) for each need of the unit, in NEED_CODES order
    needed: tuple[tuple[str, int], ...] = ()
    # ages of the unit's children who carry a co-placement risk of the policy (harmful
    # sexual behaviour at complex level, ...): no younger child may already live there
    risk_ages: tuple[int, ...] = ()

    @classmethod
    def from_children(
        cls, children: Sequence[Child], as_of: date, policy: Policy | None = None
    ) -> UnitFeatures:
        """Features of a unit (the co-placement risks of `policy`, default the shipped
        one); raises `NotFamilyFoundError` for a plan that is not family-found."""
        if not children:
            raise ValueError("a unit has at least one child")
        for child in children:
            if child.plan in NOT_FAMILY_FOUND_PLANS:
                raise NotFamilyFoundError(
                    f"child {child.child_id} has plan {child.plan!r}, which is not "
                    "family-found: no household shortlist is made for it"
                )
        levels = np.zeros(len(NEED_CODES), dtype=np.int8)
        for child in children:
            for code, level in child.needs.items():
                j = NEED_INDEX[code]
                levels[j] = max(int(levels[j]), level)
        ages = tuple(c.age_on(as_of) for c in children)
        risks = (policy or default_policy()).co_placement.risk_levels()
        return cls(
            children=tuple(children),
            as_of=as_of,
            ages=ages,
            unborn=tuple(c.is_unborn(as_of) for c in children),
            plans=frozenset(c.plan for c in children),
            need_levels=levels,
            need_mask=need_bits(code for c in children for code in c.needs),
            requirements=frozenset(r for c in children for r in c.requirements),
            needed=tuple((code, int(levels[j])) for j, code in enumerate(NEED_CODES) if levels[j]),
            risk_ages=risk_ages(children, ages, risks),
        )

    @property
    def child_ids(self) -> tuple[str, ...]:
        """Ids of the unit's children, in unit order."""
        return tuple(c.child_id for c in self.children)

    @property
    def size(self) -> int:
        """Number of children in the unit."""
        return len(self.children)

    @property
    def min_age(self) -> int:
        """Age of the youngest child."""
        return min(self.ages)

    @property
    def max_age(self) -> int:
        """Age of the eldest child."""
        return max(self.ages)

    def ages_with(self, requirement: str) -> list[int]:
        """Ages of the unit's children who have `requirement`."""
        return [
            a
            for c, a in zip(self.children, self.ages, strict=True)
            if requirement in c.requirements
        ]


RuleFn = Callable[[UnitFeatures, HouseholdPool], BoolArray]


@dataclass(frozen=True)
class Reads:
    """What one hard rule reads: attributes of `UnitFeatures` and of `HouseholdPool`.

    `per_item` marks a rule that depends on who exactly the unit or the household is
    (a location, the children a connected household is approved for): grouping into
    types cannot hold it, so it is applied unit by unit.
    """

    unit: frozenset[str]
    household: frozenset[str]
    per_item: bool = False


RULE_READS: dict[str, Reads] = {}


def reads(
    *, unit: tuple[str, ...], household: tuple[str, ...], per_item: bool = False
) -> Callable[[RuleFn], RuleFn]:
    """Declare what the decorated rule reads (recorded in `RULE_READS` by rule name)."""

    def declare(rule: RuleFn) -> RuleFn:
        RULE_READS[rule.__name__] = Reads(frozenset(unit), frozenset(household), per_item)
        return rule

    return declare


def _none(pool: HouseholdPool) -> BoolArray:
    return np.zeros(pool.size, dtype=bool)


@reads(unit=("plans",), household=("served",))
def plan_kind(unit: UnitFeatures, pool: HouseholdPool) -> BoolArray:
    """The household's kind does not serve some child's plan."""
    plans = iter(sorted(unit.plans))
    served = pool.served(next(plans))
    for plan in plans:
        served = served & pool.served(plan)
    return ~served


@reads(
    unit=("size", "children"),
    household=("size", "is_connected", "connected_rows"),
    per_item=True,
)
def connected_to_child(unit: UnitFeatures, pool: HouseholdPool) -> BoolArray:
    """A connected household not connected to every child of the unit."""
    if unit.size == 1:
        excluded: BoolArray = pool.is_connected.copy()
        excluded[pool.connected_rows(unit.children[0].child_id)] = False
        return excluded
    links = np.zeros(pool.size, dtype=np.int16)
    for child in unit.children:
        links[pool.connected_rows(child.child_id)] += 1
    excluded_all: BoolArray = pool.is_connected & (links < unit.size)
    return excluded_all


@reads(unit=(), household=("available",))
def status(unit: UnitFeatures, pool: HouseholdPool) -> BoolArray:
    """The household is not `available`."""
    return ~pool.available


@reads(unit=("min_age", "max_age"), household=("min_age", "max_age", "is_connected"))
def age_range(unit: UnitFeatures, pool: HouseholdPool) -> BoolArray:
    """A child's age (whole years, unborn = 0) is outside the approval range of a
    household that is not connected to the child (connected: a question, see above)."""
    outside: BoolArray = (pool.min_age > unit.min_age) | (pool.max_age < unit.max_age)
    stranger: BoolArray = outside & ~pool.is_connected
    return stranger


@reads(unit=("size",), household=("capacity",))
def capacity(unit: UnitFeatures, pool: HouseholdPool) -> BoolArray:
    """The unit is larger than the vacancies, the approved places or the largest group."""
    return pool.capacity < unit.size


@reads(unit=("need_mask",), household=("will_not_consider", "size"))
def will_not_consider(unit: UnitFeatures, pool: HouseholdPool) -> BoolArray:
    """A child has a need the household refuses outright."""
    if unit.need_mask == 0:
        return _none(pool)
    refused: BoolArray = (pool.will_not_consider & unit.need_mask) != 0
    return refused


@reads(unit=("min_age", "requirements"), household=("smoker", "size", "is_connected"))
def smoker_under_five(unit: UnitFeatures, pool: HouseholdPool) -> BoolArray:
    """The household smokes and a child must not live with smokers, or is under five
    and the household is not connected to the child (connected: a question)."""
    if "no_smokers" in unit.requirements:
        return pool.smoker
    if unit.min_age < UNDER_FIVE:
        stranger: BoolArray = pool.smoker & ~pool.is_connected
        return stranger
    return _none(pool)


@reads(
    unit=("requirements", "ages_with", "risk_ages"),
    household=(
        "size",
        "pets",
        "home_min_age",
        "home_max_age",
        "has_children",
        "no_wheelchair",
    ),
)
def requirement(unit: UnitFeatures, pool: HouseholdPool) -> BoolArray:
    """A child's requirement about the home or the children already in it is not met, or
    a child with a co-placement risk of the policy would live with a younger child."""
    excluded = _none(pool)
    reqs = unit.requirements
    if unit.risk_ages:
        # the children already in the home are unrelated to the unit (a placed sibling
        # with them too: a person decides that, the reunion names this rule)
        excluded |= pool.home_min_age < max(unit.risk_ages)
    if "no_pets" in reqs:
        excluded |= pool.pets
    if "no_younger_children" in reqs:
        # a child in the home younger than any child holding the requirement
        excluded |= pool.home_min_age < max(unit.ages_with("no_younger_children"))
    if "no_older_children" in reqs:
        excluded |= pool.home_max_age > min(unit.ages_with("no_older_children"))
    if "no_other_children" in reqs:
        excluded |= pool.has_children
    if "wheelchair_access" in reqs:
        # only a home known to lack access: "not recorded" is a question (scoring.py)
        excluded |= pool.no_wheelchair
    return excluded


def _within_reach(pool: HouseholdPool, lat: float, lon: float, km: float) -> IntArray:
    """Rows that may be nearer than `km` to (lat, lon): a superset, by two lower bounds
    of the haversine distance, so that only these need the exact one.

    Latitude: the distance is at least the Earth's radius times the latitude difference.
    Longitude: h >= cos(lat1) cos(lat2) sin^2(dlon / 2), with cos(lat2) at least its
    smallest value over the latitude band. A hair of slack keeps rounding on the safe side.
    """
    reach = km / EARTH_RADIUS_KM + 1e-9
    phi = math.radians(lat)
    lo, hi = np.searchsorted(pool.lat_sorted, (phi - reach, phi + reach))
    rows: IntArray = pool.lat_order[lo:hi]
    if abs(phi) + reach >= 1.5:  # near a pole: the latitude band alone
        return rows
    cos_min = min(math.cos(phi - reach), math.cos(phi + reach))
    s = math.sin(reach / 2) / math.sqrt(math.cos(phi) * cos_min)
    if s >= 1.0:
        return rows
    dlon = np.abs(pool.lon_rad[rows] - math.radians(lon))
    dlon = np.minimum(dlon, 2 * math.pi - dlon)
    return rows[dlon <= 2 * math.asin(s) + 1e-9]


@reads(
    unit=("children",),
    household=("size", "lat_sorted", "lat_order", "lat_rad", "lon_rad", "cos_lat"),
    per_item=True,
)
def safeguarding_distance(unit: UnitFeatures, pool: HouseholdPool) -> BoolArray:
    """The household is nearer a child's birth-family home than its `min_distance_km`."""
    excluded = _none(pool)
    excluded[too_near(unit, pool)] = True
    return excluded


def too_near(unit: UnitFeatures, pool: HouseholdPool, rows: IntArray | None = None) -> IntArray:
    """The rows (of `rows`, ascending; default the whole pool) that
    `safeguarding_distance` excludes, ascending; with `rows` only those households'
    distances are computed."""
    near: list[IntArray] = []
    for child in unit.children:
        if child.min_distance_km is None or child.home_lat is None or child.home_lon is None:
            continue
        if rows is None:
            look = _within_reach(pool, child.home_lat, child.home_lon, child.min_distance_km)
        else:
            look = rows
        km = haversine_km_to_many(
            child.home_lat,
            child.home_lon,
            pool.lat_rad[look],
            pool.lon_rad[look],
            pool.cos_lat[look],
        )
        near.append(look[km < child.min_distance_km])
    if not near:
        return np.zeros(0, dtype=np.int64)
    if len(near) == 1 and rows is not None:
        return near[0]  # already ascending (the band of the whole pool is by latitude)
    if rows is None:
        # the bands are in latitude order: marking them on the pool is much cheaper
        # than a sort of their concatenation
        marked = np.zeros(pool.size, dtype=bool)
        for found in near:
            marked[found] = True
        return np.flatnonzero(marked).astype(np.int64)
    together: IntArray = np.unique(np.concatenate(near)).astype(np.int64)
    return together


# The domain table, in its order.
HARD_RULES: dict[str, RuleFn] = {
    "plan_kind": plan_kind,
    "connected_to_child": connected_to_child,
    "status": status,
    "age_range": age_range,
    "capacity": capacity,
    "will_not_consider": will_not_consider,
    "smoker_under_five": smoker_under_five,
    "requirement": requirement,
    "safeguarding_distance": safeguarding_distance,
}
RULE_NAMES: tuple[str, ...] = tuple(HARD_RULES)


def hard_exclusions(unit: UnitFeatures, pool: HouseholdPool) -> dict[str, BoolArray]:
    """Every rule's exclusion mask over the pool, in the table's order.

    The masks may be shared read-only arrays of the pool: combine them, never write them.
    """
    return {name: rule(unit, pool) for name, rule in HARD_RULES.items()}


def combine(masks: dict[str, BoolArray], size: int) -> BoolArray:
    """Households excluded by at least one rule."""
    excluded = np.zeros(size, dtype=bool)
    for mask in masks.values():
        excluded |= mask
    return excluded
