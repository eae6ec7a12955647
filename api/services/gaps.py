"""The needs-gap report for recruitment, computed from the stored authority, and its
publication.

Two views of one analysis (`matching.gaps.gap_report`, on the process's snapshot):

* an administrator's: the report for any date, suppressed or (asked for) exact, with
  what-if households; computed when asked;
* everyone else's (the recruitment team): only **published** reports. A report is
  published for a date once, stored through the typed `GapDocument` (table
  `gap_publication`) and never recomputed; its counts are suppressed and rounded to the
  nearest 10, its method text carries no figure from the records
  (`matching.disclosure`). When reports are published is the administrator's choice
  (FAMILYFINDER_GAP_PUBLICATION): `month_end` (as of the last day of each month),
  `import` (as of each import's date) or `manual`; an administrator can also publish
  any date (`publish_gap_report`: POST /api/gaps/publications, `familyfinder gaps
  --publish`). A scheduled report is stored by the first request that finds it due.
  What-if answers for the team are computed as of the publication's date and rounded.

Asking the report for consecutive dates or for what-if pairs differing by one
household therefore shows the team no single child (issue #13:
tests/api/test_service_gap_publications.py replays both attacks).

Every read is audited (no child is named in a gap report, so one row per read).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, TypeVar

from sqlalchemy.orm import Session

from api.requests import GapQuery
from api.services.audit import Actor, record
from api.services.rounds import without_held_children
from api.services.snapshot import get_snapshot
from api.services.unit_of_work import unit_of_work
from matching.disclosure import published_for_recruitment, rounded_what_if
from matching.errors import ConflictError, FamilyFinderError, NotFoundError
from matching.gaps import AddSpec, GapReport, gap_report, render_charts
from matching.policy import Policy
from matching.results import GapDocument
from models.gap_publications import (
    GapPublication,
    gap_publication_exists,
    gap_publication_on,
    gap_publication_summary,
    get_gap_publication,
    list_gap_publications,
    save_gap_publication,
)
from models.gap_publications import PublicationSummary as PublicationSummary  # for routes
from models.proposal_store import held_child_ids
from models.store import list_import_runs

T = TypeVar("T")
GapSchedule = Literal["month_end", "import", "manual"]
BASIS_WORDS = {
    "month_end": "the month end",
    "import": "an import",
    "admin": "a date an administrator chose",
}


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
    publishes exact small counts and is for administrators only. Children held by an
    open proposal are left out, as a round leaves them out: a family finder is matching
    them, so they are not unmet demand (and the household's vacancies the proposal
    reserved are already taken in the records).
    """
    snapshot = get_snapshot(session, policy)
    held = held_child_ids(session)
    return gap_report(
        without_held_children(snapshot.authority, held),
        as_of=as_of,
        policy=policy,
        add=add,
        suppress=suppress,
        seed=seed,
        pool=snapshot.context.pool,  # the snapshot's pool arrays: not built again
    )


def sees_any_date(actor: Actor) -> bool:
    """Only an administrator reads the report for a date of their choosing; everyone
    else reads published reports."""
    return actor.role == "admin"


# ----------------------------------------------------------------------------- publishing


def last_month_end(today: date) -> date:
    """The last day of the month before `today`'s (a month that has ended)."""
    return today.replace(day=1) - timedelta(days=1)


@dataclass(frozen=True)
class Due:
    """A publication the schedule asks for."""

    as_of: date
    basis: str
    import_run_id: int | None = None


def due_publication(session: Session, schedule: GapSchedule, today: date) -> Due | None:
    """The report the schedule says should be published by now (None: nothing
    imported yet, or the schedule is manual)."""
    if schedule == "manual":
        return None
    imports = list_import_runs(session, limit=1)
    if not imports:
        return None  # nothing to report on yet
    if schedule == "import":
        return Due(imports[0].as_of, "import", imports[0].id)
    return Due(last_month_end(today), "month_end")


def _publish(
    session: Session,
    policy: Policy,
    *,
    as_of: date,
    basis: str,
    created_by: str,
    import_run_id: int | None,
) -> GapPublication | None:
    """Compute the suppressed report on `as_of`, make it the recruitment team's view and
    store it (committed); None when the date was published meanwhile."""
    snapshot = get_snapshot(session, policy)
    report = gap_report_for(session, as_of=as_of, policy=policy, suppress=True)
    words = f"as of {as_of.isoformat()}, published for {BASIS_WORDS[basis]} by {created_by}"
    document = published_for_recruitment(GapDocument.from_report(report), publication=words)
    with unit_of_work(session):
        return save_gap_publication(
            session,
            basis=basis,
            created_by=created_by,
            import_run_id=import_run_id,
            inputs_fingerprint=snapshot.fingerprint,
            document=document,
        )


def publish_due(session: Session, schedule: GapSchedule, policy: Policy, *, today: date) -> bool:
    """Store the report the schedule asks for, if it is not stored yet; True when one
    is due (and so stored now, or before), False when nothing is due. Whether it is
    stored is asked without reading its document (every page view asks)."""
    due = due_publication(session, schedule, today)
    if due is None:
        return False
    with unit_of_work(session):
        if gap_publication_exists(session, due.as_of):
            return True
    # None: another request published it first; stored either way
    _publish(
        session,
        policy,
        as_of=due.as_of,
        basis=due.basis,
        created_by="schedule",
        import_run_id=due.import_run_id,
    )
    return True


def publish_gap_report(
    session: Session, actor: Actor | str, *, as_of: date, policy: Policy
) -> GapPublication:
    """An administrator publishes the report as of `as_of` (audited); ConflictError when
    a report as of that date is published already: one report per date, never
    replaced."""
    name = actor if isinstance(actor, str) else actor.username
    with unit_of_work(session):
        existing = gap_publication_on(session, as_of)
    if existing is not None:
        raise ConflictError(
            f"a gap report as of {as_of.isoformat()} is already published (for "
            f"{BASIS_WORDS.get(existing.basis, existing.basis)}): one report per date, "
            "never replaced, so that two cannot be compared"
        )
    published = _publish(
        session, policy, as_of=as_of, basis="admin", created_by=name, import_run_id=None
    )
    if published is None:
        raise ConflictError(f"a gap report as of {as_of.isoformat()} was published meanwhile")
    if not isinstance(actor, str):
        with unit_of_work(session):
            record(
                session, actor, "publish_gaps", subject=f"publication={published.id} as_of={as_of}"
            )
    return published


def gap_publications(
    session: Session, schedule: GapSchedule, policy: Policy, *, today: date, limit: int = 50
) -> list[PublicationSummary]:
    """The published reports, latest first (a due one is published first)."""
    publish_due(session, schedule, policy, today=today)
    with unit_of_work(session):
        return list_gap_publications(session, limit=limit)


def _publication_key(session: Session, publication: PublicationSummary) -> tuple[str, ...]:
    """A publication's identity for caches: its database, id and when it was made (ids
    of two databases can be the same)."""
    return (
        "publication",
        str(session.get_bind().engine.url),
        str(publication.id),
        publication.as_of.isoformat(),
        publication.created_at.isoformat(),
    )


def _publication(
    session: Session, schedule: GapSchedule, policy: Policy, *, on: date | None, today: date
) -> GapPublication:
    """The publication as of `on`, else the latest; NotFoundError naming the dates
    published when there is none."""
    due = publish_due(session, schedule, policy, today=today)
    with unit_of_work(session):
        chosen = gap_publication_summary(session, on)
        if chosen is not None:
            # a publication is never changed or replaced: read and parsed once (keyed by
            # its database and when it was made, as well as its id)
            found = chosen.id
            return _publications.get(
                _publication_key(session, chosen), lambda: get_gap_publication(session, found)
            )
        if not due and on is None:
            raise NotFoundError(
                "no gap report has been published yet: an administrator publishes one "
                "(POST /api/gaps/publications), or the schedule will"
            )
        dates = [p.as_of.isoformat() for p in list_gap_publications(session, limit=12)]
    raise NotFoundError(
        f"no gap report is published as of {on}: the report is published for fixed dates "
        f"only ({', '.join(dates) or 'none yet'}; GET /api/gaps/publications)"
    )


# ----------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class GapView:
    """What a reader is shown: the document and, for anyone but an administrator, the
    publication it comes from (its date is the date what-if answers are computed for)."""

    document: GapDocument
    publication: GapPublication | None = None
    # what the report (apart from its what-if answer) is the same for: the data's
    # fingerprint, the children held, date, policy and suppression, or the publication
    key: tuple[str, ...] = ()


class LruCache:
    """A small LRU of values that are costly to make and the same for one key (a report
    of one data version, date and policy; a publication; its charts; the gap page's
    rendered parts)."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._values: OrderedDict[tuple[str, ...], object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]  # type: ignore[return-value]
            value = make()
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
            return value


_reports = LruCache()
_charts = LruCache()
_publications = LruCache()


def _report_key(session: Session, policy: Policy, on: date, suppress: bool) -> tuple[str, ...]:
    """A report's key: the data's fingerprint, the children open proposals hold (two
    proposals can reserve the same vacancies for different children), date, policy."""
    fingerprint = get_snapshot(session, policy).fingerprint
    held = ",".join(sorted(held_child_ids(session)))
    return ("report", fingerprint, held, on.isoformat(), policy.version, str(suppress))


def _report(session: Session, policy: Policy, on: date, suppress: bool) -> GapDocument:
    """The report of the stored data on `on` (no what-if), computed once per data
    version."""
    return _reports.get(
        _report_key(session, policy, on, suppress),
        lambda: GapDocument.from_report(
            gap_report_for(session, as_of=on, policy=policy, suppress=suppress)
        ),
    )


def gap_view(
    session: Session,
    actor: Actor,
    query: GapQuery,
    *,
    policy: Policy,
    schedule: GapSchedule,
    today: date,
    suppress: bool = True,
) -> GapView:
    """The report `actor` may see for `query` (not audited: the caller records what it
    serves). An administrator: as of `query.as_of` (else today), exact when `suppress`
    is False, with the what-if households. Anyone else: a publication (as of
    `query.as_of`, else the latest), with what-if answers as of its date, rounded."""
    if sees_any_date(actor):
        on = query.as_of or today
        key = _report_key(session, policy, on, suppress)
        if not query.add:
            return GapView(_report(session, policy, on, suppress), key=key)
        report = gap_report_for(
            session, as_of=on, policy=policy, add=query.specs(), suppress=suppress
        )
        return GapView(GapDocument.from_report(report), key=key)
    publication = _publication(session, schedule, policy, on=query.as_of, today=today)
    document = publication.document
    if query.add:
        report = gap_report_for(
            session, as_of=publication.as_of, policy=policy, add=query.specs(), suppress=True
        )
        answer = GapDocument.from_report(report).what_if
        if answer is None:  # pragma: no cover - a report with households added has one
            raise FamilyFinderError("the what-if households could not be evaluated")
        document = document.model_copy(update={"what_if": rounded_what_if(answer)})
    return GapView(document, publication, _publication_key(session, publication))


def _charts_of(session: Session, view: GapView, policy: Policy) -> Mapping[str, bytes]:
    """The charts of the report shown, without its what-if (drawn once per report)."""
    publication = view.publication
    if publication is not None:
        return _charts.get(view.key, lambda: render_charts(publication.document))
    on, suppress = view.document.as_of, view.document.suppressed
    return _charts.get(
        ("charts", *_report_key(session, policy, on, suppress)),
        lambda: render_charts(_report(session, policy, on, suppress)),
    )


def _subject(view: GapView, query: GapQuery, extra: str = "") -> str:
    if view.publication is not None:
        where = f"publication={view.publication.id} as_of={view.publication.as_of}"
        shown = "suppressed=True rounded=True"
    else:
        where = f"as_of={view.document.as_of}"
        shown = f"suppressed={view.document.suppressed}"
    return f"gaps {where}{extra} {shown} what_if={len(query.add)}"


def published_gaps(
    session: Session,
    actor: Actor,
    query: GapQuery,
    *,
    policy: Policy,
    schedule: GapSchedule,
    today: date,
) -> GapView:
    """The page's report (suppressed, whoever asks; a publication for anyone but an
    administrator); the read is audited. The page draws its own charts from it; the
    chart files are `gap_chart`'s."""
    view = gap_view(session, actor, query, policy=policy, schedule=schedule, today=today)
    with unit_of_work(session):
        record(session, actor, "read_gaps", subject=_subject(view, query))
    return view


def gap_chart(
    session: Session,
    actor: Actor,
    name: str,
    *,
    policy: Policy,
    schedule: GapSchedule,
    today: date,
    as_of: date | None = None,
) -> bytes:
    """One chart of the report the page shows, by file name (KeyError for an unknown
    name); the download is audited."""
    query = GapQuery(as_of=as_of)
    view = gap_view(session, actor, query, policy=policy, schedule=schedule, today=today)
    chart = _charts_of(session, view, policy)[name]
    with unit_of_work(session):
        record(session, actor, "export_gaps", subject=_subject(view, query, f" chart={name}"))
    return chart
