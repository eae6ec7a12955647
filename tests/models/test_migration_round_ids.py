"""Migration 0007: every stored round gets one id (its job's).

Before it, `POST /api/rounds` answered a job id, the CLI printed a run id and a proposal
named a run id: a number could name two different rounds. The migration gives each run
stored without a job (the CLI's) a finished job, and makes a round proposal's
`source_id` the round's job id; downgrading puts the run ids back.
"""

from __future__ import annotations

import json

from sqlalchemy import text

from models.db import make_engine
from models.migrate import downgrade, upgrade
from tests.api.conftest import TINY, TINY_AS_OF

RUN = (
    "INSERT INTO round_run (id, created_at, requested_by, mode, params, seed, as_of, "
    "policy_version, inputs_fingerprint, status, solver, result) VALUES "
    "(:id, :at, :by, 'allocate', :params, 0, :as_of, '2026.1', 'f', 'OPTIMAL', 'flow', '{}')"
)


def test_each_run_gets_one_round_id_and_proposals_name_it(migration_database_url: str) -> None:
    from sqlalchemy.orm import Session

    from api.services.imports import import_directory

    url = migration_database_url
    upgrade(url, "0006")
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            import_directory(session, TINY, as_of=TINY_AS_OF, requested_by="test")
        with engine.begin() as db:
            params = json.dumps({"mode": "allocate", "per_unit": 3})
            for run_id, by in ((1, "cli:someone"), (2, "finder")):
                db.execute(
                    text(RUN),
                    {
                        "id": run_id,
                        "at": "2026-06-01 10:00:00+00:00",
                        "by": by,
                        "params": params,
                        "as_of": TINY_AS_OF,
                    },
                )
            # the API's round: job 1 stored run 2
            db.execute(
                text(
                    "INSERT INTO round_job (created_at, requested_by, params, status, "
                    "round_run_id) VALUES ('2026-06-01 10:00:00+00:00', 'finder', "
                    ":params, 'done', 2)"
                ),
                {"params": params},
            )
            db.execute(
                text(
                    "INSERT INTO proposal (created_at, created_by, unit, household_id, places, "
                    "source_kind, source_id, status, rationale) VALUES "
                    "('2026-06-01 11:00:00+00:00', 'finder', '[\"C004\"]', 'H001', 1, "
                    "'round', 2, 'proposed', '{}')"
                )
            )
        upgrade(url)
        with engine.connect() as db:
            jobs = dict(db.execute(text("SELECT round_run_id, id FROM round_job")).all())
            proposal = db.execute(text("SELECT source_id FROM proposal")).scalar_one()
        assert jobs[2] == 1  # the API's round keeps its id
        assert jobs[1] == 2  # the CLI's run (run 1) is round 2 now: no id names two rounds
        assert proposal == 1  # the proposal names round 1, not run 2

        downgrade(url, "0006")
        with engine.connect() as db:
            assert db.execute(text("SELECT source_id FROM proposal")).scalar_one() == 2
    finally:
        engine.dispose()
