"""Keep a run's inputs as it is stored, and read them back for a replay.

The authority is kept once per data version (content-addressed by its fingerprint,
compressed: `matching.run_inputs`), the policy text once per text, in the transaction
that stores the run, so a stored run always has them until the retention setting
(`FAMILYFINDER_REPLAY_RETENTION_DAYS`, see `api.settings`) lets `prune_inputs` delete them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import metadata
from typing import Any

from sqlalchemy.orm import Session

from api.services.snapshot import Snapshot
from api.services.unit_of_work import unit_of_work
from matching.domain import Authority
from matching.errors import ReplayUnavailable
from matching.phrases import long_date
from matching.policy import Policy, load_policy, policy_text
from matching.run_inputs import decode_authority, encode_authority
from models.run_input_store import (
    Prunable,
    has_live_input,
    keep_input,
    keep_policy_text,
    kept_input,
    kept_policy_text,
    prunable_inputs,
    prune_inputs,
)
from models.store import RoundRunRecord, ShortlistRunRecord


@lru_cache(maxsize=1)
def code_version() -> str:
    """The familyfinder release running now (kept with each run)."""
    try:
        return metadata.version("familyfinder")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


@dataclass(frozen=True)
class KeptRunInputs:
    """Where a stored run's inputs are kept: the authority's key, the policy text's."""

    inputs_key: str
    policy_sha256: str


def keep_run_inputs(session: Session, snapshot: Snapshot, policy: Policy) -> KeptRunInputs:
    """Keep the authority of `snapshot` (unless kept already) and the policy's text, in
    the caller's unit of work."""
    key = snapshot.fingerprint
    if not has_live_input(session, key):
        kept = encode_authority(snapshot.authority)
        keep_input(session, key=kept.key, data=kept.data, raw_bytes=kept.raw_bytes)
        key = kept.key
    text = policy_text(policy)
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    keep_policy_text(session, sha256=sha256, version=policy.version, text=text)
    return KeptRunInputs(inputs_key=key, policy_sha256=sha256)


@dataclass(frozen=True)
class RunInputs:
    """What a stored run was computed from, read back: the authority as it was, the
    policy, the request (JSON of `matching.run_inputs.ShortlistInputs`/`RoundInputs`)
    and the key the authority is kept under (its fingerprint)."""

    authority: Authority
    policy: Policy
    request: dict[str, Any]
    key: str


def load_run_inputs(
    session: Session, what: str, run: ShortlistRunRecord | RoundRunRecord
) -> RunInputs:
    """What stored run `run` (`what`, for messages) was computed from;
    `ReplayUnavailable` when it was not kept, was pruned or was altered."""
    inputs_key, policy_sha256, request = run.inputs_key, run.policy_sha256, run.request
    if inputs_key is None or policy_sha256 is None or request is None:
        raise ReplayUnavailable(
            f"{what} was stored before runs kept their inputs: it cannot be replayed"
        )
    kept = kept_input(session, inputs_key)
    if kept is None:
        raise ReplayUnavailable(f"the inputs of {what} are missing: it cannot be replayed")
    if kept.data is None:
        when = long_date(kept.pruned_at.date()) if kept.pruned_at else "an unknown date"
        raise ReplayUnavailable(
            f"the inputs of {what} were deleted on {when} under the retention setting "
            "(FAMILYFINDER_REPLAY_RETENTION_DAYS): it cannot be replayed"
        )
    text = kept_policy_text(session, policy_sha256)
    if text is None or hashlib.sha256(text.encode("utf-8")).hexdigest() != policy_sha256:
        raise ReplayUnavailable(f"the policy text of {what} is missing or was altered")
    return RunInputs(
        authority=decode_authority(kept.data, inputs_key),
        policy=load_policy(text),
        request=request,
        key=inputs_key,
    )


@dataclass(frozen=True)
class PruneReport:
    """What a prune deleted (or, dry, would delete): kept authorities past retention."""

    cutoff: datetime
    pruned: tuple[Prunable, ...]
    dry_run: bool

    @property
    def bytes_freed(self) -> int:
        return sum(p.stored_bytes for p in self.pruned)


def prune_expired_inputs(
    session: Session,
    *,
    retention_days: int,
    now: datetime | None = None,
    dry_run: bool = False,
) -> PruneReport:
    """Delete the kept authorities that only runs older than `retention_days` refer to
    (none a proposal was made from); committed once. The runs stay, with their results:
    only the means to replay them goes."""
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    at = now or datetime.now(UTC)
    cutoff = at - timedelta(days=retention_days)
    with unit_of_work(session):
        expired = prunable_inputs(session, cutoff=cutoff)
        if not dry_run and expired:
            prune_inputs(session, [p.key for p in expired], at=at)
    return PruneReport(cutoff=cutoff, pruned=tuple(expired), dry_run=dry_run)
