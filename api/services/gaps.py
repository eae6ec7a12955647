"""The needs-gap report for recruitment, computed from the stored authority.

The analysis itself is `matching.gaps.gap_report`; this reads the authority from the
process's snapshot (no reload unless the data changed). Nothing is written: a gap
report is a view of the data, and its published form names no child.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from api.services.snapshot import get_snapshot
from matching.gaps import AddSpec, GapReport, gap_report
from matching.policy import Policy


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
    publishes exact small counts and is for administrators only.
    """
    snapshot = get_snapshot(session, policy)
    return gap_report(
        snapshot.authority,
        as_of=as_of,
        policy=policy,
        add=add,
        suppress=suppress,
        seed=seed,
        pool=snapshot.context.pool,  # the snapshot's pool arrays: not built again
    )
