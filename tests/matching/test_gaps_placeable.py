"""The placeable count: known deficiencies, and agreement with an exhaustive search."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.instance import MatchingInstance, RoundHousehold, RoundUnit
from tests.matching import placeable_oracle as placeable
from tests.matching.placeable_oracle import max_children_placed


def make_instance(
    sizes: list[int],
    vacancies: list[int],
    pairs: list[tuple[int, int]],
    apart: tuple[tuple[int, int], ...] = (),
) -> MatchingInstance:
    units = tuple(
        RoundUnit(tuple(f"U{u}C{k}" for k in range(size))) for u, size in enumerate(sizes)
    )
    households = tuple(RoundHousehold(f"H{h}", v) for h, v in enumerate(vacancies))
    pairs = [(u, h) for u, h in pairs if sizes[u] <= vacancies[h]]
    return MatchingInstance(
        units,
        households,
        np.array([p[0] for p in pairs], dtype=np.int32),
        np.array([p[1] for p in pairs], dtype=np.int32),
        np.full(len(pairs), 50.0),
        apart_units=apart,
    )


def brute_force(instance: MatchingInstance) -> int:
    """Maximum children placed by trying every assignment (tiny instances only)."""
    n_u = len(instance.units)
    options: list[list[int | None]] = [[None] for _ in range(n_u)]
    for u, h in zip(instance.pair_unit.tolist(), instance.pair_household.tolist(), strict=True):
        options[u].append(h)
    best = 0
    for choice in itertools.product(*options):
        load = [0] * len(instance.households)
        ok = True
        for u, h in enumerate(choice):
            if h is not None:
                load[h] += instance.units[u].size
                if load[h] > instance.households[h].vacancies:
                    ok = False
                    break
        if not ok:
            continue
        if any(choice[a] is not None and choice[a] == choice[b] for a, b in instance.apart_units):
            continue
        best = max(best, sum(instance.units[u].size for u, h in enumerate(choice) if h is not None))
    return best


def test_hall_violator_three_children_one_household() -> None:
    # Three children whom only one household (one vacancy) can take: two are unplaceable.
    inst = make_instance([1, 1, 1, 1], [1, 1], [(0, 0), (1, 0), (2, 0), (3, 1)])
    result = max_children_placed(inst)
    assert result.children_waiting == 4
    assert result.children_placeable == 2
    assert result.children_unplaceable == 2
    assert result.exact
    assert len(result.unplaced_units) == 2
    assert set(result.unplaced_units) <= {0, 1, 2}
    assert result.feasible_households.tolist() == [1, 1, 1, 1]


def test_unit_with_no_feasible_household_is_unplaceable() -> None:
    inst = make_instance([1, 2], [3], [(1, 0)])
    result = max_children_placed(inst)
    assert result.children_placeable == 2
    assert result.unplaced_units == [0]


def test_sibling_group_is_not_split_across_households() -> None:
    # A group of three and two households with two vacancies each: the flow relaxation
    # would place all three by splitting the group; a unit goes whole, so nobody is placed.
    inst = make_instance([3], [2, 2], [])
    assert max_children_placed(inst).children_placeable == 0
    # With feasible pairs that fit, the group goes whole.
    inst = make_instance([3, 1, 1], [3, 2], [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1)])
    result = max_children_placed(inst)
    assert result.children_placeable == 5
    assert result.exact


def test_generalised_assignment_gap_is_closed_exactly() -> None:
    # Groups of 2, 3, 3, 3 and households with 2 and 4 vacancies: the flow relaxation
    # (groups may split) says 6, but whole groups fit only as 2 + 3 = 5. The greedy
    # placement does not meet the flow bound, so CP-SAT has to prove the optimum.
    inst = make_instance(
        [2, 3, 3, 3], [2, 4], [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1), (3, 0)]
    )
    result = max_children_placed(inst)
    assert result.children_placeable == brute_force(inst) == 5
    assert result.exact
    assert result.components_by_cpsat == 1
    assert "CP-SAT" in result.method


def test_apart_units_never_share_a_household() -> None:
    inst = make_instance([1, 1], [2], [(0, 0), (1, 0)], apart=((0, 1),))
    result = max_children_placed(inst)
    assert result.children_placeable == 1
    assert result.exact


@st.composite
def small_instances(draw: st.DrawFn) -> MatchingInstance:
    n_u = draw(st.integers(1, 6))
    n_h = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(1, 3), min_size=n_u, max_size=n_u))
    vacancies = draw(st.lists(st.integers(0, 4), min_size=n_h, max_size=n_h))
    all_pairs = [(u, h) for u in range(n_u) for h in range(n_h)]
    pairs = draw(st.lists(st.sampled_from(all_pairs), unique=True, max_size=len(all_pairs)))
    apart = ()
    if n_u >= 2 and draw(st.booleans()):
        apart = ((0, 1),)
    return make_instance(sizes, vacancies, pairs, apart)


@settings(max_examples=80, deadline=None)
@given(small_instances())
def test_agrees_with_exhaustive_search(inst: MatchingInstance) -> None:
    result = max_children_placed(inst)
    assert result.exact
    assert result.children_placeable == brute_force(inst)
    assert result.upper_bound >= result.children_placeable
    placed_children = sum(inst.units[u].size for u in range(len(inst.units)) if result.placed[u])
    assert placed_children == result.children_placeable


def test_large_flow_backend_matches_networkx(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    n_u, n_h = 300, 120
    pairs = {(int(rng.integers(n_u)), int(rng.integers(n_h))) for _ in range(900)}
    inst = make_instance([1] * n_u, rng.integers(0, 3, n_h).tolist(), sorted(pairs))
    with_networkx = max_children_placed(inst)
    monkeypatch.setattr(placeable, "NETWORKX_MAX_ARCS", 0)
    with_scipy = max_children_placed(inst)
    assert "networkx" in with_networkx.method and "scipy" in with_scipy.method
    assert with_networkx.children_placeable == with_scipy.children_placeable
