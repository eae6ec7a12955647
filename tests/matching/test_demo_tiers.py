"""The demo authority (fixtures/demo, as of 2026-11-01): kinship first holds in a
real-sized round, and the round checker's tier invariant (no unit below a higher tier of
its own with room: kinship, needs met, approval to 18) holds on it (issue 12)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from matching.csv_format import read_authority
from matching.domain import Authority
from matching.feasibility import ROUND_MAX_PAIRS, build_instance
from matching.rounds import RoundParams, solve_round
from tests.matching.checker import tier_key
from tests.matching.round_checker import check_round

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def demo() -> Authority:
    with (
        (DEMO / "children.csv").open("rb") as c,
        (DEMO / "households.csv").open("rb") as h,
        (DEMO / "sibling_links.csv").open("rb") as s,
    ):
        return read_authority(c, h, s, as_of=AS_OF)


def test_every_feasible_kinship_household_is_used_for_its_child(demo: Authority) -> None:
    instance = build_instance(demo, as_of=AS_OF, max_pairs=ROUND_MAX_PAIRS).instance
    params = RoundParams(mode="allocate", time_limit_s=20)
    result = solve_round(instance, params)
    check_round(instance, result, params)  # includes the tier invariant
    households = demo.households
    children = {c.child_id: c for c in demo.children}
    kin_units = placed_with_kin = 0
    for u, unit in enumerate(instance.units):
        options = instance.pair_household[instance.pair_unit == u].tolist()
        if not any(households[h].kind == "connected" for h in options):
            continue
        kin_units += 1
        assert result.assignments[u], unit.children
        home = households[result.assignments[u][0][0]]
        assert home.kind == "connected", (unit.children, home.household_id)
        placed_with_kin += 1
        # and a connected household is never excluded by its age range or smoking alone
        members = [children[c] for c in unit.children]
        assert tier_key(members, home)[0]
    assert kin_units == placed_with_kin > 40  # 52 on this demo
