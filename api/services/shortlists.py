"""Shortlist one child's unit against the pool, and keep the shortlist as it was shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from api.services.snapshot import get_snapshot
from matching.policy import Policy
from matching.shortlist import shortlist
from models.store import save_shortlist_run


@dataclass(frozen=True)
class ShortlistRun:
    """A stored shortlist: its id and the JSON-ready result that was stored and shown."""

    run_id: int
    result: dict[str, Any]


def run_shortlist(
    session: Session,
    child_id: str,
    *,
    as_of: date,
    top: int = 10,
    why_not: str | None = None,
    policy: Policy,
    requested_by: str = "cli",
) -> ShortlistRun:
    """The ranked, explained shortlist for `child_id`'s unit, stored, then committed.

    Every request is stored (who, when, the data's fingerprint, the policy version and
    the result) so what a family finder saw can be shown again later. Raises
    `NotFoundError` for an unknown child or `why_not` household, `NotFamilyFoundError`
    when a child's plan is not family-found.
    """
    snapshot = get_snapshot(session, policy)
    outcome = shortlist(
        snapshot.context, child_id, as_of=as_of, policy=policy, top=top, why_not=why_not
    )
    result = outcome.to_dict()
    pool = snapshot.context.pool
    for candidate in result["candidates"]:
        candidate["name"] = pool.households[pool.index[candidate["household_id"]]].name
    result["child_id"] = child_id
    result["n_feasible"] = outcome.n_feasible
    result["households_in_pool"] = pool.size
    result["inputs_fingerprint"] = snapshot.fingerprint
    try:
        run = save_shortlist_run(
            session,
            requested_by=requested_by,
            child_id=child_id,
            unit=outcome.unit,
            as_of=as_of,
            policy_version=outcome.policy_version,
            inputs_fingerprint=snapshot.fingerprint,
            result=result,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return ShortlistRun(run_id=run.id, result={**result, "run_id": run.id})
