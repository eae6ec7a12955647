"""Proposals: create from a stored shortlist or round, read, recommend, decide, withdraw."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status

from api.deps import DbSession, DecisionMaker, FinderUser, PanelRecorder, ProposalReader
from api.requests import (
    DecisionRequest,
    ProposalRequest,
    RecommendationRequest,
    WithdrawalRequest,
)
from api.schemas import Proposal, ProposalPage
from api.services import proposals

router = APIRouter(prefix="/api/proposals", tags=["proposals"])

ProposalId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("", response_model=Proposal, status_code=status.HTTP_201_CREATED)
def create_proposal(
    request: Request, body: ProposalRequest, actor: FinderUser, session: DbSession
) -> Proposal:
    """Propose a unit for a household, freezing the rationale and taking the vacancies.

    409 when a child of the unit is already in a live proposal or the household has
    too few vacancies left.
    """
    row = proposals.create_proposal(session, actor, body, policy=request.app.state.policy)
    return Proposal.model_validate(row)


@router.get("", response_model=ProposalPage)
def list_proposals(
    actor: ProposalReader,
    session: DbSession,
    proposal_status: Annotated[
        str | None,
        Query(
            alias="status",
            pattern="^(proposed|recommended|not_recommended|approved|declined|withdrawn)$",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ProposalPage:
    """Proposals by id (panel: its agenda, the proposals awaiting a decision)."""
    rows, total = proposals.list_proposals(
        session, actor, status=proposal_status, limit=limit, offset=offset
    )
    return ProposalPage(
        items=[Proposal.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/{proposal_id}", response_model=Proposal)
def get_proposal(proposal_id: ProposalId, actor: ProposalReader, session: DbSession) -> Proposal:
    """One proposal with its frozen rationale (audited)."""
    return Proposal.model_validate(proposals.proposal_record(session, actor, proposal_id))


@router.post("/{proposal_id}/recommendation", response_model=Proposal)
def recommend(
    proposal_id: ProposalId, body: RecommendationRequest, actor: PanelRecorder, session: DbSession
) -> Proposal:
    """The panel's recommendation: recommended or not recommended, with reasons. 422
    when it goes against the system's ranking (a household not ranked first
    recommended, or the first not recommended) without a `ranking_reason`."""
    row = proposals.record_recommendation(session, actor, proposal_id, body)
    return Proposal.model_validate(row)


@router.post("/{proposal_id}/decision", response_model=Proposal)
def decide(
    proposal_id: ProposalId, body: DecisionRequest, actor: DecisionMaker, session: DbSession
) -> Proposal:
    """The agency decision (the agency decision maker or an admin): approved (the
    children become matched; the vacancies stay taken), declined or withdrawn (the last
    two free the vacancies and the children). 422 when it goes against the system's
    ranking (a household not ranked first approved, or the first declined) without a
    `ranking_reason`."""
    row = proposals.record_decision(session, actor, proposal_id, body)
    return Proposal.model_validate(row)


@router.post("/{proposal_id}/withdrawal", response_model=Proposal)
def withdraw(
    proposal_id: ProposalId, body: WithdrawalRequest, actor: FinderUser, session: DbSession
) -> Proposal:
    """Withdraw an undecided proposal, with the reason (its author or an admin; 403 for
    another family finder): its vacancies and children are free again."""
    row = proposals.withdraw_proposal(session, actor, proposal_id, body)
    return Proposal.model_validate(row)
