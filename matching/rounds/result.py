"""Parameters and results of a matching round (plain, frozen, JSON-friendly types)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from matching.assignment.prepared import CO_PLACEMENT

Mode = Literal["shortlist", "allocate"]
Status = Literal["OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"]

# Reasons a unit ends a round with no household.
NO_FEASIBLE_HOUSEHOLD = "no_feasible_household"
TAKEN_BY_OTHERS = "taken_by_others"
APART_FROM_PLACED = "apart_from_placed"  # a household had room but holds a sibling kept apart
NOT_REACHED = "not_reached_within_time_limit"  # room was left: the search stopped early
# a household had room but holds a child this unit must not live with (or who must not
# live with it): a requirement about other children or a risk rule (matching.coplacement)
CO_PLACEMENT_REASON = CO_PLACEMENT


@dataclass(frozen=True)
class RoundParams:
    """How to run a round.

    ``per_unit`` (K) and ``max_appearances`` (M) apply to shortlist mode only.
    ``workers=None`` uses the count measured best on this machine (see ``cpsat.py``).
    ``sibling_contact_bonus`` is a flat number of score points (not priority weighted)
    earned in allocate mode by each pair of sibling units in different units whose
    households lie within ``sibling_contact_km`` of each other.
    """

    mode: Mode = "allocate"
    per_unit: int = 3
    max_appearances: int = 3
    time_limit_s: float = 30.0
    seed: int = 0
    workers: int | None = None
    sibling_contact_km: float = 25.0
    sibling_contact_bonus: float = 5.0
    # each unit keeps at most this many candidates (best by score, plus the fallback's
    # arcs) in a CP-SAT model whose component is too large to model whole
    prune_to: int = 12

    def __post_init__(self) -> None:
        if self.mode not in ("shortlist", "allocate"):
            raise ValueError(f"unknown round mode {self.mode!r}")
        if self.per_unit < 1 or self.max_appearances < 1 or self.prune_to < 1:
            raise ValueError("per_unit, max_appearances and prune_to must be at least 1")
        if not self.time_limit_s > 0 or (self.workers is not None and self.workers < 1):
            raise ValueError("time_limit_s must be positive and workers at least 1")
        if self.sibling_contact_km < 0 or self.sibling_contact_bonus < 0:
            raise ValueError("sibling contact distance and bonus cannot be negative")


class Unplaced(NamedTuple):
    """A unit left without a household, and why.

    ``taken`` lists, for ``taken_by_others``/``apart_from_placed``/``co_placement``, every
    feasible
    household of the unit with the units that took it.
    """

    unit: int
    reason: str
    taken: tuple[tuple[int, tuple[int, ...]], ...] = ()


class SiblingContact(NamedTuple):
    """Two sibling units placed in different households, and how far apart they are."""

    unit_a: int
    unit_b: int
    household_a: int
    household_b: int
    distance_km: float
    within_km: bool


@dataclass(frozen=True)
class RoundResult:
    """The outcome of a round.

    ``objective`` is Σ priority × score over the chosen pairs (plus the sibling contact
    bonus in allocate mode), in score points, rounded to the solver's integer scale.
    The order of optimisation is lexicographic: first coverage (children placed in
    allocate mode, units with a household in shortlist mode), then the tiers of the
    instance's pairs (`MatchingInstance.pair_tier`: kinship, needs met, permanence),
    then ``objective``. ``coverage_bound`` is a proven upper bound on that coverage and
    ``best_bound`` a proven upper bound on ``objective`` among solutions reaching
    ``coverage_bound`` with this result's tiers. ``gap`` is the relative coverage gap
    when coverage falls short of its bound, else the relative gap of the tiers and
    objective together; 0.0 means proven optimal.
    ``assignments[u]`` holds unit ``u``'s (household index, score) pairs, best first.
    ``deterministic`` is True when the same instance, parameters and seed give this
    same result on any run: the search is bounded by CP-SAT deterministic time, so it
    is False only when the wall-clock safety net may have stopped the search early
    (a machine too slow or loaded for the time limit) or with more than one worker.
    """

    mode: Mode
    solver: str
    status: Status
    objective: float
    best_bound: float
    gap: float
    wall_s: float
    children_placed: int
    units_covered: int
    coverage_bound: int
    assignments: tuple[tuple[tuple[int, float], ...], ...]
    unplaced: tuple[Unplaced, ...]
    sibling_contact: tuple[SiblingContact, ...] = ()
    seed: int = 0
    workers: int = 1
    deterministic: bool = True

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view of the result."""
        return {
            "mode": self.mode,
            "solver": self.solver,
            "status": self.status,
            "objective": self.objective,
            "best_bound": self.best_bound,
            "gap": self.gap,
            "wall_s": self.wall_s,
            "children_placed": self.children_placed,
            "units_covered": self.units_covered,
            "coverage_bound": self.coverage_bound,
            "assignments": [[[h, s] for h, s in pairs] for pairs in self.assignments],
            "unplaced": [
                {
                    "unit": u.unit,
                    "reason": u.reason,
                    "taken": [{"household": h, "by_units": list(by)} for h, by in u.taken],
                }
                for u in self.unplaced
            ],
            "sibling_contact": [c._asdict() for c in self.sibling_contact],
            "seed": self.seed,
            "workers": self.workers,
            "deterministic": self.deterministic,
        }
