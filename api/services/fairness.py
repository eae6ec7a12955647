"""The fairness report of the stored authority (`matching.fairness`), for administrators
and the oversight role (panel chairs, the corporate parenting panel).

One function, `fairness_figures`, is what every door calls (the CLI, GET /api/fairness,
the /fairness page): the report under the service's policy and, asked for, under a
second policy beside it. `fairness_for_record` gives the same report to a document
generated from it (the transparency record), whose own use case audits its read.
It reads the process's snapshot, the newest stored allocate round on or before the
date, and the panel recommendations and agency decisions recorded so far (each judged
against the rank the system gave the proposed household). The report names no child;
one audit row records each read.

The oversight role reads the report as of today only: a report for any date asked would
let two nearly equal reports be set side by side (the differencing the gap report's
publications guard against), and the panel has no need of it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from api.services.audit import AccessDenied, Actor, record
from api.services.compare_policies import audit_version
from api.services.gaps import LruCache
from api.services.proposals import proposal_rank
from api.services.snapshot import get_snapshot
from api.services.unit_of_work import unit_of_work
from matching.fairness import (
    FairnessReport,
    RankingDecision,
    RoundOutcome,
    fairness_report,
    write_csv,
)
from matching.fairness import departs_from_ranking as departs
from matching.policy import Policy
from models.proposal_store import proposals_with_steps
from models.store import latest_round_run

# who may read the report, and who may choose its date
READERS = ("oversight", "admin")


@dataclass(frozen=True)
class FairnessFigures:
    """The report under the service's policy, and under a second one when compared."""

    report: FairnessReport
    compared: FairnessReport | None = None

    def to_json(self) -> dict[str, object]:
        """What `--json` and GET /api/fairness give: the report's `groups`, `flags`, ...,
        with `compare` holding the second policy's report when there is one."""
        out: dict[str, object] = self.report.to_json()
        if self.compared is not None:
            out["compare"] = self.compared.to_json()
        return out


def fairness_csv(figures: FairnessFigures) -> str:
    """The figures as the CSV the CLI's --csv writes (`matching.fairness.write_csv`)."""
    out = io.StringIO()
    write_csv(figures.report, out, figures.compared)
    return out.getvalue()


def _round_outcome(session: Session, as_of: date) -> RoundOutcome | None:
    run = latest_round_run(session, mode="allocate", on_or_before=as_of)
    if run is None:
        return None
    document = run.document
    return RoundOutcome(
        round_id=run.id,
        as_of=run.as_of,
        children=frozenset(c for unit in document.units for c in unit.children),
        placed=frozenset(c for unit in document.placed_units() for c in unit.children),
    )


def _decisions(session: Session, as_of: date) -> list[RankingDecision]:
    """The panel's and the decision maker's steps made on or before `as_of`."""
    steps: list[RankingDecision] = []
    for row in proposals_with_steps(session):
        rank = proposal_rank(row)
        unit = tuple(row.unit)
        if row.recommendation and row.recommended_at and row.recommended_at.date() <= as_of:
            steps.append(RankingDecision("panel", unit, departs(rank, row.recommendation)))
        if (
            row.decision in ("approved", "declined")
            and row.decided_at
            and row.decided_at.date() <= as_of
        ):
            steps.append(RankingDecision("decision", unit, departs(rank, row.decision)))
    return steps


def fairness_figures(
    session: Session,
    actor: Actor,
    *,
    as_of: date,
    today: date,
    policy: Policy,
    compare: Policy | None = None,
    compared_as: str | None = None,
    seed: int = 0,
) -> FairnessFigures:
    """The fairness report of the stored authority on `as_of` under `policy` (and
    `compare` beside it); audited, the audit row naming where the compared policy came
    from when `compared_as` says (`api.services.compare_policies`). AccessDenied for a
    role that may not read it, and for the oversight role asking a date other than
    `today`."""
    if actor.role not in READERS:
        raise AccessDenied(f"the {actor.role} role may not read the fairness report")
    if actor.role != "admin" and as_of != today:
        raise AccessDenied(
            "the fairness report is read as of today (only an administrator "
            "may choose another date)"
        )
    with unit_of_work(session):
        reports = _reports(session, as_of, policy, compare, seed)
        versions = " ".join(audit_version(r.policy_version) for r in reports)
        source = f" compare={compared_as}" if compared_as else ""
        record(
            session,
            actor,
            "read_fairness",
            subject=f"as_of={as_of.isoformat()} policy={versions}{source} seed={seed}",
        )
    return FairnessFigures(reports[0], reports[1] if len(reports) > 1 else None)


# The record's reports, keyed by everything a report reads: the data (fingerprint and
# version), the policy, the date, the allocate round it counts and the people's steps.
_FOR_RECORD = LruCache(4)


def fairness_for_record(session: Session, *, as_of: date, policy: Policy) -> FairnessReport:
    """The report under `policy` on `as_of`, for a document generated from it (the
    transparency record): the same figures as `fairness_figures`, with no role check and
    no audit row of its own; the caller's use case records its read. It names no child
    and its small counts are suppressed. Kept while what it reads is unchanged (a
    page every signed-in user may open must not cost a report each time)."""
    with unit_of_work(session):  # read only
        snapshot = get_snapshot(session, policy)
        outcome = _round_outcome(session, as_of)
        decisions = _decisions(session, as_of)
        key = (
            str(session.get_bind().engine.url),
            snapshot.fingerprint,
            str(snapshot.data_version),
            policy.version,
            str(id(policy)),
            as_of.isoformat(),
            str(outcome.round_id if outcome else None),
            str(hash(tuple(decisions))),
        )
        return _FOR_RECORD.get(
            key,
            lambda: fairness_report(
                snapshot.context,
                as_of=as_of,
                policy=policy,
                round_outcome=outcome,
                decisions=decisions,
                seed=0,
            ),
        )


def _reports(
    session: Session, as_of: date, policy: Policy, compare: Policy | None, seed: int
) -> list[FairnessReport]:
    snapshot = get_snapshot(session, policy)
    outcome = _round_outcome(session, as_of)
    decisions = _decisions(session, as_of)
    return [
        fairness_report(
            snapshot.context,
            as_of=as_of,
            policy=p,
            round_outcome=outcome,
            decisions=decisions,
            seed=seed,
        )
        for p in ((policy,) if compare is None else (policy, compare))
    ]
