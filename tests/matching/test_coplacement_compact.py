"""The compact form of co-placement (one restriction per restricted unit) forbids exactly
the pairs of units that the child-by-child rules forbid (issue 12, co-placement at scale).

The reference is the independent checker (`tests/matching/coplacement_checker.py`), which
reads the children's records and the policy directly and shares no code with
`matching.coplacement`.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.coplacement import co_placement, co_placement_pairs
from matching.domain import Child, SiblingLink
from matching.policy import default_policy
from tests.matching.checker import make_child
from tests.matching.coplacement_checker import _rules_out

POLICY = default_policy()
RISKS = [r.need for r in POLICY.co_placement.risks]
REQUIREMENTS = ("no_younger_children", "no_older_children", "no_other_children")


@st.composite
def units_and_links(
    draw: st.DrawFn,
) -> tuple[list[list[Child]], list[SiblingLink]]:
    """Up to 9 units of 1-3 children: few distinct birthdays (ties matter), random
    requirements and risk needs at either level, random sibling links across units."""
    n_units = draw(st.integers(2, 9))
    units: list[list[Child]] = []
    k = 0
    for _ in range(n_units):
        unit = []
        for _ in range(draw(st.integers(1, 3))):
            k += 1
            born = date(2010, 1, 1) + timedelta(days=400 * draw(st.integers(0, 6)))
            requirements = frozenset(
                draw(st.lists(st.sampled_from(REQUIREMENTS), max_size=2, unique=True))
                if draw(st.integers(0, 3)) == 0
                else []
            )
            needs = (
                {draw(st.sampled_from(RISKS)): draw(st.integers(1, 2))}
                if draw(st.integers(0, 2)) == 0
                else {}
            )
            unit.append(
                make_child(
                    child_id=f"C{k}", date_of_birth=born, requirements=requirements, needs=needs
                )
            )
        units.append(unit)
    ids = [c.child_id for unit in units for c in unit]
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=6, unique=True)
    )
    links = [
        SiblingLink(a, b, "full", draw(st.sampled_from(["apart", "pending", "together"])))
        for a, b in pairs
        if a != b
    ]
    return units, links


def _forbidden(units: list[list[Child]], links: list[SiblingLink]) -> set[tuple[int, int]]:
    """Unit pairs with two children (one from each) of whom one rules the other out."""
    linked = {frozenset((x.child_a, x.child_b)) for x in links}
    out = set()
    for a, b in itertools.combinations(range(len(units)), 2):
        for x, y in itertools.product(units[a], units[b]):
            related = frozenset((x.child_id, y.child_id)) in linked
            if _rules_out(x, y, related, POLICY) or _rules_out(y, x, related, POLICY):
                out.add((a, b))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(units_and_links())
def test_the_compact_form_forbids_exactly_the_pairs_the_rules_define(
    case: tuple[list[list[Child]], list[SiblingLink]],
) -> None:
    units, links = case
    compact = co_placement(units, links, POLICY.co_placement)
    expected = _forbidden(units, links)
    n = len(units)
    found = {(a, b) for a, b in itertools.combinations(range(n), 2) if not compact.together(a, b)}
    assert found == expected
    # the clash of one unit against all others, as the engines ask it
    for u in range(n):
        others = np.array([v for v in range(n) if v != u], dtype=np.int64)
        clash = compact.clash(u, others)
        assert {int(v) for v in others[clash]} == {
            v for v in others.tolist() if (min(u, v), max(u, v)) in expected
        }
    # listed where every unit shares one roomy household: the same pairs
    everywhere = [np.zeros(1, dtype=np.int64)] * n
    listed = co_placement_pairs(units, links, POLICY.co_placement, everywhere, np.ones(1, bool))
    assert set(listed) == expected
    # restricted to a subset of units, renumbered: the same pairs among them
    keep = np.arange(0, n, 2, dtype=np.int64)
    sub = compact.take(keep)
    for i, j in itertools.combinations(range(len(keep)), 2):
        assert sub.together(i, j) == ((int(keep[i]), int(keep[j])) not in expected)


def test_a_unit_with_no_roomy_household_in_common_is_not_listed() -> None:
    older = make_child(child_id="C1", requirements=frozenset({"no_other_children"}))
    other = make_child(child_id="C2")
    units = [[older], [other]]
    compact = co_placement(units, [], POLICY.co_placement)
    assert not compact.together(0, 1)
    columns = [np.array([0], dtype=np.int64), np.array([1], dtype=np.int64)]
    assert co_placement_pairs(units, [], POLICY.co_placement, columns, np.ones(2, bool)) == ()
    assert (
        co_placement_pairs(
            units, [], POLICY.co_placement, [columns[0], columns[0]], np.array([False, True])
        )
        == ()
    )
