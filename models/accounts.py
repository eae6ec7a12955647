"""Tables of the multi-user service: accounts, their sessions, login attempts and the
sign-in back-off, the audit trail, proposals with their vacancy holds, and background
round jobs.

Same `Base` (and naming convention) as `models.orm`; made by migrations 0003 and 0005.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.orm import Base, UtcDateTime, utcnow
from models.roles import ROLES as ROLES  # re-exported: an account holds one of these

# A proposal is awaiting a decision while in one of these; its vacancies and children
# stay held until it is declined or withdrawn (an approved match keeps them).
OPEN_PROPOSAL_STATUSES = ("proposed", "recommended", "not_recommended")
RELEASED_PROPOSAL_STATUSES = ("declined", "withdrawn")


class UserRow(Base):
    """A person who signs in; `user` is a reserved word in PostgreSQL, hence app_user."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String)
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class LoginAttemptRow(Base):
    """One sign-in attempt, kept so repeated failures can be throttled across workers."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    client_address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)


class LoginThrottleRow(Base):
    """Failed sign-ins counted for one key (`user:<name>` or `address:<ip>`).

    An attempt is counted here, under a row lock, before its password is checked, so
    parallel attempts cannot all slip under the limit; the back-off is derived from
    `failures` and `last_attempt_at` (see `api.services.users`).
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class UserSessionRow(Base):
    """A signed-in session: a bearer token or a page cookie carries its secret id, the
    table only its SHA-256. Ended server-side by sign-out or by deactivating the user."""

    __tablename__ = "user_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("app_user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # api | page
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    client_address: Mapped[str | None] = mapped_column(String(64))


class AuditEventRow(Base):
    """Who read or exported what, when and from where. Append-only (a trigger on PG)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    child_id: Mapped[str | None] = mapped_column(String, index=True)
    subject: Mapped[str | None] = mapped_column(String)  # report, proposal or run named
    client_address: Mapped[str | None] = mapped_column(String(64))


class ProposalRow(Base):
    """A proposed match of one unit to one household, with its frozen rationale."""

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    unit: Mapped[list[Any]] = mapped_column(JSON)
    household_id: Mapped[str] = mapped_column(
        String, ForeignKey("household.household_id"), index=True
    )
    places: Mapped[int] = mapped_column(Integer)
    source_kind: Mapped[str] = mapped_column(String(16))  # shortlist | round
    source_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    rationale: Mapped[dict[str, Any]] = mapped_column(JSON)
    recommendation: Mapped[str | None] = mapped_column(String(16))
    recommendation_reasons: Mapped[str | None] = mapped_column(Text)
    # why the panel went against the system's ranking, when it did (issue 16)
    recommendation_ranking_reason: Mapped[str | None] = mapped_column(Text)
    recommended_by: Mapped[str | None] = mapped_column(String(64))
    recommended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_reasons: Mapped[str | None] = mapped_column(Text)
    # why the decision maker went against the system's ranking, when they did
    decision_ranking_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ProposalHoldRow(Base):
    """A child held by a live proposal: the primary key makes a second proposal fail."""

    __tablename__ = "proposal_hold"

    child_id: Mapped[str] = mapped_column(String, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )


class RoundJobRow(Base):
    """A matching round: requested (API, page or CLI), queued, run, finished.

    Its `id` is the round's one id, the one a user sees and passes (the stored result
    it leads to, `round_run_id`, is an internal reference, unique per job). `owner` is
    the process that runs it and `heartbeat_at` when that process last said it is
    alive: only a round whose owner has gone quiet is swept as interrupted.
    """

    __tablename__ = "round_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(64), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    # queued | running | done | failed | cancelled
    status: Mapped[str] = mapped_column(String(16), index=True)
    stage: Mapped[str | None] = mapped_column(String(64))
    fraction: Mapped[float | None] = mapped_column(Float)
    round_run_id: Mapped[int | None] = mapped_column(Integer, index=True, unique=True)
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    owner: Mapped[str | None] = mapped_column(String(96))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
