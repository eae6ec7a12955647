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
import zipfile
from collections.abc import Sequence
from typing import Any, BinaryIO, TextIO

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from matching.gaps.report import GapReport
from matching.gaps.suppression import SUPPRESSED
from matching.gaps.targets import parse_add_spec
from matching.gaps.words import (
    ages,
    household_profile_words,
    needs_words,
    target_words,
    unit_profile_words,
    what_if_words,
)
from matching.labels import household_kind, label
from matching.phrases import long_date
from matching.results import GapDocument

Published = GapReport | GapDocument

# Charts show at most this many profiles (the largest by waiting children).
CHART_MAX_ROWS = 20
# Okabe-Ito blue, vermillion and bluish green: told apart by the common colour-vision
# deficiencies (the page's charts use the same, `api.pages.drawings.CHART_COLOURS`).
CHART_COLOURS = ("#0072B2", "#D55E00", "#009E73")
CHART_FONT_PT = 12  # labels at 12 pt or more: read at arm's length, printed or on screen
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


# The people's tables (spreadsheet sheets, CSV files): title, file name, headers in words.
Table = tuple[str, str, list[str], list[list[Any]]]
YES_NO = {True: "Yes", False: "No"}


def reader_tables(report: Published) -> list[Table]:
    """Every table of the published report for people: labelled headers, words for
    codes, no coordinates and nothing of the solver's method (the JSON keeps the codes
    and the method for machines). Counts stay as published: a number, 0 or "c"."""
    document = report if isinstance(report, GapDocument) else GapDocument.from_report(report)
    summary: list[list[Any]] = [
        ["Date of the report", long_date(document.as_of)],
        ["Matching policy version", document.policy_version],
        ["Children waiting", document.children_waiting],
        ["Groups waiting (a child alone, or siblings together)", document.units_waiting],
        ["Children today's carers can place", document.children_placeable],
        ["Children no allocation of today's carers can place", document.children_unplaceable],
        ["Groups no allocation can place", document.units_unplaceable],
        [
            "Children placeable with the recruitment targets",
            document.children_placeable_with_targets,
        ],
        ["Small numbers hidden (c)", YES_NO[document.suppressed]],
    ]
    if document.children_placeable_upper_bound is not None:
        summary.append(
            ["At most this many children placeable", document.children_placeable_upper_bound]
        )
    if document.what_if is not None:
        added = "; ".join(what_if_words(parse_add_spec(text)) for text in document.what_if.added)
        summary += [
            ["What if we recruited", added],
            ["Children placeable with them", document.what_if.children_placeable],
        ]
    profiles = [
        [
            unit_profile_words(r.profile),
            label("plan", r.profile.plan),
            ages(r.profile.age_band),
            ages(r.profile.size_band),
            r.profile.need_level.capitalize(),
            needs_words(r.profile.key_needs).capitalize() or "None",
            r.waiting_children,
            "" if r.children_placed is None else r.children_placed,
            r.children_unplaceable,
            r.waiting_units,
            r.units_unplaceable,
            r.feasible_households,
            r.vacancies_in_feasible_households,
        ]
        for r in document.by_profile
    ]
    profile_header = [
        "Profile",
        "Plan",
        "Ages",
        "Children in the group",
        "Level of need",
        "Key needs",
        "Children waiting",
        "Children the best allocation places",
        "Children who cannot be placed",
        "Groups waiting",
        "Groups who cannot be placed",
        "Carers who could take one of them",
        "Those carers' vacancies (shared with other profiles)",
    ]
    supply = [
        [
            household_profile_words(s.profile),
            household_kind(*(s.profile.kind.partition("/")[::2])),
            ", ".join(ages(b) for b in s.profile.age_bands),
            s.profile.places_band,
            needs_words(tuple(s.profile.skills)).capitalize() or "None",
            s.households,
            s.vacancies,
        ]
        for s in document.supply
    ]
    targets = [
        [
            target_words(t.profile),
            household_kind(*(t.profile.kind.partition("/")[::2])),
            ages(t.profile.ages),
            t.profile.places,
            ", ".join(label("skill", k) for k in t.profile.skills) or "None",
            YES_NO[t.profile.wheelchair_access],
            "Anywhere in the authority"
            if t.profile.near is None
            else (t.profile.near.area or "Near the children's family-time area"),
            t.households_band or t.households_needed,
            t.children_placed,
            YES_NO[t.verified],
        ]
        for t in document.recruitment_targets
    ]
    personas = [
        [
            p.title,
            p.description,
            p.units,
            p.children,
            needs_words(p.needs).capitalize() or "None",
            ages(p.age_band),
            p.typical_size,
            label("plan", p.plan),
        ]
        for p in document.personas
    ]
    about = [["Hidden numbers", str(document.method.get("suppression", ""))]]
    if document.method.get("publication"):
        about.append(["Publication", f"Published {document.method['publication']}"])
    about += [["Note", note] for note in document.notes]
    return [
        ("Summary", "summary", ["Measure", "Value"], summary),
        ("Demand and supply by profile", "demand-and-supply-by-profile", profile_header, profiles),
        (
            "Carers in the pool",
            "carers-in-the-pool",
            ["Carer profile", "Kind", "Ages", "Places", "Skills", "Households", "Vacancies"],
            supply,
        ),
        (
            "Recruitment targets",
            "recruitment-targets",
            [
                "Carers to recruit",
                "Kind",
                "Ages",
                "Places",
                "Skills",
                "Wheelchair access",
                "Area",
                "Households to recruit",
                "Children they would place",
                "Checked by running the rules again",
            ],
            targets,
        ),
        (
            "Who is waiting",
            "who-is-waiting",
            [
                "Persona",
                "Description",
                "Groups",
                "Children",
                "Needs",
                "Ages",
                "Typical group size",
                "Plan",
            ],
            personas,
        ),
        ("About these figures", "about-these-figures", ["Item", "Text"], about),
    ]


def write_csv_tables(report: Published, out: BinaryIO) -> None:
    """The people's tables as a zip of CSV files, one table per file (numbered in the
    order of the page), each UTF-8 with a byte-order mark so a spreadsheet opens it
    with its accents and apostrophes intact."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, (_title, stem, header, rows) in enumerate(reader_tables(report), start=1):
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows(rows)
            # a fixed date: the same report zips to the same bytes
            info = zipfile.ZipInfo(f"{number}-{stem}.csv", date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.getvalue().encode("utf-8-sig"))


def write_xlsx(report: Published, out: BinaryIO) -> None:
    """An XLSX workbook of the people's tables (`reader_tables`), one sheet each, with
    bold labelled headers frozen above the rows and columns sized to their text."""
    workbook = Workbook()
    first = True
    for title, _stem, header, rows in reader_tables(report):
        sheet = workbook.active if first else workbook.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = title[:31]
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in rows:
            sheet.append(list(row))
        sheet.freeze_panes = "A2"  # the header row stays in view
        for column, title_ in zip(sheet.columns, header, strict=False):
            width = max([len(str(title_)) // 2, *(len(str(c.value or "")) for c in column)])
            sheet.column_dimensions[column[0].column_letter].width = min(max(width, 10) + 2, 80)
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
    *,
    stacked: bool = False,
) -> Figure:
    """A horizontal bar chart, side by side or `stacked`; a suppressed value gets no
    bar, only a 'c' label."""
    n = len(labels)
    lanes = 1 if stacked else max(len(series), 1)
    height = max(3.0, 0.6 * max(n, 1) * lanes**0.5 + 2.0)
    figure = Figure(figsize=(13, height))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.8 / lanes
    left = [0.0] * n
    for k, (name, values) in enumerate(series):
        offset = 0.0 if stacked else (k - (len(series) - 1) / 2) * width
        ys = [i + offset for i in range(n)]
        numbers = [0.0 if not isinstance(v, int) else float(v) for v in values]
        bars = axes.barh(
            ys,
            numbers,
            height=width,
            left=left if stacked else None,
            label=name,
            color=CHART_COLOURS[k % len(CHART_COLOURS)],
        )
        for bar, value in zip(bars, values, strict=True):
            if value == SUPPRESSED:
                axes.annotate(
                    "c",
                    (bar.get_x(), bar.get_y() + bar.get_height() / 2),
                    xytext=(3, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=CHART_FONT_PT,
                )
        if stacked:
            left = [a + b for a, b in zip(left, numbers, strict=True)]
    axes.set_yticks(range(n), [_short(lbl, 70) for lbl in labels], fontsize=CHART_FONT_PT)
    axes.tick_params(axis="x", labelsize=CHART_FONT_PT)
    axes.invert_yaxis()
    axes.set_xlabel(xlabel, fontsize=CHART_FONT_PT)
    axes.set_title(title, fontsize=CHART_FONT_PT + 2)
    if not n:
        axes.text(
            0.5,
            0.5,
            "nothing to show",
            ha="center",
            va="center",
            transform=axes.transAxes,
            fontsize=CHART_FONT_PT,
        )
    if len(series) > 1 and n:
        axes.legend(loc="lower right", fontsize=CHART_FONT_PT)
    figure.tight_layout()
    return figure


def _sort_value(value: Any) -> float:
    return float(value) if isinstance(value, int) else 0.0


def _figures(document: GapDocument) -> dict[str, Figure]:
    rows = sorted(document.by_profile, key=lambda r: -_sort_value(r.waiting_children))[
        :CHART_MAX_ROWS
    ]
    demand = _bars(
        "Demand against supply: the children of each profile the best allocation places, "
        "and those it cannot",
        [unit_profile_words(r.profile) for r in rows],
        [
            ("placed by the best allocation", [r.children_placed for r in rows]),
            ("cannot be placed", [r.children_unplaceable for r in rows]),
        ],
        "children (c: a small number, hidden)",
        stacked=True,
    )
    left = sorted(
        (r for r in document.by_profile if r.units_unplaceable != 0),
        key=lambda r: -_sort_value(r.children_unplaceable),
    )[:CHART_MAX_ROWS]
    unplaceable = _bars(
        "Children no allocation of today's pool can place, by profile",
        [unit_profile_words(r.profile) for r in left],
        [("children who cannot be placed", [r.children_unplaceable for r in left])],
        "children (c: a small number, hidden)",
    )
    targets = document.recruitment_targets[:CHART_MAX_ROWS]
    target_chart = _bars(
        "Recruitment targets: the children each would place",
        [target_words(t.profile) for t in targets],
        [("children they would place", [t.children_placed for t in targets])],
        "children (c: a small number, hidden)",
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
    document = report if isinstance(report, GapDocument) else GapDocument.from_report(report)
    for name, figure in _figures(document).items():
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
