"""What the store holds, counted: the first thing a new user asks for."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.store import AuthorityCounts as AuthorityCounts  # what the summary returns
from models.store import authority_counts


def authority_summary(session: Session) -> AuthorityCounts:
    """Children by plan and status, households by kind and status, links by assessment."""
    return authority_counts(session)
