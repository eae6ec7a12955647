"""The needs-gap analysis for recruitment (see `matching.gaps.report`).

Public surface::

    gap_report(authority, *, as_of, policy, add=(), suppress=True, seed=0, method="auto",
               expand_max_pairs=EXPAND_MAX_PAIRS) -> GapReport
    feasible_groups(authority, *, as_of, policy) -> FeasibleGroups     (groups, no pairs)
    max_children_placed(groups, *, plan=None) -> Placeability           (no pair list)
    max_children_placed_on_pairs(instance, *, plan=None) -> Placeability
    GapReport.to_dict()                      the published (suppressed) report
    parse_add_spec(text) -> AddSpec          what-if households; AddSpecError on bad text
    write_json / write_csv(report, TextIO)   for machines: codes, one CSV stream
    write_csv_tables / write_xlsx(report, BinaryIO)   for people: one table per file/sheet
    render_charts(report) -> {file name: bytes}   PNG and SVG
"""

from matching.gaps.exports import (
    reader_tables,
    render_charts,
    write_csv,
    write_csv_tables,
    write_json,
    write_xlsx,
)
from matching.gaps.grouped_feasibility import FeasibleGroups, feasible_groups
from matching.gaps.placeable import (
    Placeability,
    max_children_placed,
    max_children_placed_on_pairs,
)
from matching.gaps.profiles import ProfileSettings
from matching.gaps.report import EXPAND_MAX_PAIRS, GapReport, analyse_gaps, gap_report
from matching.gaps.targets import AddSpec, AddSpecError, parse_add_spec

__all__ = [
    "EXPAND_MAX_PAIRS",
    "AddSpec",
    "AddSpecError",
    "FeasibleGroups",
    "GapReport",
    "Placeability",
    "ProfileSettings",
    "analyse_gaps",
    "feasible_groups",
    "gap_report",
    "max_children_placed",
    "max_children_placed_on_pairs",
    "parse_add_spec",
    "reader_tables",
    "render_charts",
    "write_csv",
    "write_csv_tables",
    "write_json",
    "write_xlsx",
]
