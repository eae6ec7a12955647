"""The needs-gap report for recruitment, computed from the stored authority.

The analysis itself is `matching.gaps.gap_report`; this reads the authority from the
process's snapshot (no reload unless the data changed). Nothing is written but the
audit row of who read it: a gap report is a view of the data, and its published form
(`matching.results.GapDocument`) names no child, its small counts suppressed as
docs/domain.md ("Gap analysis", "Disclosure control") describes.

The suppressed report of the stored data and its charts take seconds to compute (the
charts most of it) and are the same for everyone until the data changes: they are kept
per data fingerprint, date and policy version (`published_gaps`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from api.requests import GapQuery
from api.services.audit import Actor, record
from api.services.snapshot import get_snapshot
from api.services.unit_of_work import unit_of_work
from matching.gaps import AddSpec, GapReport, gap_report, render_charts
from matching.policy import Policy
from matching.results import GapDocument


def gap_report_for(
    session: Session,
    *,
    as_of: date,
    policy: Policy,
    add: Sequence[AddSpec] = (),
    suppress: bool = True,
    seed: int = 0,
) -> GapReport:
    """The gap report of the stored authority on `as_of` under `policy`.

    `add` lists what-if households (see `matching.gaps.parse_add_spec`); `suppress=False`
    publishes exact small counts and is for administrators only.
    """
    snapshot = get_snapshot(session, policy)
    return gap_report(
        snapshot.authority,
        as_of=as_of,
        policy=policy,
        add=add,
        suppress=suppress,
        seed=seed,
        pool=snapshot.context.pool,  # the snapshot's pool arrays: not built again
    )


@dataclass(frozen=True)
class PublishedGaps:
    """The suppressed report of today's pool with its charts (by file name), and the
    what-if report when what-if households were asked for."""

    report: GapReport
    charts: Mapping[str, bytes]
    what_if: GapReport | None = None

    @property
    def document(self) -> GapDocument:
        """What is shown: the what-if report when there is one, else today's."""
        return GapDocument.from_report(self.what_if or self.report)


_CACHE_SIZE = 8
_cache: OrderedDict[tuple[str, date, str], tuple[GapReport, dict[str, bytes]]] = OrderedDict()
_cache_lock = threading.Lock()


def _published(session: Session, policy: Policy, on: date) -> tuple[GapReport, dict[str, bytes]]:
    """The suppressed report on `on` and its charts, computed once per data version."""
    key = (get_snapshot(session, policy).fingerprint, on, policy.version)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        report = gap_report_for(session, as_of=on, policy=policy, suppress=True)
        entry = (report, render_charts(report))
        _cache[key] = entry
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        return entry


def published_gaps(
    session: Session, actor: Actor, query: GapQuery, *, policy: Policy
) -> PublishedGaps:
    """The suppressed report on `query.as_of` (else today) with its charts and, for the
    what-if households of `query`, the report with them added; the read is audited.
    Always suppressed, whoever asks."""
    on = query.as_of or date.today()
    with unit_of_work(session):
        report, charts = _published(session, policy, on)
        what_if = None
        if query.add:
            what_if = gap_report_for(
                session, as_of=on, policy=policy, add=query.specs(), suppress=True
            )
        record(
            session,
            actor,
            "read_gaps",
            subject=f"gaps as_of={on} suppressed=True what_if={len(query.add)}",
        )
    return PublishedGaps(report, charts, what_if)


def gap_chart(session: Session, actor: Actor, name: str, *, as_of: date, policy: Policy) -> bytes:
    """One chart of the published report by file name (KeyError for an unknown name);
    the download is audited."""
    with unit_of_work(session):
        chart = _published(session, policy, as_of)[1][name]
        record(session, actor, "export_gaps", subject=f"chart {name} as_of={as_of} suppressed=True")
    return chart
