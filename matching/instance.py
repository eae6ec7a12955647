"""The abstract matching instance a round or a gap analysis solves.

It is what is left once the engine has applied the hard rules and scored every pair:
units with their sizes and priorities, households with their vacancies and location,
and the feasible (unit, household, score) pairs. Solvers see nothing else, so they can
be tested on generated instances without any children's data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class RoundUnit:
    """A child alone, or a sibling group assessed to live together."""

    children: tuple[str, ...]
    priority: float = 1.0  # >= 1; grows with time waiting

    @property
    def size(self) -> int:
        return len(self.children)


@dataclass(frozen=True)
class RoundHousehold:
    household_id: str
    vacancies: int
    lat: float = 0.0
    lon: float = 0.0
    # at most this many units (children or sibling groups) in one round, whatever the
    # vacancies; None: no limit but the vacancies
    max_units: int | None = None


def _empty_int() -> npt.NDArray[np.int32]:
    return np.zeros(0, dtype=np.int32)


def _empty_float() -> npt.NDArray[np.float64]:
    return np.zeros(0, dtype=np.float64)


@dataclass(frozen=True)
class MatchingInstance:
    """Units × households with the feasible pairs as three parallel arrays.

    A pair is present only when the household passes every hard rule for the whole
    unit (so the unit fits its vacancies) and reaches the policy's minimum round score.
    """

    units: tuple[RoundUnit, ...]
    households: tuple[RoundHousehold, ...]
    pair_unit: npt.NDArray[np.int32] = field(default_factory=_empty_int)
    pair_household: npt.NDArray[np.int32] = field(default_factory=_empty_int)
    pair_score: npt.NDArray[np.float64] = field(default_factory=_empty_float)  # 0..100
    # unit index pairs holding children assessed `apart`: they never share a household
    apart_units: tuple[tuple[int, int], ...] = ()
    # unit index pairs whose children must not live together (`matching.coplacement`:
    # a child's requirements about other children, the policy's risk rules)
    co_placement_units: tuple[tuple[int, int], ...] = ()
    # unit index pairs of siblings in different units: prefer households near each other
    sibling_contact_units: tuple[tuple[int, int], ...] = ()
    # per pair, its tier code (matching.tiers: a higher code ranks above any lower one for
    # the unit, whatever the score); empty: every pair in one tier
    pair_tier: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    # per unit, its household (index) in a placement of the most children the pool can
    # place (the gap report's, `matching.feasibility.most_children_households`), -1 when
    # that placement leaves it out; empty: no such placement. An allocate round never
    # places fewer children than it, component by component (`matching.assignment.search`)
    floor_household: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))

    def __post_init__(self) -> None:
        n = len(self.pair_unit)
        if len(self.pair_household) != n or len(self.pair_score) != n:
            raise ValueError("pair arrays must have the same length")
        if len(self.pair_tier) not in (0, n):
            raise ValueError("pair_tier must be empty or as long as the pair arrays")
        if len(self.floor_household) not in (0, len(self.units)):
            raise ValueError("floor_household must be empty or hold one entry per unit")

    def tiers(self) -> npt.NDArray[np.int64]:
        """Each pair's tier code (zeros when the instance has none)."""
        if len(self.pair_tier):
            return np.asarray(self.pair_tier, dtype=np.int64)
        return np.zeros(self.n_pairs, dtype=np.int64)

    @property
    def n_pairs(self) -> int:
        return len(self.pair_unit)
