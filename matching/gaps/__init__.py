"""The needs-gap analysis for recruitment (see `matching.gaps.report`).

Public surface::

    gap_report(authority, *, as_of, policy, add=(), suppress=True, seed=0, method="auto",
               expand_max_pairs=EXPAND_MAX_PAIRS) -> GapReport
    typed_feasibility(authority, *, as_of, policy) -> TypedFeasibility   (groups, no pairs)
    typed_max_children_placed(types, *, plan=None) -> Placeability      (no pair list)
    GapReport.to_dict()                      the published (suppressed) report
    parse_add_spec(text) -> AddSpec          what-if households; AddSpecError on bad text
    write_json / write_csv(report, TextIO), write_xlsx(report, BinaryIO)
    render_charts(report) -> {file name: bytes}   PNG and SVG
"""

from matching.gaps.exports import render_charts, write_csv, write_json, write_xlsx
from matching.gaps.placeable import Placeability, max_children_placed
from matching.gaps.profiles import ProfileSettings
from matching.gaps.report import EXPAND_MAX_PAIRS, GapReport, analyse_gaps, gap_report
from matching.gaps.targets import AddSpec, AddSpecError, parse_add_spec
from matching.gaps.typed import TypedFeasibility, typed_feasibility
from matching.gaps.typed_placeable import typed_max_children_placed

__all__ = [
    "EXPAND_MAX_PAIRS",
    "AddSpec",
    "AddSpecError",
    "GapReport",
    "Placeability",
    "ProfileSettings",
    "TypedFeasibility",
    "analyse_gaps",
    "gap_report",
    "max_children_placed",
    "parse_add_spec",
    "render_charts",
    "typed_feasibility",
    "typed_max_children_placed",
    "write_csv",
    "write_json",
    "write_xlsx",
]
