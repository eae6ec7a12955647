"""Configuration, in one pydantic-settings class read from `FAMILYFINDER_*` variables.

Settings are read when the CLI or the app starts (`Settings()`), never at import, so a
test or a command can set the environment first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///familyfinder.db"
DEFAULT_MAX_UPLOAD_BYTES = 200 * 1024 * 1024
# Argon2 at its default cost needs 64 MiB and most of a core per password checked.
DEFAULT_LOGIN_HASH_WORKERS = 2
DEFAULT_LOGIN_HASH_QUEUE = 16
# Rounds queued or running at once (issue #13: 731 rounds queued by one user in 15
# minutes were about 20 hours of solver time on the one worker).
DEFAULT_ROUNDS_PER_USER = 1
DEFAULT_ROUNDS_TOTAL = 4
# A snapshot import retiring more than this share of the children or households held
# asks for --yes: a half-written export must not wipe an authority.
DEFAULT_SNAPSHOT_RETIRE_SHARE = 0.10

# How long a run's inputs are kept, by default: 7 years, the retention local
# authorities commonly give case-related records that are not the child's case file
# itself ("last action + 6 years" in the IRMS Retention Guidelines for Local
# Authorities, the six years of the Limitation Act 1980 s.2 and s.5 with a year to
# act in). The child's case record (kept to the 75th birthday, Care Planning, Placement
# and Case Review (England) Regulations 2010 reg 50) holds the panel paper itself; the
# inputs of a run a proposal was made from are kept as long as the proposal.
DEFAULT_REPLAY_RETENTION_DAYS = 2557


class Settings(BaseSettings):
    """Everything configurable, with its environment variable in the field description."""

    model_config = SettingsConfigDict(env_prefix="FAMILYFINDER_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="FAMILYFINDER_DATABASE_URL: SQLAlchemy URL; the default SQLite file "
        "is relative to the working directory",
    )
    policy_file: Path | None = Field(
        default=None,
        description="FAMILYFINDER_POLICY_FILE: scoring policy to use instead of the shipped one",
    )
    compare_policy_dir: Path | None = Field(
        default=None,
        description="FAMILYFINDER_COMPARE_POLICY_DIR: a folder of candidate policy files "
        "(NAME.toml) the fairness report can be compared under on the service, by NAME; "
        "what is put there is reviewed like the policy file itself",
    )
    replay_retention_days: int = Field(
        default=DEFAULT_REPLAY_RETENTION_DAYS,
        ge=1,
        description="FAMILYFINDER_REPLAY_RETENTION_DAYS: how long the inputs kept to replay "
        "a stored run are kept (`familyfinder replay prune` deletes older ones)",
    )
    transparency_organisation: str = Field(
        default="",
        description="FAMILYFINDER_TRANSPARENCY_ORGANISATION: the organisation that runs the "
        "service, named in its transparency record",
    )
    transparency_team: str = Field(
        default="",
        description="FAMILYFINDER_TRANSPARENCY_TEAM: the team and senior responsible owner",
    )
    transparency_contact: str = Field(
        default="",
        description="FAMILYFINDER_TRANSPARENCY_CONTACT: where to ask about the tool",
    )
    secret_key: str | None = Field(
        default=None,
        description="FAMILYFINDER_SECRET_KEY: signs web sessions; no usable default",
    )
    max_upload_bytes: int = Field(
        default=DEFAULT_MAX_UPLOAD_BYTES,
        gt=0,
        description="FAMILYFINDER_MAX_UPLOAD_BYTES: largest CSV file accepted for import",
    )
    behind_tls: bool = Field(
        default=False,
        description="FAMILYFINDER_BEHIND_TLS: the service is reached over HTTPS (a proxy ends "
        "TLS): cookies are marked Secure and responses carry Strict-Transport-Security",
    )
    login_hash_workers: int = Field(
        default=DEFAULT_LOGIN_HASH_WORKERS,
        gt=0,
        le=64,
        description="FAMILYFINDER_LOGIN_HASH_WORKERS: passwords checked at once "
        "(each argon2 check takes 64 MiB)",
    )
    login_hash_queue: int = Field(
        default=DEFAULT_LOGIN_HASH_QUEUE,
        ge=0,
        le=1024,
        description="FAMILYFINDER_LOGIN_HASH_QUEUE: sign-ins waiting for a worker; any "
        "beyond are answered 503 at once",
    )
    database_busy_timeout_s: float = Field(
        default=15.0,
        gt=0,
        le=600,
        description="FAMILYFINDER_DATABASE_BUSY_TIMEOUT_S: how long a SQLite writer waits "
        "for another's lock before the request is answered 503",
    )
    database_pool_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="FAMILYFINDER_DATABASE_POOL_TIMEOUT_S: how long a request waits for a "
        "free database connection before it is answered 503",
    )
    snapshot_retire_share: float = Field(
        default=DEFAULT_SNAPSHOT_RETIRE_SHARE,
        ge=0,
        le=1,
        description="FAMILYFINDER_SNAPSHOT_RETIRE_SHARE: largest share of the children or "
        "households held that a --mode snapshot import retires without --yes",
    )
    rounds_per_user: int = Field(
        default=DEFAULT_ROUNDS_PER_USER,
        ge=1,
        le=20,
        description="FAMILYFINDER_ROUNDS_PER_USER: matching rounds one person may have "
        "queued or running at once; another is refused (429) until one finishes or is "
        "cancelled",
    )
    rounds_total: int = Field(
        default=DEFAULT_ROUNDS_TOTAL,
        ge=1,
        le=200,
        description="FAMILYFINDER_ROUNDS_TOTAL: matching rounds queued or running at once "
        "across everyone (the service runs one at a time per process)",
    )
    round_heartbeat_s: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="FAMILYFINDER_ROUND_HEARTBEAT_S: how often a server process tells the "
        "database its rounds are alive; a round whose process has been silent for six "
        "of these is marked interrupted",
    )
    trusted_proxies: str = Field(
        default="",
        description="FAMILYFINDER_TRUSTED_PROXIES: comma-separated addresses or networks "
        "of proxies whose X-Forwarded-For names the client (e.g. 127.0.0.1 behind nginx "
        "on the same host); empty: the connection's address is recorded, whatever a "
        "request's headers say",
    )
    gap_publication: Literal["month_end", "import", "manual"] = Field(
        default="month_end",
        description="FAMILYFINDER_GAP_PUBLICATION: when a gap report is published for the "
        "recruitment team: month_end (one as of the last day of each month), import (one "
        "for each import, as of its date) or manual (only when an administrator "
        "publishes one); the team never gets a report for a date of its choosing",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        from api.proxies import parse_trusted_proxies

        parse_trusted_proxies(value)
        return value
