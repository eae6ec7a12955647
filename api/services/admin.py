"""What the administrator's page shows: the audit trail page asked for, and the users."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from api.requests import AuditQuery
from api.services.audit import audit_page
from api.services.unit_of_work import unit_of_work
from api.services.users import all_users
from models.accounts import ROLES, AuditEventRow, UserRow


@dataclass(frozen=True)
class AdminView:
    events: list[AuditEventRow]  # newest first
    events_total: int  # matching the filters
    users: list[UserRow]
    roles: tuple[str, ...]  # the roles a user can be given


def admin_view(session: Session, audit: AuditQuery) -> AdminView:
    """The audit events `audit` asks for and every account, read in one transaction."""
    with unit_of_work(session):  # read only: ends the read transaction
        events, total = audit_page(session, audit)
        users = all_users(session)
    return AdminView(events, total, users, tuple(ROLES))
