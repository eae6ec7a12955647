"""Exports of a gap report: JSON, CSV, an XLSX workbook and charts (PNG and SVG).

Every export is made from the published view (`GapReport.to_dict()`, or a
`GapDocument` already published, such as a stored snapshot), so it carries the same
disclosure control (``c`` for counts 1 to 5 and their secondary suppression) and no
child id, name or date of birth. Nothing here opens a file: writers take a stream and
charts come back as bytes, for the caller to save or serve.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any, BinaryIO, TextIO

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from openpyxl import Workbook
from openpyxl.styles import Font

from matching.gaps.report import GapReport
from matching.gaps.suppression import SUPPRESSED
from matching.results import GapDocument

Published = GapReport | GapDocument

# Charts show at most this many profiles (the largest by waiting children).
CHART_MAX_ROWS = 20
SUMMARY_KEYS = (
    "as_of",
    "policy_version",
    "suppressed",
    "children_waiting",
    "units_waiting",
    "children_placeable",
    "children_unplaceable",
    "units_unplaceable",
    "placeable_exact",
    "children_placeable_upper_bound",
    "children_placeable_with_targets",
)
PROFILE_COLUMNS = ("plan", "age_band", "size_band", "need_level", "key_needs")
BY_PROFILE_COUNTS = (
    "waiting_units",
    "waiting_children",
    "units_unplaceable",
    "children_unplaceable",
    "feasible_households",
    "vacancies_in_feasible_households",
)


def _published(report: Published) -> dict[str, Any]:
    """The published view: a report's, or a published document's own."""
    return report.as_json() if isinstance(report, GapDocument) else report.to_dict()


def write_json(report: Published, out: TextIO) -> None:
    """The published report as indented JSON."""
    json.dump(_published(report), out, indent=2, sort_keys=False)
    out.write("\n")


def _text(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if value is None:
        return ""
    return value


def _table_rows(data: dict[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Every table of the published report as (header, rows), for CSV and XLSX."""
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {}
    tables["summary"] = (
        ["measure", "value"],
        [[k, _text(data[k])] for k in SUMMARY_KEYS if k in data],
    )
    if "what_if" in data:
        what_if = data["what_if"]
        tables["summary"][1].extend(
            [
                ["what_if_added", _text(what_if["added"])],
                ["what_if_households_added", what_if["households_added"]],
                ["what_if_children_placeable", what_if["children_placeable"]],
            ]
        )
    tables["demand_vs_supply"] = (
        ["profile", *PROFILE_COLUMNS, *BY_PROFILE_COUNTS],
        [
            [row["profile"]["label"], *(_text(row["profile"][c]) for c in PROFILE_COLUMNS)]
            + [row[c] for c in BY_PROFILE_COUNTS]
            for row in data["by_profile"]
        ],
    )
    tables["unplaceable"] = (
        ["profile", *PROFILE_COLUMNS, "units_unplaceable", "children_unplaceable"],
        [
            [
                row["profile"]["label"],
                *(_text(row["profile"][c]) for c in PROFILE_COLUMNS),
                row["units_unplaceable"],
                row["children_unplaceable"],
            ]
            for row in data["by_profile"]
            if row["units_unplaceable"] != 0
        ],
    )
    tables["supply"] = (
        [
            "household_profile",
            "kind",
            "age_bands",
            "places_band",
            "skills",
            "households",
            "vacancies",
        ],
        [
            [
                s["profile"]["label"],
                s["profile"]["kind"],
                _text(s["profile"]["age_bands"]),
                s["profile"]["places_band"],
                _text(s["profile"]["skills"]),
                s["households"],
                s["vacancies"],
            ]
            for s in data["supply"]
        ],
    )
    tables["recruitment_targets"] = (
        [
            "target",
            "kind",
            "ages",
            "places",
            "skills",
            "wheelchair_access",
            "near",
            "households_needed",
            "children_placed",
            "verified",
        ],
        [
            [
                t["profile"]["label"],
                t["profile"]["kind"],
                t["profile"]["ages"],
                t["profile"]["places"],
                _text(t["profile"]["skills"]),
                t["profile"]["wheelchair_access"],
                ""
                if t["profile"]["near"] is None
                else "{lat}:{lon} within {radius_km} km".format(**t["profile"]["near"]),
                t["households_needed"],
                t["children_placed"],
                t["verified"],
            ]
            for t in data["recruitment_targets"]
        ],
    )
    tables["personas"] = (
        [
            "persona",
            "description",
            "units",
            "children",
            "needs",
            "age_band",
            "typical_size",
            "plan",
        ],
        [
            [
                p["title"],
                p["description"],
                p["units"],
                p["children"],
                _text(p["needs"]),
                p["age_band"],
                p["typical_size"],
                p["plan"],
            ]
            for p in data["personas"]
        ],
    )
    method_rows: list[list[Any]] = [
        [k, json.dumps(v) if isinstance(v, dict) else _text(v)] for k, v in data["method"].items()
    ]
    method_rows += [["note", n] for n in data["notes"]]
    tables["method_and_notes"] = (["item", "text"], method_rows)
    return tables


def write_csv(report: Published, out: TextIO) -> None:
    """All tables in one CSV: a `table` column names the table each row belongs to.

    The header of each table is written as a row whose `table` cell ends in
    ``:header``, so one stream holds the summary, demand vs supply, unplaceable,
    supply, targets, personas and method tables.
    """
    writer = csv.writer(out, lineterminator="\n")
    for name, (header, rows) in _table_rows(_published(report)).items():
        writer.writerow([f"{name}:header", *header])
        for row in rows:
            writer.writerow([name, *row])


def write_xlsx(report: Published, out: BinaryIO) -> None:
    """An XLSX workbook: summary, demand vs supply, unplaceable by profile, supply,
    recruitment targets, personas, and method and notes (one sheet each)."""
    workbook = Workbook()
    first = True
    titles = {
        "summary": "Summary",
        "demand_vs_supply": "Demand vs supply",
        "unplaceable": "Unplaceable by profile",
        "supply": "Supply by household profile",
        "recruitment_targets": "Recruitment targets",
        "personas": "Personas",
        "method_and_notes": "Method and notes",
    }
    for name, (header, rows) in _table_rows(_published(report)).items():
        sheet = workbook.active if first else workbook.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = titles[name][:31]
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_text(v) for v in row])
        for column, title in zip(sheet.columns, header, strict=False):
            width = max([len(str(title)), *(len(str(c.value or "")) for c in column)])
            sheet.column_dimensions[column[0].column_letter].width = min(width + 2, 80)
    # Fixed document properties: the workbook is the same bytes for the same report.
    workbook.properties.creator = "familyfinder"
    workbook.save(out)


def _short(label: str, limit: int = 90) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Any]]],
    xlabel: str,
) -> Figure:
    """A horizontal bar chart; a suppressed value gets no bar, only a 'c' label."""
    n = len(labels)
    height = max(2.5, 0.45 * max(n, 1) * max(len(series), 1) ** 0.5 + 1.5)
    figure = Figure(figsize=(13, height))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.8 / max(len(series), 1)
    for k, (name, values) in enumerate(series):
        ys = [i + (k - (len(series) - 1) / 2) * width for i in range(n)]
        numbers = [0 if v == SUPPRESSED else float(v) for v in values]
        bars = axes.barh(ys, numbers, height=width, label=name)
        for bar, value in zip(bars, values, strict=True):
            if value == SUPPRESSED:
                axes.annotate(
                    "c",
                    (0, bar.get_y() + bar.get_height() / 2),
                    xytext=(3, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=8,
                )
    axes.set_yticks(range(n), [_short(lbl) for lbl in labels], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    if not n:
        axes.text(0.5, 0.5, "nothing to show", ha="center", va="center", transform=axes.transAxes)
    if len(series) > 1 and n:
        axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    return figure


def _sort_value(value: Any) -> float:
    return 0.0 if value == SUPPRESSED else float(value)


def _figures(data: dict[str, Any]) -> dict[str, Figure]:
    rows = sorted(data["by_profile"], key=lambda r: -_sort_value(r["waiting_children"]))[
        :CHART_MAX_ROWS
    ]
    demand = _bars(
        "Demand vs supply by profile (children waiting; vacancies in feasible households)",
        [r["profile"]["label"] for r in rows],
        [
            ("children waiting", [r["waiting_children"] for r in rows]),
            (
                "vacancies in feasible households",
                [r["vacancies_in_feasible_households"] for r in rows],
            ),
        ],
        "count ('c' = suppressed, 1 to 5 or secondary)",
    )
    left = sorted(
        (r for r in data["by_profile"] if r["units_unplaceable"] != 0),
        key=lambda r: -_sort_value(r["children_unplaceable"]),
    )[:CHART_MAX_ROWS]
    unplaceable = _bars(
        "Children no allocation of today's pool can place, by profile",
        [r["profile"]["label"] for r in left],
        [("children unplaceable", [r["children_unplaceable"] for r in left])],
        "children ('c' = suppressed)",
    )
    targets = data["recruitment_targets"][:CHART_MAX_ROWS]
    target_chart = _bars(
        "Recruitment targets: households needed and children they would place",
        [t["profile"]["label"] for t in targets],
        [
            ("households needed", [t["households_needed"] for t in targets]),
            ("children placed", [t["children_placed"] for t in targets]),
        ],
        "count ('c' = suppressed)",
    )
    return {
        "demand_vs_supply": demand,
        "unplaceable_by_profile": unplaceable,
        "recruitment_targets": target_chart,
    }


def render_charts(report: Published) -> dict[str, bytes]:
    """The three charts as PNG and SVG bytes, keyed by file name (e.g. `targets.svg`).

    Rendered with the Agg canvas directly (no pyplot state); SVG keeps its text as text.
    """
    out: dict[str, bytes] = {}
    for name, figure in _figures(_published(report)).items():
        for fmt in ("png", "svg"):
            buffer = io.BytesIO()
            # SVG text kept as <text> (searchable, accessible), not paths
            with matplotlib.rc_context({"svg.fonttype": "none"}):
                figure.savefig(
                    buffer,
                    format=fmt,
                    dpi=100,
                    metadata={"Date": None} if fmt == "svg" else {"Software": None},
                )
            out[f"{name}.{fmt}"] = buffer.getvalue()
    return out
