"""What a change of policy would change in the fairness report: the flags it would
raise and clear, and each group's figures under both policies with the difference.

    report_changes(current, compared) -> ReportChanges

Both reports are `matching.fairness.fairness_report`'s, on the same data and date; this
only sets them side by side (the CSV does the same with `write_csv(report, out,
compared)`). Groups and flags are matched by dimension, group and figure: a policy that
bands ages differently has groups the other lacks, shown against nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from matching.fairness import METRIC_KEYS, FairnessReport, Flag, GroupFigures

_Key = tuple[str, str]


@dataclass(frozen=True)
class FigureChange:
    """One group's figure under the current and the compared policy (None: not shown
    under that policy, or no such group in it), with its ratio to the other children's."""

    dimension: str
    group: str
    metric: str
    current: float | None
    compared: float | None
    current_ratio: float | None
    compared_ratio: float | None

    @property
    def difference(self) -> float | None:
        """The compared figure less the current one (None unless both are shown)."""
        if self.current is None or self.compared is None:
            return None
        return round(self.compared - self.current, 4)

    @property
    def changed(self) -> bool:
        return (self.current, self.current_ratio) != (self.compared, self.compared_ratio)


@dataclass(frozen=True)
class ReportChanges:
    """The flags the compared policy raises, clears and keeps, and every figure."""

    raised: tuple[Flag, ...]  # flagged under the compared policy only
    cleared: tuple[Flag, ...]  # flagged under the current policy only
    kept: tuple[Flag, ...]  # flagged under both (as the compared policy has it)
    figures: tuple[FigureChange, ...]  # every group and figure, in the report's order

    def changed(self, dimension: str | None = None) -> tuple[FigureChange, ...]:
        """The figures that differ (in one dimension, if given)."""
        return tuple(
            f for f in self.figures if f.changed and (dimension is None or f.dimension == dimension)
        )


def _flag_key(flag: Flag) -> tuple[str, str, str]:
    return (flag.dimension, flag.group, flag.metric)


def _ratio(group: GroupFigures | None, metric: str) -> float | None:
    found = group.ratios.get(metric) if group is not None else None
    return None if found is None else found.ratio


def report_changes(current: FairnessReport, compared: FairnessReport) -> ReportChanges:
    """The differences between the report under the current policy and under the
    compared one."""
    before = {_flag_key(f): f for f in current.flags}
    after = {_flag_key(f): f for f in compared.flags}
    mine: dict[_Key, GroupFigures] = {(g.dimension, g.group): g for g in current.groups}
    theirs: dict[_Key, GroupFigures] = {(g.dimension, g.group): g for g in compared.groups}
    # the current report's order, each dimension's groups found only in the compared
    # report after its own
    order: list[_Key] = []
    for dimension in dict.fromkeys(g.dimension for g in (*current.groups, *compared.groups)):
        order += [k for k in mine if k[0] == dimension]
        order += [k for k in theirs if k[0] == dimension and k not in mine]
    figures = []
    for key in order:
        a, b = mine.get(key), theirs.get(key)
        for metric in METRIC_KEYS:
            figures.append(
                FigureChange(
                    dimension=key[0],
                    group=key[1],
                    metric=metric,
                    current=None if a is None else a.metrics[metric],
                    compared=None if b is None else b.metrics[metric],
                    current_ratio=_ratio(a, metric),
                    compared_ratio=_ratio(b, metric),
                )
            )
    return ReportChanges(
        raised=tuple(f for k, f in after.items() if k not in before),
        cleared=tuple(f for k, f in before.items() if k not in after),
        kept=tuple(f for k, f in after.items() if k in before),
        figures=tuple(figures),
    )
