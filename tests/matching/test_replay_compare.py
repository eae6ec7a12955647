"""The replay's comparison (matching.replay): every difference named, in words."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from matching.replay import compare_rounds, compare_shortlists
from matching.results import RoundDocument, ShortlistDocument


def _candidate(household_id: str, rank: int, score: float, needs: float) -> dict[str, Any]:
    return {
        "household_id": household_id,
        "rank": rank,
        "score": score,
        "kinship": False,
        "contributions": [
            {"criterion": "needs", "points": needs, "max_points": 30.0, "reason": "skills"},
            {"criterion": "age_fit", "points": score - needs, "max_points": 70.0, "reason": "fits"},
        ],
        "questions": [],
        "name": f"The {household_id}s",
    }


def _shortlist(**changes: Any) -> ShortlistDocument:
    data: dict[str, Any] = {
        "unit": ["C1"],
        "policy_version": "2026.1",
        "as_of": "2026-06-01",
        "candidates": [_candidate("H1", 1, 80.0, 25.0), _candidate("H2", 2, 70.0, 20.0)],
        "excluded_counts": {"age_range": 3, "capacity": 1},
        "child_id": "C1",
        "n_feasible": 2,
        "households_in_pool": 6,
        "inputs_fingerprint": "f" * 64,
    }
    data.update(changes)
    return ShortlistDocument.read(data)


def _texts(differences: Any) -> list[str]:
    return [d.text for d in differences]


def test_the_same_shortlist_is_identical() -> None:
    assert compare_shortlists(_shortlist(), _shortlist()) == ()


def test_households_ranks_scores_and_counts_that_differ_are_named() -> None:
    replayed = _shortlist(
        candidates=[_candidate("H2", 1, 70.0, 20.0), _candidate("H3", 2, 65.0, 15.0)],
        excluded_counts={"age_range": 4, "capacity": 1},
    )
    texts = _texts(compare_shortlists(_shortlist(), replayed))
    assert "H1 (The H1s): rank 1, score 80.0 when run; not on the replayed list" in texts
    assert "H2 (The H2s) rank: 2 when run, 1 in the replay" in texts
    assert "H3 (The H3s): not on the list when run; rank 2, score 65.0 in the replay" in texts
    assert (
        "households left out (outside the approved age range): 3 when run, 4 in the replay" in texts
    )


def test_a_criterion_that_scored_differently_is_named_with_its_points() -> None:
    replayed = _shortlist(
        candidates=[_candidate("H1", 1, 80.0, 22.5), _candidate("H2", 2, 70.0, 20.0)]
    )
    texts = _texts(compare_shortlists(_shortlist(), replayed))
    assert texts == [
        "H1 (The H1s): needs met 25.0 of 30.0 points when run, 22.5 of 30.0 in the replay",
        "H1 (The H1s): age within the approval 55.0 of 70.0 points when run, "
        "57.5 of 70.0 in the replay",
    ]


def test_any_other_field_is_compared_too() -> None:
    texts = _texts(compare_shortlists(_shortlist(), _shortlist(households_in_pool=7)))
    assert texts == ["households in the pool: 6 when run, 7 in the replay"]


@given(st.floats(min_value=-1e-7, max_value=1e-7))
def test_scores_equal_to_within_the_last_bits_are_the_same(noise: float) -> None:
    replayed = _shortlist(
        candidates=[_candidate("H1", 1, 80.0 + noise, 25.0), _candidate("H2", 2, 70.0, 20.0)]
    )
    assert compare_shortlists(_shortlist(), replayed) == ()


def _round(**changes: Any) -> RoundDocument:
    data: dict[str, Any] = {
        "mode": "allocate",
        "solver": "min_cost_flow",
        "status": "OPTIMAL",
        "objective": 100.0,
        "best_bound": 100.0,
        "gap": 0.0,
        "wall_s": 0.5,
        "as_of": "2026-06-01",
        "policy_version": "2026.1",
        "seed": 0,
        "params": {"mode": "allocate"},
        "units_waiting": 2,
        "children_waiting": 3,
        "units_covered": 1,
        "coverage_bound": 2,
        "children_placed": 2,
        "units": [
            {
                "children": ["C1", "C2"],
                "priority": 2.0,
                "candidates": [{"household_id": "H1", "score": 80.0}],
            },
            {"children": ["C3"], "priority": 1.0, "candidates": []},
        ],
        "unplaced": [
            {"children": ["C3"], "reason": "taken_by_others", "reasons": ["H1 went to C1+C2"]}
        ],
        "sibling_contact": [],
        "sibling_contact_km": 25.0,
        "skipped_units": {
            "units": 0,
            "children": 0,
            "units_not_waiting": 0,
            "units_plan_not_family_found": 0,
            "not_family_found_plans": [],
        },
        "households_in_pool": 2,
        "feasible_pairs": 2,
        "inputs_fingerprint": "f" * 64,
    }
    data.update(changes)
    return RoundDocument.read(data)


def test_a_round_differs_by_unit_and_not_by_its_running_time() -> None:
    assert compare_rounds(_round(), _round(wall_s=9.0)) == ()
    replayed = _round(
        units=[
            {"children": ["C1", "C2"], "priority": 2.0, "candidates": []},
            {
                "children": ["C3"],
                "priority": 1.0,
                "candidates": [{"household_id": "H1", "score": 60.0}],
            },
        ],
        unplaced=[
            {"children": ["C1", "C2"], "reason": "taken_by_others", "reasons": ["H1 went to C3"]}
        ],
        children_placed=1,
    )
    texts = _texts(compare_rounds(_round(), replayed))
    assert "children placed: 2 when run, 1 in the replay" in texts
    assert "C1 + C2: H1 (score 80.0) when run; no household in the replay" in texts
    assert "C3: no household when run; H1 (score 60.0) in the replay" in texts
    assert "C3: without a household (H1 went to C1+C2) when run; placed in the replay" in texts
