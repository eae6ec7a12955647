"""What replay costs: keeping a run's inputs, and replaying a round of a 10,000-child
authority after the data has changed.

Builds a throwaway PostgreSQL database (or a SQLite file with `--sqlite`) with a
synthetic authority, then:

1. encodes the authority as a run keeps it (canonical bytes, SHA-256, zlib): the time,
   the raw and stored sizes (paid once per data version, by the first run on it);
2. runs one allocation round as `familyfinder round` does (its inputs kept with it);
3. changes the data (every household's vacancies move by one: a new data version);
4. replays the round (`familyfinder replay round`): the time, and whether it is identical.

    .venv/bin/python benchmarks/replay_bench.py                      # 10,000 x 5,000
    .venv/bin/python benchmarks/replay_bench.py --children 2000 --households 1000 --sqlite
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_bench import AS_OF, DEFAULT_PG_URL, create_database, drop_database, load

from api.requests import RoundRequest
from api.services.audit import Actor
from api.services.replay import replay_round
from api.services.round_jobs import run_round_now
from api.services.snapshot import clear_snapshots
from matching.policy import default_policy
from matching.run_inputs import decode_authority, encode_authority
from models.db import make_engine
from models.store import bump_data_version, load_authority, upsert_authority


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--households", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file, not PostgreSQL")
    parser.add_argument("--admin-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()

    if args.sqlite:
        url = f"sqlite:///{tempfile.mkdtemp()}/replay_bench.db"
    else:
        url = create_database(args.admin_url)
    try:
        load(url, args.children, args.households, args.seed)
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            authority = load_authority(session)
            started = time.perf_counter()
            kept = encode_authority(authority)
            encode_s = time.perf_counter() - started
            started = time.perf_counter()
            decode_authority(kept.data, kept.key)
            decode_s = time.perf_counter() - started
            print(
                f"authority {len(authority.children)} children, {len(authority.households)} "
                f"households: canonical {kept.raw_bytes / 1e6:.1f} MB, kept "
                f"{len(kept.data) / 1e6:.2f} MB (zlib); encode {encode_s:.2f} s, "
                f"decode and check {decode_s:.2f} s"
            )

            started = time.perf_counter()
            round_id, document = run_round_now(
                session,
                RoundRequest(as_of=AS_OF, time_limit_s=args.time_limit, seed=0),
                policy=default_policy(),
                requested_by="bench",
            )
            round_s = time.perf_counter() - started
            print(
                f"round {round_id}: {document.status}, {document.children_placed} of "
                f"{document.children_waiting} children placed, {document.feasible_pairs} "
                f"pairs; {round_s:.1f} s with its inputs kept"
            )

            changed = dataclasses.replace(
                authority,
                households=tuple(
                    dataclasses.replace(h, vacancies=max(0, h.vacancies - 1))
                    for h in authority.households
                ),
            )
            upsert_authority(session, changed)
            bump_data_version(session)
            session.commit()
            clear_snapshots()

            started = time.perf_counter()
            replay = replay_round(session, Actor("bench", "admin"), round_id)
            replay_s = time.perf_counter() - started
            outcome = "identical" if replay.identical else f"{len(replay.differences)} differences"
            print(f"replay of round {round_id} after the data changed: {outcome}, {replay_s:.1f} s")
            for note in replay.notes:
                print(f"  note: {note}")
        engine.dispose()
    finally:
        if not args.sqlite:
            drop_database(args.admin_url, url)


if __name__ == "__main__":
    main()
