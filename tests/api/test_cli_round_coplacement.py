"""`familyfinder round` on the demo authority makes no co-placement practice forbids.

Issue 12 found a round that put a 7-year-old who must not live with younger children in
one household with an unrelated 5-year-old (C000277 and C000572 to H000061). Here the
real CLI runs the round on the demo authority and an independent check
(`tests.matching.coplacement_checker`) reads the children's own records for every
household the round gives several units.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from matching.csv_format import read_authority
from matching.policy import default_policy
from tests.api.cli_support import import_into, run
from tests.matching.coplacement_checker import household_problems

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
DEMO_AS_OF = "2026-11-01"


def test_a_demo_round_makes_no_forbidden_co_placement(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAMILYFINDER_DATABASE_URL", fresh_database_url)
    monkeypatch.delenv("FAMILYFINDER_POLICY_FILE", raising=False)
    import_into(fresh_database_url, DEMO, as_of=DEMO_AS_OF)
    result = run("round", "--as-of", DEMO_AS_OF, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    homes: dict[str, list[tuple[str, ...]]] = {}
    for unit in data["units"]:
        if unit["candidates"]:
            homes.setdefault(unit["candidates"][0]["household_id"], []).append(
                tuple(unit["children"])
            )
    # the round does give some households several units: the check is not empty
    assert any(len(units) > 1 for units in homes.values())
    with (
        (DEMO / "children.csv").open("rb") as children,
        (DEMO / "households.csv").open("rb") as households,
        (DEMO / "sibling_links.csv").open("rb") as links,
    ):
        authority = read_authority(
            children, households, links, as_of=date.fromisoformat(DEMO_AS_OF)
        )
    assert household_problems(authority, homes, default_policy()) == []
