"""The demo: the synthetic demo authority imported into an empty database, and one
signed-in user per role with a published password (never for real data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from api.services.imports import import_directory
from api.services.users import create_user
from models.account_store import find_user
from models.store import authority_counts

DEMO_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
DEMO_AS_OF = date(2026, 11, 1)  # the date fixtures/demo was generated for
DEMO_USERS = (
    ("finder", "family_finder", "finder-demo-2026"),
    ("recruiter", "recruitment", "recruiter-demo-2026"),
    ("panel", "panel", "panel-demo-2026"),
    ("decider", "decision_maker", "decider-demo-2026"),
    ("chair", "oversight", "chair-demo-2026"),
    ("admin", "admin", "admin-demo-2026"),
)


@dataclass(frozen=True)
class DemoSetup:
    imported: bool  # False when the database already held children
    children: int
    households: int
    logins: tuple[tuple[str, str, str], ...]  # username, role, password


def prepare_demo(
    session: Session, directory: Path = DEMO_DIR, *, as_of: date = DEMO_AS_OF
) -> DemoSetup:
    """Import `directory` when no child is stored, and create any missing demo user."""
    imported = False
    if authority_counts(session).children == 0:
        import_directory(session, directory, as_of=as_of, requested_by="demo")
        imported = True
    for username, role, password in DEMO_USERS:
        if find_user(session, username) is None:
            create_user(session, username, password, role)
    counts = authority_counts(session)
    session.rollback()
    return DemoSetup(imported, counts.children, counts.households, DEMO_USERS)
