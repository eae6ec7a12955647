"""A cancelled round stops its solver, between steps and in the middle of a CP-SAT search.

`should_stop` is the caller's "has someone cancelled this round?". The tests answer it
from the solver's own threads, so they show where the solver asks, not how fast: a
solver that did not ask while CP-SAT searched would run its whole (generous) time limit
and end with a result instead of `Cancelled`.
"""

from __future__ import annotations

import threading

import pytest

from matching.errors import Cancelled
from matching.rounds import RoundParams, random_instance, solve_round

# Large enough that CP-SAT searches for longer than its stop poll (0.1 s).
HARD = random_instance(1000, 2000, sibling_share=0.3, apart_share=0.05, seed=2)


def test_a_round_cancelled_before_it_starts_does_not_run() -> None:
    asked: list[str] = []

    def cancelled() -> bool:
        asked.append("asked")
        return True

    with pytest.raises(Cancelled):
        solve_round(HARD, RoundParams(mode="allocate", time_limit_s=60.0), should_stop=cancelled)
    assert asked == ["asked"]


def test_a_cancel_during_a_cp_sat_search_stops_the_search_and_the_round() -> None:
    cancel = threading.Event()
    askers: list[str] = []

    def cancelled() -> bool:
        name = threading.current_thread().name
        askers.append(name)
        if name == "cp-sat-stop":  # asked while CP-SAT searches: cancel now
            cancel.set()
        return cancel.is_set()

    with pytest.raises(Cancelled):
        solve_round(HARD, RoundParams(mode="allocate", time_limit_s=60.0), should_stop=cancelled)
    assert "cp-sat-stop" in askers


def test_without_a_cancel_the_round_is_the_same() -> None:
    small = random_instance(60, 90, sibling_share=0.3, apart_share=0.1, seed=4)
    params = RoundParams(mode="allocate", time_limit_s=5.0)
    plain = solve_round(small, params)
    asked = solve_round(small, params, should_stop=lambda: False)
    assert plain.assignments == asked.assignments and plain.objective == asked.objective
