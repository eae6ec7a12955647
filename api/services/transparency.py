"""The tool's transparency record, as configured here: one function for every door (the
`familyfinder transparency` command and the `/transparency` page)."""

from __future__ import annotations

from api.services.run_inputs import code_version
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
