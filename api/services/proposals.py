"""Proposals: a unit matched to a household, taken to panel and decided (the panel and
the agency decision maker: docs/domain.md, "The three users").

Creating one freezes the rationale as it was shown (scores, contributions, questions,
excluded counts, the alternatives with their scores, policy version, inputs
fingerprint, who and when) and, in the same transaction, holds the unit's children and
takes the household's vacancies with a conditional UPDATE. Whatever the timing of two
requests, at most the vacancies there are get taken: the loser gets ConflictError
(409). A declined or withdrawn proposal gives them back; an approved one makes its
children `matched` (living with the household) and keeps the vacancies.

    proposed --panel--> recommended | not_recommended --decision--> approved | declined
    any undecided state --its author or an admin--> withdrawn (with a reason)
    any undecided state --decision--> declined (or withdrawn, by an admin)

`preview_proposal` builds the rationale a proposal would freeze without storing it, for
the "check your answers" page; `create_proposal` builds it the same way. Every step is
audited, once per child of the unit, whichever door it came in by.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from api.requests import (
    DecisionRequest,
    ProposalRequest,
    RecommendationRequest,
    WithdrawalRequest,
)
from api.services.audit import AccessDenied, Actor, record, record_children
from api.services.snapshot import get_snapshot
from api.services.unit_of_work import unit_of_work
from matching.errors import ConflictError, FamilyFinderError, NotFoundError, ReasonRequired
from matching.fairness import departs_from_ranking
from matching.labels import label
from matching.legal_status import authority_to_place_refusal, placement_kind
from matching.phrases import long_date, not_enough_room, ordinal
from matching.policy import Policy
from matching.results import RoundCandidate, ShortlistCandidate
from matching.shortlist import shortlist
from models.accounts import OPEN_PROPOSAL_STATUSES as OPEN_PROPOSAL_STATUSES  # for the pages
from models.accounts import RELEASED_PROPOSAL_STATUSES, ProposalRow
from models.orm import ChildRow, HouseholdRow
from models.proposal_store import (
    add_proposal,
    get_proposal_row,
    hold_children,
    latest_proposals_naming,
    list_proposal_rows,
    mark_children_matched,
    open_proposal_holding,
    release_children,
    release_vacancies,
    reserve_vacancies,
)
from models.record_store import get_child_row, get_household_row, sibling_link_rows_touching
from models.round_job_store import get_round_job
from models.store import RoundRunRecord, bump_data_version, get_round_run, get_shortlist_run


def _alternative(
    candidate: ShortlistCandidate | RoundCandidate, rank: int, kinship: bool
) -> dict[str, Any]:
    met = (
        [t.tier for t in candidate.tiers if t.met]
        if isinstance(candidate, ShortlistCandidate)
        else list(candidate.tiers)
    )
    return {
        "household_id": candidate.household_id,
        "rank": rank,
        "score": candidate.score,
        "kinship": kinship,
        "tiers": met,  # the policy tiers it meets: why it ranked where it did
    }


def _from_shortlist(session: Session, run_id: int, household_id: str) -> dict[str, Any]:
    run = get_shortlist_run(session, run_id)
    shown = run.document
    chosen = shown.candidate(household_id)
    if chosen is None:
        raise NotFoundError(f"household {household_id!r} is not on shortlist run {run_id}")
    return {
        "source": {
            "kind": "shortlist",
            "run_id": run.id,
            "requested_by": run.requested_by,
            "created_at": run.created_at.isoformat(),
        },
        "unit": list(shown.unit),
        "household_id": household_id,
        "rank": chosen.rank,
        "score": chosen.score,
        "kinship": chosen.kinship,
        "contributions": [c.model_dump(mode="json") for c in chosen.contributions],
        "questions": list(chosen.questions),
        "tiers": [t.model_dump(mode="json") for t in chosen.tiers],
        "warnings": [w.model_dump(mode="json") for w in chosen.warnings],
        "excluded_counts": dict(shown.excluded_counts),
        "n_feasible": shown.n_feasible,
        "alternatives": [
            _alternative(c, c.rank, c.kinship) for c in shown.candidates if c is not chosen
        ],
        # each alternative's points by criterion: the paper says why it ranked lower
        "alternative_points": {
            c.household_id: {x.criterion: x.points for x in c.contributions}
            for c in shown.candidates
            if c is not chosen
        },
        "policy_version": shown.policy_version,
        "inputs_fingerprint": shown.inputs_fingerprint,
        "as_of": shown.as_of.isoformat(),
        # the sibling decision still open (pending assessment, siblings already placed);
        # "warnings" above are the questions about this household
        "sibling_warnings": [w.model_dump(mode="json") for w in shown.warnings],
    }


# How far down a unit's shortlist a round's household is looked for to explain it.
EXPLAIN_DEPTH = 200


def _explain_round_choice(
    session: Session, policy: Policy, run: RoundRunRecord, child_id: str, household_id: str
) -> dict[str, Any] | None:
    """The engine's explanation of a round's pair, when the data and policy are the ones
    the round ran on (same fingerprint and version, so the same scores); else None."""
    snapshot = get_snapshot(session, policy)
    if snapshot.fingerprint != run.inputs_fingerprint or policy.version != run.policy_version:
        return None
    result = shortlist(
        snapshot.context, child_id, as_of=run.as_of, policy=policy, top=EXPLAIN_DEPTH
    )
    candidate = next((c for c in result.candidates if c.household_id == household_id), None)
    if candidate is None:
        return None
    explained = candidate.to_dict()
    return {
        "kinship": explained["kinship"],
        "alternative_points": {
            c.household_id: {x.criterion: x.points for x in c.contributions}
            for c in result.candidates
            if c is not candidate
        },
        "contributions": explained["contributions"],
        "questions": explained["questions"],
        "tiers": explained.get("tiers", []),
        "warnings": explained.get("warnings", []),
        "excluded_counts": dict(result.excluded_counts),
        "n_feasible": result.n_feasible,
    }


def _from_round(
    session: Session,
    round_id: int,
    household_id: str,
    child_id: str | None,
    policy: Policy | None,
) -> dict[str, Any]:
    job = get_round_job(session, round_id)
    if job.round_run_id is None or job.status != "done":
        raise ConflictError(
            f"round {round_id} is {job.status}: a proposal is made from a round once it is done"
        )
    run = get_round_run(session, job.round_run_id)
    if child_id is None:
        raise FamilyFinderError("a proposal from a round names a child_id of the unit")
    shown = run.document
    unit = shown.unit_of(child_id)
    if unit is None:
        raise NotFoundError(f"child {child_id!r} is not in round {round_id}")
    ranked = list(enumerate(unit.candidates, start=1))
    chosen = next(((r, c) for r, c in ranked if c.household_id == household_id), None)
    if chosen is None:
        raise NotFoundError(
            f"household {household_id!r} is not an option for {child_id!r} in round {round_id}"
        )
    rank, candidate = chosen
    rationale: dict[str, Any] = {
        "source": {
            "kind": "round",
            "round_id": round_id,
            "requested_by": run.requested_by,
            "created_at": run.created_at.isoformat(),
            "mode": run.mode,
            "status": run.status,
            "solver": run.solver,
            "seed": run.seed,
            "objective": shown.objective,
            "gap": shown.gap,
        },
        "unit": list(unit.children),
        "household_id": household_id,
        "rank": rank,
        "score": candidate.score,
        "priority": unit.priority,
        "kinship": False,
        "contributions": [],
        "questions": [],
        # what the round stored: the tiers met (in words) and the warnings
        "tiers": [{"tier": t, "met": True, "reason": label("tier", t)} for t in candidate.tiers],
        "warnings": [w.model_dump(mode="json") for w in candidate.warnings],
        "excluded_counts": {},
        "n_feasible": None,
        "alternatives": [_alternative(c, r, False) for r, c in ranked if c is not candidate],
        "policy_version": run.policy_version,
        "inputs_fingerprint": run.inputs_fingerprint,
        "as_of": run.as_of.isoformat(),
        "sibling_warnings": [w.model_dump(mode="json") for w in unit.warnings],
        "explained": False,
    }
    explanation = (
        _explain_round_choice(session, policy, run, child_id, household_id) if policy else None
    )
    if explanation is not None:
        rationale.update(explanation, explained=True)
    return rationale


def _frozen_records(
    session: Session, children: list[ChildRow], household: HouseholdRow
) -> dict[str, Any]:
    """The records the panel reads, as they were when the match was proposed: a panel
    paper must not change when a record is edited after the proposal."""
    links = sibling_link_rows_touching(session, [c.child_id for c in children])
    return {
        "children": [
            {
                "child_id": c.child_id,
                "first_name": c.first_name,
                "date_of_birth": c.date_of_birth.isoformat(),
                "plan": c.plan,
                "legal_status": c.legal_status,
                "needs": dict(c.needs or {}),
                "requirements": sorted(c.requirements or []),
                "wishes": list(c.wishes or []),
            }
            for c in children
        ],
        "household": {
            "household_id": household.household_id,
            "name": household.name,
            "kind": household.kind,
            "term": household.term,
            "provider": household.provider,
            "approved_min_age": household.approved_min_age,
            "approved_max_age": household.approved_max_age,
            "approved_places": household.approved_places,
            "max_sibling_group": household.max_sibling_group,
            "vacancies_before": household.vacancies,
            "skills": sorted(household.skills or []),
            "children_in_home_ages": list(household.children_in_home_ages or []),
        },
        "sibling_links": [
            {
                "child_a": link.child_a,
                "child_b": link.child_b,
                "relationship": link.relationship,
                "assessment": link.assessment,
                "assessed_on": link.assessed_on.isoformat() if link.assessed_on else None,
            }
            for link in links
        ],
    }


def _held_message(unit: list[str], holding: ProposalRow) -> str:
    return (
        f"{', '.join(sorted(set(unit) & set(holding.unit)))} already in proposal "
        f"{holding.id}, made by {holding.created_by} on {long_date(holding.created_at)}"
    )


def _refuse_if_held(session: Session, unit: list[str]) -> None:
    """ConflictError naming the open proposal that holds a child of `unit`, if one does
    (`holding_proposal` tells a page which, and who made it)."""
    holding = open_proposal_holding(session, unit)
    if holding is not None:
        raise ConflictError(_held_message(unit, holding))


def holding_proposal(session: Session, child_ids: list[str]) -> ProposalRow | None:
    """The open proposal holding one of `child_ids`, if any (a read of proposals only)."""
    with unit_of_work(session):  # read only: ends the read transaction
        return open_proposal_holding(session, child_ids)


def _rationale(
    session: Session, request: ProposalRequest, policy: Policy | None
) -> tuple[dict[str, Any], list[ChildRow], HouseholdRow]:
    """The rationale a proposal freezes, with the records of its children and household."""
    source, source_id, household_id = request.source, request.source_id, request.household_id
    if source == "shortlist":
        rationale = _from_shortlist(session, source_id, household_id)
    else:
        rationale = _from_round(session, source_id, household_id, request.child_id, policy)
    unit: list[str] = rationale["unit"]
    child_rows = [get_child_row(session, member) for member in unit]
    household_row = get_household_row(session, household_id)
    rationale["records"] = _frozen_records(session, child_rows, household_row)
    # fostering for adoption (FfA carers before a placement order) or an adoptive
    # placement: the paper says which (matching.legal_status)
    rationale["placement"] = placement_kind(child_rows, household_row.kind)
    return rationale, child_rows, household_row


def _legal_refusal(children: list[ChildRow], household: HouseholdRow) -> str | None:
    """Why the household cannot be proposed for these children for want of authority to
    place for adoption (no placement order), in words; None when it can."""
    name = household.name or household.household_id
    return authority_to_place_refusal(
        children, household.kind, f"{name} ({household.household_id})"
    )


@dataclass(frozen=True)
class ProposalPreview:
    """What a proposal would hold and freeze, shown before it is made."""

    request: ProposalRequest
    rationale: dict[str, Any]
    children: list[ChildRow]
    household: HouseholdRow
    places: int  # vacancies it would take
    vacancies_now: int
    # why it cannot be made now (a child already proposed, too few vacancies), if so
    blocked: str | None
    held_by: int | None  # the open proposal holding a child of the unit


def preview_proposal(
    session: Session, actor: Actor, request: ProposalRequest, *, policy: Policy | None = None
) -> ProposalPreview:
    """The proposal `create_proposal` would make now, without making it; the read of each
    child's record is audited. NotFoundError as for `create_proposal`."""
    with unit_of_work(session):
        rationale, children, household = _rationale(session, request, policy)
        unit: list[str] = rationale["unit"]
        blocked: str | None = None
        holding = open_proposal_holding(session, unit)
        held_by = holding.id if holding is not None else None
        if holding is not None:
            blocked = _held_message(unit, holding)
        if blocked is None:
            blocked = _legal_refusal(children, household)
        if blocked is None and (household.status != "available" or household.vacancies < len(unit)):
            blocked = not_enough_room(f"household {household.household_id}", len(unit))
        for member in unit:
            record(
                session,
                actor,
                "preview_proposal",
                child_id=member,
                subject=f"{request.source}:{request.source_id} household:{household.household_id}",
            )
    return ProposalPreview(
        request=request,
        rationale=rationale,
        children=children,
        household=household,
        places=len(unit),
        vacancies_now=household.vacancies,
        blocked=blocked,
        held_by=held_by,
    )


def create_proposal(
    session: Session, actor: Actor, request: ProposalRequest, *, policy: Policy | None = None
) -> ProposalRow:
    """Propose a unit for a household from a stored shortlist or round; committed.

    `policy`, the service's scoring policy, explains a round's pair as a shortlist
    would when the data and policy are still those the round ran on.
    Raises NotFoundError when the shortlist run, round, household or child is unknown
    or the household is not among its options, ConflictError when the round is not done,
    a child of the unit is already in an open proposal (named), the household has too
    few vacancies left, or the household is adopters and a child with an adoption plan
    has no placement order (no authority to place: `matching.legal_status`; FfA carers
    may be proposed before it, as a fostering-for-adoption placement).
    """
    source, source_id, household_id = request.source, request.source_id, request.household_id
    with unit_of_work(session):
        rationale, children, household = _rationale(session, request, policy)
        unit: list[str] = rationale["unit"]
        _refuse_if_held(session, unit)
        refusal = _legal_refusal(children, household)
        if refusal is not None:
            raise ConflictError(refusal)
        now = datetime.now(UTC)
        rationale["proposed_by"] = actor.username
        rationale["proposed_at"] = now.isoformat()
        proposal = add_proposal(
            session,
            created_at=now,
            created_by=actor.username,
            unit=unit,
            household_id=household_id,
            places=len(unit),
            source_kind=source,
            source_id=source_id,  # the shortlist's run, or the round's id
            status="proposed",
            rationale=rationale,
        )
        try:
            hold_children(session, proposal.id, unit)
        except ConflictError:
            _refuse_if_held(session, unit)  # a proposal made in between: name it
            raise
        if not reserve_vacancies(session, household_id, len(unit)):
            raise ConflictError(
                not_enough_room(f"household {household_id}", len(unit))
                + " (taken by another proposal, or the household is not available)"
            )
        bump_data_version(session)
        for member in unit:
            record(
                session,
                actor,
                "create_proposal",
                child_id=member,
                subject=f"proposal:{proposal.id}",
            )
    return proposal


NOT_ON_AGENDA = "this proposal is not on the panel's agenda"


def _panel_may_see(actor: Actor, proposal: ProposalRow) -> bool:
    return actor.role != "panel" or proposal.status in OPEN_PROPOSAL_STATUSES


def _check_panel(actor: Actor, proposal: ProposalRow) -> None:
    if not _panel_may_see(actor, proposal):
        raise AccessDenied(NOT_ON_AGENDA)


def _audit_step(session: Session, actor: Actor, action: str, proposal: ProposalRow) -> None:
    for member in proposal.unit:
        record(
            session,
            actor,
            action,
            child_id=member,
            subject=f"proposal:{proposal.id} status={proposal.status}",
        )


def current_proposals(session: Session, child_ids: list[str]) -> dict[str, ProposalRow]:
    """Each child's newest proposal (open or decided), for the pages that list children
    beside their stage; read with the children they show (audited there)."""
    with unit_of_work(session):  # read only: ends the read transaction
        return latest_proposals_naming(session, child_ids)


def proposal_record(session: Session, actor: Actor, proposal_id: int) -> ProposalRow:
    """One proposal with its frozen rationale; the read is audited per child, and so is
    a refusal (for each child of the unit)."""
    with unit_of_work(session):
        proposal = get_proposal_row(session, proposal_id)
        allowed = _panel_may_see(actor, proposal)
        if allowed:
            for member in proposal.unit:
                record(
                    session,
                    actor,
                    "read_proposal",
                    child_id=member,
                    subject=f"proposal:{proposal.id}",
                )
    if not allowed:
        with unit_of_work(session):
            for member in proposal.unit:
                record(
                    session,
                    actor,
                    "denied",
                    child_id=member,
                    subject=f"read proposal {proposal.id}",
                )
        raise AccessDenied(NOT_ON_AGENDA)
    return proposal


def list_proposals(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ProposalRow], int]:
    """Proposals by id; the panel sees only its agenda (undecided proposals)."""
    statuses: tuple[str, ...] | None = (status,) if status is not None else None
    if actor.role == "panel":
        statuses = tuple(
            s for s in (statuses or OPEN_PROPOSAL_STATUSES) if s in OPEN_PROPOSAL_STATUSES
        )
    with unit_of_work(session):
        rows, total = list_proposal_rows(session, statuses=statuses, limit=limit, offset=offset)
        # the list carries each proposal's frozen child records: one row naming them all
        named = sorted({child for row in rows for child in row.unit})
        record_children(
            session,
            actor,
            "list_proposals",
            named,
            f"status={status} offset={offset} returned={len(rows)} "
            f"proposals={','.join(str(row.id) for row in rows)}",
        )
    return rows, total


def record_recommendation(
    session: Session, actor: Actor, proposal_id: int, request: RecommendationRequest
) -> ProposalRow:
    """The panel's recommendation on a proposal awaiting one; committed."""
    with unit_of_work(session):
        proposal = get_proposal_row(session, proposal_id, for_update=True)
        _check_panel(actor, proposal)
        if proposal.status != "proposed":
            raise ConflictError(f"proposal {proposal_id} is {proposal.status}, not awaiting panel")
        reason = _ranking_reason(proposal, request.recommendation, request.ranking_reason)
        proposal.status = request.recommendation
        proposal.recommendation = request.recommendation
        proposal.recommendation_reasons = request.reasons
        proposal.recommendation_ranking_reason = reason
        proposal.recommended_by = actor.username
        proposal.recommended_at = datetime.now(UTC)
        session.flush()
        _audit_step(session, actor, "record_recommendation", proposal)
    return proposal


def record_decision(
    session: Session, actor: Actor, proposal_id: int, request: DecisionRequest
) -> ProposalRow:
    """The agency decision; declined or withdrawn gives the vacancies and children back,
    approved makes the children `matched` with the household (its vacancies stay taken).

    Approval needs the panel's recommendation first (either way: the decision maker may
    depart from it, with reasons).
    """
    with unit_of_work(session):
        proposal = get_proposal_row(session, proposal_id, for_update=True)
        if proposal.status not in OPEN_PROPOSAL_STATUSES:
            raise ConflictError(f"proposal {proposal_id} is already {proposal.status}")
        decision = request.decision
        if decision == "approved" and proposal.status == "proposed":
            raise ConflictError(f"proposal {proposal_id} has no panel recommendation yet")
        reason = _ranking_reason(proposal, decision, request.ranking_reason)
        proposal.decision_ranking_reason = reason
        _close(session, proposal, decision, request.reasons, actor)
        _audit_step(
            session,
            actor,
            "withdraw_proposal" if decision == "withdrawn" else "record_decision",
            proposal,
        )
    return proposal


def proposal_rank(proposal: ProposalRow) -> int | None:
    """The rank the system gave the proposed household (1 = its first choice), as frozen
    in the rationale; None when the rationale does not say."""
    rank = proposal.rationale.get("rank")
    return rank if isinstance(rank, int) else None


def ranking_question(proposal: ProposalRow) -> str:
    """What a person deciding on `proposal` must explain, and when (for the pages)."""
    rank = proposal_rank(proposal)
    if rank is None:
        return "The system's ranking of this household is not recorded."
    if rank == 1:
        return (
            "The system ranked this household first. Turning the match down goes against "
            "the system's ranking: say why."
        )
    return (
        f"The system ranked this household {ordinal(rank)}, not first. Taking the match "
        "forward goes against the system's ranking: say why this household rather than "
        "the top-ranked one."
    )


def _ranking_reason(proposal: ProposalRow, outcome: str, given: str | None) -> str | None:
    """The reason to store for a step that goes against the ranking; ReasonRequired when
    it does and none is given (a reason given otherwise is kept as said)."""
    if departs_from_ranking(proposal_rank(proposal), outcome) and not given:
        raise ReasonRequired(
            "ranking_reason",
            f"proposal {proposal.id}: {ranking_question(proposal)} (ranking_reason is required)",
        )
    return given or None


def _close(
    session: Session, proposal: ProposalRow, decision: str, reasons: str, actor: Actor
) -> None:
    proposal.status = decision
    proposal.decision = decision
    proposal.decision_reasons = reasons
    proposal.decided_by = actor.username
    proposal.decided_at = datetime.now(UTC)
    session.flush()
    if decision in RELEASED_PROPOSAL_STATUSES:
        release_vacancies(session, proposal.household_id, proposal.places)
    else:  # approved: the children are matched; the household keeps them
        mark_children_matched(session, proposal.unit, proposal.household_id)
    release_children(session, proposal.id)
    bump_data_version(session)


def may_withdraw(actor: Actor, proposal: ProposalRow) -> bool:
    """Whether `actor` may withdraw `proposal`: its author or an administrator, while it
    is undecided."""
    return proposal.status in OPEN_PROPOSAL_STATUSES and (
        actor.role == "admin" or actor.username == proposal.created_by
    )


def withdraw_proposal(
    session: Session, actor: Actor, proposal_id: int, request: WithdrawalRequest
) -> ProposalRow:
    """Withdraw an undecided proposal, with the reason; its vacancies and children are
    free again. Only its author or an administrator (AccessDenied otherwise);
    ConflictError when it is already decided."""
    with unit_of_work(session):
        proposal = get_proposal_row(session, proposal_id, for_update=True)
        if proposal.status not in OPEN_PROPOSAL_STATUSES:
            raise ConflictError(f"proposal {proposal_id} is already {proposal.status}")
        if not may_withdraw(actor, proposal):
            raise AccessDenied(
                f"only {proposal.created_by}, who made proposal {proposal_id}, "
                "or an administrator may withdraw it"
            )
        _close(session, proposal, "withdrawn", request.reasons, actor)
        _audit_step(session, actor, "withdraw_proposal", proposal)
    return proposal
