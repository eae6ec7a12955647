"""Stored runs: replay a shortlist or a round from its kept inputs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from fastapi import Path as PathParam

from api.deps import DbSession, ProposalReader
from api.services.replay import replay_run
from matching.replay import ReplayDocument

router = APIRouter(prefix="/api", tags=["runs"])

RunId = Annotated[
    int, PathParam(ge=1, le=2**31 - 1, description="The shortlist's run id, or the round's id")
]


@router.get("/runs/{kind}/{run_id}/replay", response_model=ReplayDocument)
def replay(
    kind: Literal["shortlist", "round"], run_id: RunId, actor: ProposalReader, session: DbSession
) -> ReplayDocument:
    """The run computed again from the inputs kept with it (the data as it was then, the
    policy text, the seed): `identical`, or the differences in words. 410 when its
    inputs are no longer kept. Family finders and administrators: any run; the panel and
    the decision maker: a run a proposal they can read was made from. Audited as a read
    of the run's children. A round's replay takes as long as the round did."""
    return replay_run(session, actor, kind, run_id)
