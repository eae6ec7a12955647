"""`familyfinder cancel-round ROUND_ID`: the operator cancels a round wherever it runs."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from models.db import make_engine
from models.round_job_store import add_round_job, get_round_job
from tests.api.cli_support import TINY, import_into, run


def test_cancel_a_queued_round_once(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_into(fresh_database_url, TINY)
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", fresh_database_url)
    engine = make_engine(fresh_database_url)
    try:
        with Session(engine) as session:
            round_id = add_round_job(session, requested_by="family_finder", params={}).id
            session.commit()

        cancelled = run("cancel-round", str(round_id))
        assert cancelled.exit_code == 0, cancelled.output
        assert f"round {round_id} cancelled" in cancelled.stdout
        with Session(engine) as session:
            job = get_round_job(session, round_id)
            assert job.status == "cancelled" and (job.cancelled_by or "").startswith("cli")

        again = run("cancel-round", str(round_id))
        assert again.exit_code == 4 and "already finished (cancelled)" in again.stderr
        assert run("cancel-round", "999999").exit_code == 2
        assert run("cancel-round", str(10**20)).exit_code == 2
    finally:
        engine.dispose()
