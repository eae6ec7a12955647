"""Disclosure control of a gap report published to the recruitment team.

Small-number suppression (`matching.gaps.suppression`) protects one table. Two tables of
nearly the same data do not protect each other: over 31 consecutive dates the
suppressed report changed by exactly one in 12 published cells, each one child
crossing an age band (issue #13), and exact what-if answers differ by single children.
So the recruitment team gets (docs/domain.md, "Disclosure control"):

* reports published for fixed dates only, stored once and never recomputed (the
  service's part: `api.services.gaps`);
* every count rounded to the nearest 10 after suppression, and what-if answers rounded
  the same way (`published_for_recruitment`, `rounded_count`);
* method text and notes without figures derived from the records (`scrub_figures`).

The rounding follows the DfE's statistics of children looked after: "National and
regional figures have been rounded to the nearest 10" (Children looked after in
England, methodology, "Rounding, suppression and grossing"), with `c` for counts from
1 to 5 and secondary suppression as before. A zero is shown only for a true zero. What
rounding leaves: a difference between two rounded answers is 0 or at least 10, never a
single child; an answer that sits next to a rounding boundary can still flip between
two multiples of 10 when one child changes, which tells a reader only that the exact
count crossed that boundary.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, get_args

from pydantic import BaseModel

from matching.results import Cell, GapDocument, WhatIfAnswer

# DfE, Children looked after in England (methodology, "Rounding, suppression and
# grossing"): national and regional figures rounded to the nearest 10.
ROUNDING_BASE = 10
SUPPRESSED: Literal["c"] = "c"

# The free text of a report's method that is computed from the records (sizes of the
# feasibility graph, units per component, clusters): figures left out when published.
DATA_TEXT_KEYS = ("feasibility", "placeable", "personas")

PROTECTION_NOTE = (
    "Published for the recruitment team as a stored snapshot: reports exist only for "
    "the dates published (month ends, imports or dates an administrator chose), are "
    "computed once and never recomputed, so no two reports of nearly the same records "
    "can be set side by side day by day. Counts from 1 to 5 are shown as c, and enough "
    "other cells are hidden that no c can be worked back from a row, a column or a "
    "total (DfE secondary suppression). Every other count is then rounded to the "
    f"nearest {ROUNDING_BASE} (as the DfE rounds national and regional figures of "
    "children looked after); totals are rounded on their own, so they may not add up. "
    "What-if answers are computed on the current records as of this report's date and "
    f"rounded to the nearest {ROUNDING_BASE} too: two answers differ by 0 or by at least "
    f"{ROUNDING_BASE}, never by a single child. Figures derived from the records are "
    "left out of this method note (shown as n)."
)

_FIGURE = re.compile(r"(?<![A-Za-z_])\d(?:[\d,]*\d)?(?:\.\d+)?")


def rounded_count(value: Cell, base: int = ROUNDING_BASE) -> Cell:
    """A published count rounded to the nearest `base` (halves up), `c` kept, a true
    zero kept. A count too small to round to anything but zero (never one that
    suppression let through: those are 6 or more) is shown as `c`, not as 0."""
    if value == SUPPRESSED:
        return SUPPRESSED
    if value == 0:
        return 0
    rounded = int((Decimal(value) / base).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * base
    return SUPPRESSED if rounded == 0 else rounded


def scrub_figures(text: str) -> str:
    """`text` with every number in it replaced by `n` (a word's digits, as in `k3`,
    are left alone)."""
    return _FIGURE.sub("n", text)


def _is_cell(annotation: Any) -> bool:
    return SUPPRESSED in get_args(annotation) or any(
        SUPPRESSED in get_args(arg) for arg in get_args(annotation)
    )


def _rounded_model(model: BaseModel, base: int) -> Any:
    """The JSON of `model` with every count (a field typed `Cell`) rounded, nested
    models and tuples of them included."""
    data: dict[str, Any] = {}
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if _is_cell(field.annotation) and isinstance(value, int):
            data[name] = rounded_count(value, base)
        elif isinstance(value, BaseModel):
            data[name] = _rounded_model(value, base)
        elif isinstance(value, tuple) and value and isinstance(value[0], BaseModel):
            data[name] = [_rounded_model(item, base) for item in value]
        else:
            data[name] = value
    return data


def published_for_recruitment(
    document: GapDocument, *, publication: str = "", base: int = ROUNDING_BASE
) -> GapDocument:
    """The recruitment team's view of a suppressed report: every count rounded to the
    nearest `base`, figures scrubbed from the method's data-derived text and the notes,
    and the method saying what protects the report (`publication` says which snapshot
    it is). ValueError for a report that is not suppressed."""
    if not document.suppressed:
        raise ValueError("only a suppressed report is published to the recruitment team")
    data = _rounded_model(document, base)
    method = dict(document.method)
    for key in DATA_TEXT_KEYS:
        if isinstance(method.get(key), str):
            method[key] = scrub_figures(method[key])
    method["suppression"] = PROTECTION_NOTE
    if publication:
        method["publication"] = publication
    data["method"] = method
    data["notes"] = [scrub_figures(note) for note in document.notes]
    return GapDocument.model_validate(data)


def rounded_what_if(answer: WhatIfAnswer, base: int = ROUNDING_BASE) -> WhatIfAnswer:
    """A what-if answer for the recruitment team: its count rounded like the report's."""
    rounded = rounded_count(answer.children_placeable, base)
    return answer.model_copy(update={"children_placeable": rounded})
