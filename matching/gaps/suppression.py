"""Disclosure control for published counts, as DfE statistics do it.

Primary suppression: every count from 1 to 5 is shown as ``c``; zeros are shown.
Secondary suppression: a published table is a set of *relations* (a row, or a column
with its total). A relation holding exactly one ``c`` would let a reader work that count
back from the others, so the smallest non-zero visible count of that relation (a total
included) is suppressed too, and this is repeated until no relation has exactly one
``c`` (a fixed point). It protects against single-relation differencing, the attack
DfE's rule targets; it is not a full linear-programming audit across many relations.
"""

from __future__ import annotations

from collections.abc import Sequence

SUPPRESSED = "c"
LOWEST_PUBLISHED = 6  # counts 1..5 are suppressed

Cell = int | str


def primary(value: int) -> bool:
    """A count that may not be published on its own: 1 to 5."""
    return 0 < value < LOWEST_PUBLISHED


def secondary_suppression(
    values: Sequence[int],
    relations: Sequence[Sequence[int]],
    *,
    initial: Sequence[bool] | None = None,
) -> list[bool]:
    """Which cells to suppress: primary (1-5), plus secondary cells until no relation
    (a list of cell indices, e.g. a row, or a column and its total) has exactly one.

    When a relation with one suppressed cell has no other non-zero visible cell there is
    nothing left to hide; that only happens in a relation without a total, where the
    zeros reveal nothing. Deterministic: ties broken by cell index.
    """
    hidden = [primary(v) for v in values]
    if initial is not None:
        hidden = [h or bool(i) for h, i in zip(hidden, initial, strict=True)]
    changed = True
    while changed:
        changed = False
        for relation in relations:
            if sum(hidden[i] for i in relation) != 1:
                continue
            candidates = [i for i in relation if not hidden[i] and values[i] > 0]
            if not candidates:
                continue
            hidden[min(candidates, key=lambda i: (values[i], i))] = True
            changed = True
    return hidden


def suppress_grid(
    grid: Sequence[Sequence[int]],
    *,
    total_columns: Sequence[bool] | None = None,
    hidden_totals: Sequence[bool] | None = None,
    enabled: bool = True,
) -> tuple[list[list[Cell]], list[Cell | None]]:
    """Suppress a table of counts and its totals row.

    `grid` is rows × count columns. `total_columns[j]` says whether column j is additive
    and gets a total (default: all). Relations: every row, and every column with its
    total. Returns the cells (int or "c") and the totals row (None where no total).
    With `enabled` false the numbers are returned as they are.
    """
    n_rows = len(grid)
    n_cols = len(grid[0]) if n_rows else (len(total_columns) if total_columns else 0)
    has_total = list(total_columns) if total_columns is not None else [True] * n_cols
    values: list[int] = [int(v) for row in grid for v in row]
    total_index: dict[int, int] = {}
    for j in range(n_cols):
        if has_total[j]:
            total_index[j] = len(values)
            values.append(sum(int(row[j]) for row in grid))
    relations: list[list[int]] = [[r * n_cols + j for j in range(n_cols)] for r in range(n_rows)]
    for j in range(n_cols):
        column = [r * n_cols + j for r in range(n_rows)]
        if j in total_index:
            column.append(total_index[j])
        relations.append(column)
    initial = [False] * len(values)
    for j, i in total_index.items():
        if hidden_totals is not None and hidden_totals[j]:
            initial[i] = True
    hidden = (
        secondary_suppression(values, relations, initial=initial)
        if enabled
        else [False] * len(values)
    )

    def shown(i: int) -> Cell:
        return SUPPRESSED if hidden[i] else values[i]

    cells = [[shown(r * n_cols + j) for j in range(n_cols)] for r in range(n_rows)]
    totals: list[Cell | None] = [
        shown(total_index[j]) if j in total_index else None for j in range(n_cols)
    ]
    return cells, totals


# A target's households to recruit are banded, not suppressed: suppression made six of
# eight targets read "c", useless to a recruitment team. The count is of households a
# campaign should find (a plan), not of children; the children each target would place
# stay suppressed (and, for the recruitment team, rounded to the nearest 10). Bands follow
# the rounding policies of official statistics in England: counts rounded to the nearest
# 5, 1 to 4 shown as "fewer than 5", a true zero as 0 (Ofqual, "Rounding policy for
# statistical publications", 2025), one step finer than the DfE's nearest 10 for
# national and regional figures of children looked after (DfE, Children looked after in
# England, methodology: "Rounding, suppression and grossing"). A band is never a single
# value below 5, so no target's households can be read as exactly one.
HOUSEHOLDS_BAND_BASE = 5


def households_band(value: int) -> str:
    """A target's households to recruit in words: "none", "fewer than 5", "about 5",
    "about 10", ... (nearest 5, halves up)."""
    if value <= 0:
        return "none"
    if value < HOUSEHOLDS_BAND_BASE:
        return f"fewer than {HOUSEHOLDS_BAND_BASE}"
    rounded = (
        (value * 2 + HOUSEHOLDS_BAND_BASE) // (2 * HOUSEHOLDS_BAND_BASE) * HOUSEHOLDS_BAND_BASE
    )
    return f"about {rounded:,}"
