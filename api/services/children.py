"""Children's records: a filtered, paged list, one child's record and shortlist, audited.

The API and the pages call the same functions here (the child's page calls
`child_view`, which runs `child_record` and `child_shortlist` in one transaction), so a
read is validated, audited and committed the same way whichever door it came in by.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from api.requests import ChildQuery, ShortlistQuery
from api.services.audit import AccessDenied, Actor, record, record_children, record_denial
from api.services.shortlists import ShortlistRun, compute_shortlist, store_shortlist
from api.services.snapshot import get_snapshot
from api.services.unit_of_work import unit_of_work
from matching.clocks import ADOPTION_PLANS, WaitingClocks, clocks_of
from matching.domain import Child, SiblingLink
from matching.errors import ConflictError, FamilyFinderError, NotFamilyFoundError
from matching.policy import Policy
from matching.round_sentences import CarerProfile, carer_profile
from matching.vocab import CHILD_STATUSES, MAX_CHILD_AGE, NOT_FAMILY_FOUND_PLANS, PLANS
from models.accounts import OPEN_PROPOSAL_STATUSES, ProposalRow
from models.orm import ChildRow
from models.proposal_store import latest_proposals_naming, on_panel_agenda
from models.record_store import ChildFilter, get_child_row, page_children
from models.store import child_warnings as stored_child_warnings

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def age_band_filter(age_min: int | None, age_max: int | None, as_of: date) -> dict[str, date]:
    """Birth-date bounds for ages in [age_min, age_max] on `as_of` (whole years)."""
    if age_min is not None and age_max is not None and age_min > age_max:
        raise FamilyFinderError(f"age_min {age_min} is above age_max {age_max}")
    bounds: dict[str, date] = {}
    try:
        if age_min is not None and age_min > 0:
            bounds["born_on_or_before"] = _years_before(as_of, age_min)
        if age_max is not None and age_max < MAX_CHILD_AGE + 1:
            bounds["born_after"] = _years_before(as_of, age_max + 1)
    except ValueError:  # before year 1
        raise FamilyFinderError(f"as_of {as_of} is too early for an age band") from None
    return bounds


def _check_choice(value: str | None, allowed: Collection[str], name: str) -> None:
    if value is not None and value not in allowed:
        raise FamilyFinderError(f"unknown {name} {value!r}")


def list_children(session: Session, actor: Actor, query: ChildQuery) -> Page[ChildRow]:
    """Children matching every filter given, by id; the read is audited.

    An unknown plan or status, or an age band upside down, is a FamilyFinderError.
    """
    _check_choice(query.plan, PLANS, "plan")
    _check_choice(query.status, CHILD_STATUSES, "status")
    plans: tuple[str, ...] | None = None
    if query.family_found is not None:
        plans = tuple(p for p in PLANS if (p in NOT_FAMILY_FOUND_PLANS) != query.family_found)
    where = ChildFilter(
        plan=query.plan,
        status=query.status,
        waiting_since=query.waiting_since,
        in_sibling_group=query.in_sibling_group,
        plans=plans,
        search=query.search,
        sort=query.sort,
        **age_band_filter(query.age_min, query.age_max, query.as_of or date.today()),
    )
    with unit_of_work(session):
        rows, total = page_children(session, where, limit=query.limit, offset=query.offset)
        siblings = (
            "" if query.in_sibling_group is None else f" in_sibling_group={query.in_sibling_group}"
        )
        # one row naming every child returned (not one row per child)
        record_children(
            session,
            actor,
            "list_children",
            [row.child_id for row in rows],
            f"plan={query.plan} status={query.status} "
            f"age={query.age_min}-{query.age_max} waiting_since={query.waiting_since}"
            f"{siblings} family_found={query.family_found} search={query.search!r} "
            f"sort={query.sort} offset={query.offset} returned={len(rows)}",
        )
    return Page(rows, total, query.limit, query.offset)


@dataclass(frozen=True)
class WaitingChild:
    """A child on the waiting list, with its sibling links and the size of its unit."""

    record: ChildRow
    siblings: int  # sibling links recorded for the child, whatever their assessment
    unit_size: int  # the child and every sibling assessed to live with them


def waiting_list(
    session: Session, actor: Actor, query: ChildQuery, *, policy: Policy
) -> Page[WaitingChild]:
    """`list_children` (the same filters, audit and transaction) with each child's
    sibling links and unit size, for the family finder's waiting list."""
    with unit_of_work(session):
        page = list_children(session, actor, query)
        context = get_snapshot(session, policy).context
    on_page = {row.child_id for row in page.items}
    linked: dict[str, int] = dict.fromkeys(on_page, 0)
    for link in context.authority.links:
        for end in (link.child_a, link.child_b):
            if end in on_page:
                linked[end] += 1
    items = [
        WaitingChild(
            record=row,
            siblings=linked[row.child_id],
            unit_size=len(context.unit_by_child.get(row.child_id, (row.child_id,))),
        )
        for row in page.items
    ]
    return Page(items, page.total, page.limit, page.offset)


def child_record(session: Session, actor: Actor, child_id: str) -> ChildRow:
    """One child's record; panel members see only children on their agenda. Audited,
    the refusal too."""
    with unit_of_work(session):
        row = get_child_row(session, child_id)
        allowed = actor.role != "panel" or on_panel_agenda(session, child_id=child_id)
        if allowed:
            record(session, actor, "read_child", child_id=child_id)
    if not allowed:
        record_denial(session, actor, f"read child {child_id}", child_id=child_id)
        raise AccessDenied("this child is not in a proposal on the panel's agenda")
    return row


def child_warnings(session: Session, child_id: str) -> list[dict[str, str]]:
    """The child's stored practice warnings as {code, message}: what a person must
    resolve before the child is matched (read with the record, which is audited)."""
    return [
        {"code": w.code, "message": w.message} for w in stored_child_warnings(session, child_id)
    ]


def child_shortlist(
    session: Session, actor: Actor, child_id: str, query: ShortlistQuery, *, policy: Policy
) -> ShortlistRun:
    """The shortlist for the child's unit, stored, its read audited for each child of the
    unit: one transaction, so the read is recorded if and only if the shortlist is served.
    """
    as_of = query.as_of or date.today()
    computed = compute_shortlist(
        session, child_id, as_of=as_of, top=query.top, why_not=query.why_not, policy=policy
    )
    document = computed.document
    with unit_of_work(session):
        run_id = store_shortlist(session, computed, requested_by=actor.username)
        for member in document.unit:
            record(
                session,
                actor,
                "read_shortlist",
                child_id=member,
                subject=f"shortlist as_of={as_of}",
            )
    return ShortlistRun(run_id=run_id, document=document)


@dataclass(frozen=True)
class ChildView:
    """What the child's page shows: the record, the shortlist (or why there is none),
    the child's unit, and the sibling links with the children they name."""

    child: ChildRow
    shortlist: ShortlistRun | None
    not_family_found: str | None
    unit: tuple[str, ...]
    links: Sequence[SiblingLink]
    children: Mapping[str, Child]
    # stored practice warnings ({code, message}): what a person must resolve first
    warnings: list[dict[str, str]]
    # the newest proposal naming the child (open or decided), if any
    proposal: ProposalRow | None = None

    @property
    def held(self) -> bool:
        """Whether an open proposal holds the child: not offered again until it is
        withdrawn or declined."""
        return self.proposal is not None and self.proposal.status in OPEN_PROPOSAL_STATUSES


def child_view(
    session: Session, actor: Actor, child_id: str, query: ShortlistQuery, *, policy: Policy
) -> ChildView:
    """The child's record and shortlist in one transaction, audited as the API audits
    them (`child_record` and `child_shortlist`). A plan that is not family-found, or a
    child held until a person resolves the sibling records, is no error here: the view
    says so instead of a shortlist. NotFoundError for an unknown
    child or `why_not` household."""
    with unit_of_work(session):
        child = child_record(session, actor, child_id)
        try:
            shortlisted: ShortlistRun | None = child_shortlist(
                session, actor, child_id, query, policy=policy
            )
            not_family_found = None
        except (NotFamilyFoundError, ConflictError) as error:
            # not family-found, or held until a person resolves the sibling records
            shortlisted, not_family_found = None, str(error)
        context = get_snapshot(session, policy).context
        warnings = child_warnings(session, child_id)
        proposal = latest_proposals_naming(session, [child_id]).get(child_id)
    return ChildView(
        child=child,
        shortlist=shortlisted,
        not_family_found=not_family_found,
        unit=context.unit_by_child.get(child_id, (child_id,)),
        links=context.authority.links,
        children=context.children,
        warnings=warnings,
        proposal=proposal,
    )


@dataclass(frozen=True)
class PlanWaiting:
    """How long the children of one family-found plan have waited (no child named)."""

    plan: str
    children: int
    median_days: int | None
    longest_days: int | None
    # adoption plans only (the scorecard measures no other): placement order over 121
    # days ago (A2), entered care over 426 days ago (A1); None for other plans
    over_first: int | None
    over_second: int | None


def waiting_dashboard(session: Session, *, as_of: date, policy: Policy) -> list[PlanWaiting]:
    """Waiting times by family-found plan, for the waiting list's dashboard: counts only,
    read from the in-memory snapshot. Days are those the pages show (`matching.clocks`:
    A1 for adoption plans, since the plan for the others); the scorecard thresholds are
    counted for adoption plans only."""
    with unit_of_work(session):  # read only: ends the read transaction
        authority = get_snapshot(session, policy).authority
    first = policy.priority.first_threshold_days
    second = policy.priority.second_threshold_days
    by_plan: dict[str, list[WaitingClocks]] = {}
    for child in authority.children:
        if child.status != "waiting" or child.plan in NOT_FAMILY_FOUND_PLANS:
            continue
        by_plan.setdefault(child.plan, []).append(clocks_of(child, as_of))
    rows = []
    for plan in PLANS:
        clocks = by_plan.get(plan, [])
        if not clocks:
            continue
        waits = sorted(c.shown or 0 for c in clocks)
        middle = len(waits) // 2
        median = waits[middle] if len(waits) % 2 else (waits[middle - 1] + waits[middle]) // 2
        scorecard = plan in ADOPTION_PLANS
        rows.append(
            PlanWaiting(
                plan=plan,
                children=len(waits),
                median_days=median,
                longest_days=waits[-1],
                over_first=sum((c.since_placement_order or 0) > first for c in clocks)
                if scorecard
                else None,
                over_second=sum((c.since_entering_care or 0) > second for c in clocks)
                if scorecard
                else None,
            )
        )
    return rows


def carer_profiles(
    session: Session, units: Collection[tuple[str, ...]], *, policy: Policy, as_of: date
) -> dict[tuple[str, ...], CarerProfile]:
    """The carers each unit (its children's ids) needs, in words, on `as_of` (a round's
    date), from the in-memory snapshot; a unit with a child no longer stored is left
    out. The page that shows them audits its own read."""
    with unit_of_work(session):  # read only: ends the read transaction
        children = get_snapshot(session, policy).context.children
    return {
        unit: carer_profile([children[c] for c in unit], as_of)
        for unit in units
        if unit and all(c in children for c in unit)
    }


def first_names(session: Session, child_ids: Collection[str], *, policy: Policy) -> dict[str, str]:
    """The first names of children shown by id on a page (a round's results), from the
    in-memory snapshot; a child without one (an unborn baby) is left out. The page that
    shows them audits its own read."""
    with unit_of_work(session):  # read only: ends the read transaction
        children = get_snapshot(session, policy).context.children
    return {
        c: children[c].first_name for c in child_ids if c in children and children[c].first_name
    }
