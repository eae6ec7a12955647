"""The compact form of co-placement (one restriction per restricted unit) forbids exactly
the pairs of units that the child-by-child rules forbid (issue 12, co-placement at scale).

The reference is the independent checker (`tests/matching/coplacement_checker.py`), which
reads the children's records and the policy directly and shares no code with
`matching.coplacement`.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date, timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.coplacement import co_placement, co_placement_pairs
from matching.domain import Authority, Child, SiblingLink
from matching.gaps.grouped_feasibility import feasible_groups
from matching.gaps.placeable import max_children_placed
from matching.gaps.report import gap_report
from matching.instance import MatchingInstance
from matching.policy import default_policy
from matching.synthetic import generate_authority
from tests.matching.checker import make_child
from tests.matching.coplacement_checker import _rules_out, household_problems
from tests.matching.milp_oracle import max_children_milp

AS_OF = date(2026, 6, 1)

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


def _conflict_heavy(n_children: int, n_households: int, seed: int, share: int) -> Authority:
    """A generated authority where one waiting child in `share` has a policy risk at
    complex level or a requirement about other children, and every household has two or
    three places (so co-placement binds often)."""
    authority = generate_authority(n_children, n_households, seed=seed, as_of=AS_OF)
    rng = np.random.default_rng(seed)
    children = []
    for c in authority.children:
        if c.status == "waiting" and rng.integers(share) == 0:
            if rng.integers(2):
                c = dataclasses.replace(c, needs={**c.needs, str(rng.choice(RISKS)): 2})
            else:
                c = dataclasses.replace(
                    c, requirements=c.requirements | {str(rng.choice(REQUIREMENTS))}
                )
        children.append(c)
    households = []
    for h in authority.households:
        places = int(rng.integers(2, 4))
        households.append(
            dataclasses.replace(
                h,
                vacancies=places,
                approved_places=max(h.approved_places, places),
                max_sibling_group=max(h.max_sibling_group, places),
            )
        )
    return Authority(tuple(children), tuple(households), authority.links)


def _independent_pairs(
    authority: Authority, instance: MatchingInstance
) -> tuple[tuple[int, int], ...]:
    """Every unit pair with two children one of whom rules the other out, by the
    independent checker (whether or not they could meet in a household)."""
    by_id = {c.child_id: c for c in authority.children}
    linked = {frozenset((x.child_a, x.child_b)) for x in authority.links}
    out = []
    for a, b in itertools.combinations(range(len(instance.units)), 2):
        for x, y in itertools.product(instance.units[a].children, instance.units[b].children):
            related = frozenset((x, y)) in linked
            cx, cy = by_id[x], by_id[y]
            if _rules_out(cx, cy, related, POLICY) or _rules_out(cy, cx, related, POLICY):
                out.append((a, b))
                break
    return tuple(out)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_children=st.integers(20, 70),
    n_households=st.integers(4, 25),
    seed=st.integers(0, 10_000),
    share=st.integers(2, 5),
)
def test_the_gap_report_places_the_optimum_with_co_placement(
    n_children: int, n_households: int, seed: int, share: int
) -> None:
    authority = _conflict_heavy(n_children, n_households, seed, share)
    groups = feasible_groups(authority, as_of=AS_OF, policy=POLICY)
    plain = groups.instance()
    # the optimum under the rules as the independent checker reads them (HiGHS)
    reference = dataclasses.replace(plain, co_placement_units=_independent_pairs(authority, plain))
    optimum = max_children_milp(reference)
    report = gap_report(authority, as_of=AS_OF, suppress=False)
    assert report.method["placeable_exact"]
    assert report.to_dict()["children_placeable"] == optimum
    # on the groups, with no component expanded (the national path): a valid placement,
    # never above the optimum, under a bound never below it, equal when it says exact
    found = max_children_placed(groups, max_hard_pairs=0)
    assert found.children_placeable <= optimum <= found.upper_bound
    if found.exact:
        assert found.children_placeable == optimum
    homes: dict[str, list[tuple[str, ...]]] = {}
    for u, h in enumerate(found.homes.tolist()):
        if h >= 0:
            homes.setdefault(groups.households[h].household_id, []).append(groups.units[u].children)
    assert not household_problems(authority, homes, POLICY)
    load = {h: sum(len(u) for u in units) for h, units in homes.items()}
    vacancies = {h.household_id: h.vacancies for h in authority.households}
    assert all(load[h] <= vacancies[h] for h in load)
