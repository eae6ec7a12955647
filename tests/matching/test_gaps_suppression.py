"""Disclosure control: primary and secondary suppression, in the engine and the report."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.gaps.report import gap_report
from matching.gaps.suppression import SUPPRESSED, secondary_suppression, suppress_grid
from matching.synthetic import generate_authority

AS_OF = date(2026, 6, 1)


def test_primary_suppression_hides_one_to_five_and_shows_zero() -> None:
    cells, totals = suppress_grid([[0, 6, 100], [0, 7, 200]])
    assert cells == [[0, 6, 100], [0, 7, 200]]
    assert totals == [0, 13, 300]
    cells, _ = suppress_grid([[5, 6], [1, 60]])
    assert cells[0][0] == SUPPRESSED and cells[1][0] == SUPPRESSED


def test_secondary_suppression_protects_a_lone_small_cell() -> None:
    # Row [3, 10, 20] with column totals: 3 could be worked back from its column total
    # and from nothing in its row (rows have no total here), so the next smallest cell
    # of its column is hidden, then that cell's row needs a partner too.
    cells, totals = suppress_grid([[3, 10, 20], [8, 9, 30], [12, 40, 50]])
    assert cells[0][0] == SUPPRESSED
    assert sum(row[0] == SUPPRESSED for row in cells) + (totals[0] == SUPPRESSED) >= 2
    assert sum(v == SUPPRESSED for v in cells[0]) >= 2


def test_disabled_shows_every_number() -> None:
    cells, totals = suppress_grid([[1, 2], [3, 4]], enabled=False)
    assert cells == [[1, 2], [3, 4]] and totals == [4, 6]


def test_total_equal_to_a_single_small_cell_is_hidden() -> None:
    # A column whose only non-zero cell is 4 has total 4: both hidden.
    cells, totals = suppress_grid([[4, 10], [0, 12]])
    assert cells[0][0] == SUPPRESSED and totals[0] == SUPPRESSED


grids = st.integers(1, 6).flatmap(
    lambda n_cols: st.lists(
        st.lists(st.integers(0, 30), min_size=n_cols, max_size=n_cols), min_size=1, max_size=8
    )
)


@settings(max_examples=100, deadline=None)
@given(grids)
def test_no_row_or_column_has_exactly_one_suppressed_cell(grid: list[list[int]]) -> None:
    cells, totals = suppress_grid(grid)
    n_cols = len(grid[0])
    for r, row in enumerate(cells):
        hidden = sum(v == SUPPRESSED for v in row)
        # a row without a total may keep a lone 'c' only when nothing else in it is
        # non-zero (zeros reveal nothing without a total)
        if hidden == 1:
            assert all(v == 0 for v in row if v != SUPPRESSED), (grid, cells)
        for j, value in enumerate(row):
            original = grid[r][j]
            assert (value == SUPPRESSED) == (value != original) or value == original
            if 1 <= original <= 5:
                assert value == SUPPRESSED
            if original == 0:
                assert value == 0
    for j in range(n_cols):
        column = [row[j] for row in cells] + [totals[j]]
        assert sum(v == SUPPRESSED for v in column) != 1, (grid, cells, totals)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 20), min_size=2, max_size=12),
    st.integers(1, 4),
    st.randoms(use_true_random=False),
)
def test_fixed_point_over_arbitrary_relations(values: list[int], k: int, rnd) -> None:  # type: ignore[no-untyped-def]
    n = len(values)
    relations = [sorted(rnd.sample(range(n), min(n, rnd.randint(2, n)))) for _ in range(k)]
    hidden = secondary_suppression(values, relations)
    for relation in relations:
        lone = [i for i in relation if hidden[i]]
        if len(lone) == 1:
            assert all(values[i] == 0 for i in relation if not hidden[i])


def test_report_by_profile_has_no_row_or_column_with_one_c() -> None:
    authority = generate_authority(400, 600, seed=11, as_of=AS_OF)
    out = gap_report(authority, as_of=AS_OF).to_dict()
    keys = [
        "waiting_units",
        "waiting_children",
        "units_unplaceable",
        "children_unplaceable",
        "feasible_households",
        "vacancies_in_feasible_households",
    ]
    rows = out["by_profile"]
    assert any(row[k] == SUPPRESSED for row in rows for k in keys)
    for row in rows:
        values = [row[k] for k in keys]
        if sum(v == SUPPRESSED for v in values) == 1:
            assert all(v == 0 for v in values if v != SUPPRESSED)
    totals = {
        "waiting_units": out["units_waiting"],
        "waiting_children": out["children_waiting"],
        "units_unplaceable": out["units_unplaceable"],
        "children_unplaceable": out["children_unplaceable"],
    }
    for k in keys:
        column = [row[k] for row in rows] + ([totals[k]] if k in totals else [])
        assert sum(v == SUPPRESSED for v in column) != 1, k
    summary = [out["children_placeable"], out["children_unplaceable"], out["children_waiting"]]
    assert sum(v == SUPPRESSED for v in summary) != 1
    for block, names in (
        ("recruitment_targets", ("households_needed", "children_placed")),
        ("supply", ("households", "vacancies")),
    ):
        for name in names:
            column = [entry[name] for entry in out[block]]
            assert not any(isinstance(v, int) and 1 <= v <= 5 for v in column)
