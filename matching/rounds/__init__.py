"""Matching rounds over an abstract ``MatchingInstance``.

``solve_round(instance, RoundParams(mode="shortlist" | "allocate", ...))`` returns a
``RoundResult``; ``greedy_round`` is the priority-order baseline and
``random_instance`` builds synthetic instances for tests and benchmarks.
"""

from matching.rounds.random_instance import random_instance
from matching.rounds.result import RoundParams, RoundResult, SiblingContact, Unplaced
from matching.rounds.solve import greedy_round, solve_round

__all__ = [
    "RoundParams",
    "RoundResult",
    "SiblingContact",
    "Unplaced",
    "greedy_round",
    "random_instance",
    "solve_round",
]
