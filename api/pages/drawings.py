"""Geometry for the pages' small inline SVG drawings (the templates draw the shapes).

A score bar split into its criteria's contributions, and a sibling group's links laid
out on a circle. Colours come from one palette that stays distinguishable for the
common colour-vision deficiencies (Okabe-Ito); every drawing also has a text
equivalent on the page, so colour never carries meaning alone.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from matching.domain import SiblingLink
from matching.scoring import CRITERION_NAMES
from matching.siblings import Contradiction

PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#999999",
    "#882255",
    "#44AA99",
    "#117733",
)


# Each criterion keeps its colour on every page, whichever child or household: the
# scoring's criteria in their order, then any other (a policy's new criterion) by a
# stable hash of its name.
FIXED_COLOURS: dict[str, str] = {
    name: PALETTE[i % len(PALETTE)] for i, name in enumerate(CRITERION_NAMES)
}


def criterion_colour(criterion: str) -> str:
    """The colour `criterion` always has."""
    fixed = FIXED_COLOURS.get(criterion)
    if fixed is not None:
        return fixed
    return PALETTE[zlib.crc32(criterion.encode()) % len(PALETTE)]


def criterion_colours(criteria: Iterable[str]) -> dict[str, str]:
    """Each criterion's fixed colour (the same on every bar of every page)."""
    return {criterion: criterion_colour(criterion) for criterion in criteria}


@dataclass(frozen=True)
class Segment:
    criterion: str
    points: float
    x: float
    width: float
    colour: str


def score_bar(
    contributions: Sequence[dict[str, Any]], colours: dict[str, str], *, width: float = 600
) -> list[Segment]:
    """Segments of a bar `width` wide where the full width is the most points possible.

    Only positive contributions take room on the bar; a criterion that scored nothing
    or took points away is in the reason lines beside it.
    """
    total_max = sum(max(float(c.get("max_points") or 0), 0.0) for c in contributions)
    scale = width / total_max if total_max > 0 else 0.0
    segments = []
    x = 0.0
    for c in contributions:
        points = float(c.get("points") or 0)
        if points <= 0:
            continue
        w = points * scale
        segments.append(
            Segment(
                c["criterion"],
                points,
                round(x, 2),
                round(w, 2),
                colours.get(c["criterion"], PALETTE[-1]),
            )
        )
        x += w
    return segments


@dataclass(frozen=True)
class Node:
    child_id: str
    label: str
    x: float
    y: float
    focus: bool


@dataclass(frozen=True)
class Edge:
    a: Node
    b: Node
    relationship: str
    assessment: str
    contradiction: bool

    @property
    def mid(self) -> tuple[float, float]:
        return ((self.a.x + self.b.x) / 2, (self.a.y + self.b.y) / 2)


@dataclass(frozen=True)
class SiblingDrawing:
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]


def sibling_group(
    child_id: str, links: Iterable[SiblingLink]
) -> tuple[list[str], list[SiblingLink]]:
    """Every child linked to `child_id` by any chain of links, and those links."""
    links = list(links)
    by_child: dict[str, list[SiblingLink]] = {}
    for link in links:
        by_child.setdefault(link.child_a, []).append(link)
        by_child.setdefault(link.child_b, []).append(link)
    seen = {child_id}
    todo = [child_id]
    while todo:
        current = todo.pop()
        for link in by_child.get(current, []):
            for other in (link.child_a, link.child_b):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
    group_links = [link for link in links if link.child_a in seen]
    return sorted(seen), group_links


def sibling_drawing(
    focus: str,
    children: Sequence[str],
    labels: dict[str, str],
    links: Sequence[SiblingLink],
    contradictions: Sequence[Contradiction],
    *,
    size: int = 320,
) -> SiblingDrawing:
    """The group's children on a circle (the focus child first, at the top)."""
    ordered = [focus, *[c for c in children if c != focus]]
    radius = size / 2 - 50 if len(ordered) > 1 else 0
    centre = size / 2
    nodes = {}
    for i, child_id in enumerate(ordered):
        angle = -math.pi / 2 + 2 * math.pi * i / len(ordered)
        nodes[child_id] = Node(
            child_id,
            labels.get(child_id, child_id),
            round(centre + radius * math.cos(angle), 1),
            round(centre + radius * math.sin(angle), 1),
            child_id == focus,
        )
    flagged = {c.apart_link.pair for c in contradictions}
    edges = [
        Edge(
            nodes[link.child_a],
            nodes[link.child_b],
            link.relationship,
            link.assessment,
            link.pair in flagged,
        )
        for link in links
        if link.child_a in nodes and link.child_b in nodes
    ]
    return SiblingDrawing(size, size, list(nodes.values()), edges)


# The gap page's charts: Okabe-Ito blue, vermillion and bluish green, told apart by the
# common colour-vision deficiencies, and each bar's numbers written beside it.
CHART_COLOURS = ("#0072B2", "#D55E00", "#009E73")


@dataclass(frozen=True)
class Bar:
    series: str
    x: float  # in hundredths of the chart's width (the SVG's viewBox is 100 wide)
    width: float
    colour: str
    lane: int  # side-by-side series each have their own lane; stacked ones share one


@dataclass(frozen=True)
class BarValue:
    series: str
    words: str  # the count as shown ("c" where it is hidden)
    colour: str


@dataclass(frozen=True)
class BarRow:
    label: str
    bars: list[Bar]
    values: list[BarValue]
    lanes: int

    @property
    def description(self) -> str:
        """The row in words, the bar's accessible name."""
        return f"{self.label}: " + "; ".join(f"{v.series} {v.words}" for v in self.values)


def bar_rows(
    rows: Sequence[tuple[str, Sequence[int | str | None]]],
    series: Sequence[str],
    *,
    stacked: bool = False,
) -> list[BarRow]:
    """Horizontal bars for `rows` (a label and one count per series), scaled so the
    longest row fills the width: side by side, or `stacked` end to end. A hidden count
    ("c") or a missing one draws no bar; its words say so."""

    def number(value: int | str | None) -> float:
        return float(value) if isinstance(value, int) else 0.0

    def length(values: Sequence[int | str | None]) -> float:
        numbers = [number(v) for v in values]
        return sum(numbers) if stacked else max(numbers, default=0.0)

    longest = max((length(values) for _, values in rows), default=0.0)
    scale = 100.0 / longest if longest > 0 else 0.0
    out = []
    colours = CHART_COLOURS[: len(series)]  # one colour per series (at most three)
    for label, values in rows:
        bars, x = [], 0.0
        for lane, (name, value, colour) in enumerate(zip(series, values, colours, strict=True)):
            width = number(value) * scale
            if width > 0:
                start = round(x, 2) if stacked else 0.0
                bars.append(Bar(name, start, round(width, 2), colour, 0 if stacked else lane))
            if stacked:
                x += width
        shown = [
            BarValue(name, _count_words(value), colour)
            for name, value, colour in zip(series, values, colours, strict=True)
        ]
        out.append(BarRow(label, bars, shown, 1 if stacked else len(series)))
    return out


def _count_words(value: int | str | None) -> str:
    if value is None:
        return "not counted"
    return f"{value:,}" if isinstance(value, int) else str(value)
