"""The tool's transparency record, as configured here: one function for every door (the
`familyfinder transparency` command and the `/transparency` page)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from api.services.audit import Actor, record
from api.services.fairness import fairness_for_record
from api.services.run_inputs import code_version
from api.services.unit_of_work import unit_of_work
from api.settings import Settings
from matching.policy import Policy, policy_text
from matching.transparency import FairnessSummary, Owner, Record, build_record


def transparency_record(
    settings: Settings, policy: Policy, *, fairness: FairnessSummary | None = None
) -> Record:
    """The record of the service with `settings` and `policy` (its text, with the
    comments naming sources, as it was loaded), and the fairness summary when one is
    given (a fairness report's figures; else the record says it is not yet computed)."""
    owner = Owner(
        organisation=settings.transparency_organisation,
        team=settings.transparency_team,
        contact=settings.transparency_contact,
    )
    return build_record(
        policy,
        policy_text(policy),
        owner=owner,
        release=code_version(),
        retention_days=settings.replay_retention_days,
        fairness=fairness,
    )


def current_record(
    session: Session, actor: Actor, settings: Settings, policy: Policy, *, as_of: date
) -> Record:
    """The record with the fairness report of the stored authority on `as_of` (its flags
    and how many groups were compared; no child named, small counts suppressed), or
    "not yet computed" while no child is held. The read is audited."""
    report = fairness_for_record(session, as_of=as_of, policy=policy)
    summary = (
        FairnessSummary.from_report_json(report.to_json()) if report.children_waiting else None
    )
    with unit_of_work(session):
        record(session, actor, "read_fairness", subject=f"transparency as_of={as_of.isoformat()}")
    return transparency_record(settings, policy, fairness=summary)
