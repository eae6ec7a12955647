"""Co-placement (issue 12, item 1): who a round may give one household together.

Each rule has a case that fails without it: two waiting children and one household with
two vacancies, where the rule alone decides whether both are placed there. The gap
report's placeable count follows the same rules (equal to the round's optimum) and its
recruitment targets never pack children the rules keep apart.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.csv_format import read_authority
from matching.domain import Authority, Child, SiblingLink
from matching.errors import PolicyError
from matching.feasibility import build_instance
from matching.gaps.report import gap_report
from matching.instance import MatchingInstance
from matching.policy import default_policy, default_policy_text, load_policy
from matching.results import UnplacedUnit
from matching.round_sentences import unplaced_sentence
from matching.rounds import RoundParams, solve_round
from matching.rounds.result import RoundResult
from matching.shortlist import shortlist
from matching.synthetic import generate_authority
from tests.matching.checker import make_child, make_household
from tests.matching.coplacement_checker import co_placement_problems
from tests.matching.milp_oracle import max_children_milp
from tests.matching.round_checker import check_round, round_problems
from tests.matching.test_rounds_optimality import brute_force_allocation, tiny_instances

AS_OF = date(2026, 6, 1)
ALLOCATE = RoundParams(mode="allocate", time_limit_s=10)
EIGHT = date(2018, 3, 1)  # 8 on AS_OF
FIVE = date(2021, 3, 1)
ELEVEN = date(2015, 3, 1)


def _pair(first: dict[str, Any], second: dict[str, Any], **household: Any) -> Authority:
    """Two waiting children and one household with two vacancies for both."""
    a = make_child(child_id="C1", date_of_birth=EIGHT, **first)
    b = make_child(child_id="C2", **second)
    return Authority((a, b), (make_household(**household),), ())


def _round(authority: Authority, policy: Any = None) -> tuple[MatchingInstance, RoundResult]:
    instance = build_instance(authority, as_of=AS_OF, policy=policy).instance
    result = solve_round(instance, ALLOCATE)
    check_round(instance, result, ALLOCATE)
    return instance, result


CASES = [
    # (what C1 has, C2's date of birth, placed together)
    ({"requirements": frozenset({"no_younger_children"})}, FIVE, False),
    ({"requirements": frozenset({"no_younger_children"})}, ELEVEN, True),
    ({"requirements": frozenset({"no_older_children"})}, ELEVEN, False),
    ({"requirements": frozenset({"no_older_children"})}, FIVE, True),
    ({"requirements": frozenset({"no_other_children"})}, FIVE, False),
    ({"requirements": frozenset({"no_other_children"})}, ELEVEN, False),
    ({"needs": {"harmful_sexual_behaviour": 2}}, FIVE, False),
    ({"needs": {"fire_setting": 2}}, FIVE, False),
    ({"needs": {"exploitation_risk": 2}}, FIVE, False),
    # an older child, or the additional level, is not what the risk rules are about
    ({"needs": {"harmful_sexual_behaviour": 2}}, ELEVEN, True),
    ({"needs": {"harmful_sexual_behaviour": 1}}, FIVE, True),
    ({}, FIVE, True),
]


@pytest.mark.parametrize(("first", "born", "together"), CASES)
def test_a_round_places_two_children_together_only_when_both_may_live_together(
    first: dict[str, Any], born: date, together: bool
) -> None:
    authority = _pair(first, {"date_of_birth": born})
    instance, result = _round(authority)
    assert result.children_placed == (2 if together else 1)
    assert not co_placement_problems(authority, instance, result, default_policy())
    if not together:
        (left,) = result.unplaced
        assert left.reason == "co_placement"
    # the rule holds both ways: the same pair listed the other way round
    swapped = Authority(tuple(reversed(authority.children)), authority.households, ())
    assert _round(swapped)[1].children_placed == result.children_placed
    # the gap report counts the children placeable the same way, on both of its paths
    for method in ("typed", "pairs"):
        report = gap_report(authority, as_of=AS_OF, method=method, suppress=False)
        assert report.to_dict()["children_placeable"] == result.children_placed


@pytest.mark.parametrize(
    ("needs", "home", "offered"),
    [
        ({"harmful_sexual_behaviour": 2}, (5,), False),  # a younger child already there
        ({"fire_setting": 2}, (5, 12), False),
        ({"exploitation_risk": 2}, (11,), True),  # only older children at home
        ({"harmful_sexual_behaviour": 1}, (5,), True),  # the additional level
        ({}, (5,), True),
    ],
)
def test_a_risk_rule_holds_against_the_children_already_in_the_home(
    needs: dict[str, int], home: tuple[int, ...], offered: bool
) -> None:
    # the rule between units applies to the children already living there too: an
    # 8-year-old with harmful sexual behaviour is not offered a home with a child of 5
    child = make_child(child_id="C1", date_of_birth=EIGHT, needs=needs)
    authority = Authority((child,), (make_household(children_in_home_ages=home),), ())
    _, result = _round(authority)
    assert result.children_placed == (1 if offered else 0)
    listed = shortlist(authority, "C1", as_of=AS_OF)
    assert [c.household_id for c in listed.candidates] == (["H1"] if offered else [])
    if not offered:
        assert listed.excluded_counts["requirement"] == 1
    report = gap_report(authority, as_of=AS_OF, suppress=False).to_dict()
    assert report["children_placeable"] == result.children_placed
    # the policy decides: with another need named instead, the home is offered
    relaxed = load_policy(
        default_policy_text()
        .replace('need = "harmful_sexual_behaviour"', 'need = "self_harm"')
        .replace('need = "fire_setting"', 'need = "self_harm"')
        .replace('need = "exploitation_risk"', 'need = "self_harm"')
    )
    assert shortlist(authority, "C1", as_of=AS_OF, policy=relaxed).candidates


def test_a_sibling_is_not_an_unrelated_younger_child() -> None:
    # the risk rule is about unrelated children; siblings are decided by their assessment
    sibling = SiblingLink("C1", "C2", "half", "pending")
    risky = make_child(child_id="C1", date_of_birth=EIGHT, needs={"harmful_sexual_behaviour": 2})
    younger = make_child(child_id="C2", date_of_birth=FIVE)
    authority = Authority((risky, younger), (make_household(),), (sibling,))
    assert _round(authority)[1].children_placed == 2
    # a requirement holds whoever the other child is
    strict = dataclasses.replace(risky, requirements=frozenset({"no_younger_children"}))
    authority = Authority((strict, younger), (make_household(),), (sibling,))
    assert _round(authority)[1].children_placed == 1


@pytest.mark.parametrize("kind", ["adopter", "ffa"])
def test_adopters_and_ffa_carers_take_one_child_or_sibling_group_per_round(kind: str) -> None:
    plan = "adoption" if kind == "adopter" else "ffa"
    babies = tuple(
        make_child(child_id=f"C{i}", date_of_birth=date(2025, 9, i), plan=plan) for i in (1, 2)
    )
    home = make_household(kind=kind, term=None)
    authority = Authority(babies, (home,), ())
    instance, result = _round(authority)
    assert instance.households[0].max_units == 1
    assert result.children_placed == 1
    assert result.unplaced[0].reason == "taken_by_others"
    assert gap_report(authority, as_of=AS_OF, suppress=False).to_dict()["children_placeable"] == 1
    # two babies assessed to live together are one unit: the same household takes both
    together = Authority(babies, (home,), (SiblingLink("C1", "C2", "full", "together"),))
    assert _round(together)[1].children_placed == 2


def test_the_risk_rules_are_policy_data_with_their_sources() -> None:
    policy = default_policy()
    assert {r.need for r in policy.co_placement.risks} == {
        "harmful_sexual_behaviour",
        "fire_setting",
        "exploitation_risk",
    }
    assert all(r.min_level == 2 and r.source for r in policy.co_placement.risks)
    assert set(policy.co_placement.one_unit_kinds) == {"adopter", "ffa"}
    assert policy.co_placement.one_unit_source
    # an authority that drops a risk rule from its policy gets rounds without it
    text = default_policy_text().replace('need = "harmful_sexual_behaviour"', 'need = "self_harm"')
    relaxed = load_policy(text)
    authority = _pair({"needs": {"harmful_sexual_behaviour": 2}}, {"date_of_birth": FIVE})
    assert _round(authority, relaxed)[1].children_placed == 2
    assert _round(authority)[1].children_placed == 1
    with pytest.raises(PolicyError, match="co_placement"):
        load_policy(default_policy_text().replace('need = "fire_setting"', 'need = "arson"'))


def test_the_unplaced_sentence_says_why_in_words() -> None:
    unit = UnplacedUnit(children=("C2",), reason="co_placement", reasons=())
    sentence = unplaced_sentence(unit, {"C2": "Liam"})
    assert sentence.startswith("Every household with room for Liam takes a child")
    assert "must not live with this child" in sentence
    assert "co_placement" not in sentence


def _unplaceable(child_id: str, born: date, **overrides: Any) -> Child:
    # a long-term plan no household of the pool serves (the pool holds a residential home)
    return make_child(child_id=child_id, date_of_birth=born, **overrides)


@pytest.mark.parametrize("apart", [False, True])
def test_recruitment_targets_never_pack_children_the_rules_keep_apart(apart: bool) -> None:
    requirements = frozenset({"no_younger_children"}) if apart else frozenset()
    children = (
        _unplaceable("C1", date(2013, 3, 1), requirements=requirements),
        _unplaceable("C2", date(2014, 3, 1)),
    )
    pool = (make_household(kind="residential", term=None),)
    report = gap_report(Authority(children, pool, ()), as_of=AS_OF, suppress=False)
    (target,) = report.targets
    assert [len(h.units) for h in target.households] == ([1, 1] if apart else [2])
    assert target.for_whom == ("single_child" if apart else "unrelated_children")
    if not apart:
        assert "up to 2 unrelated children" in target.label()
        assert target.profile()["for_whom"] == "unrelated_children"


# -- properties ---------------------------------------------------------------------


@st.composite
def instances_with_co_placement(draw: st.DrawFn) -> MatchingInstance:
    inst = draw(tiny_instances(max_units=5, max_households=3, max_size=2, with_apart=True))
    n_u = len(inst.units)
    all_pairs = list(itertools.combinations(range(n_u), 2))
    co = draw(st.lists(st.sampled_from(all_pairs), max_size=4, unique=True)) if all_pairs else []
    limits = draw(
        st.lists(
            st.sampled_from([None, 1]), min_size=len(inst.households), max_size=len(inst.households)
        )
    )
    households = tuple(
        dataclasses.replace(h, max_units=m) for h, m in zip(inst.households, limits, strict=True)
    )
    return dataclasses.replace(inst, households=households, co_placement_units=tuple(co))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances_with_co_placement())
def test_no_round_plan_co_places_a_forbidden_pair_and_the_optimum_holds(
    inst: MatchingInstance,
) -> None:
    result = solve_round(inst, ALLOCATE)
    check_round(inst, result, ALLOCATE)
    best = brute_force_allocation(inst, ALLOCATE.sibling_contact_bonus, ALLOCATE.sibling_contact_km)
    assert (result.children_placed, round(result.objective * 100)) == best
    assert result.children_placed == max_children_milp(inst)
    # the checker rejects a plan that puts a forbidden pair in one household
    for a, b in inst.co_placement_units:
        shared = set(inst.pair_household[inst.pair_unit == a].tolist()) & set(
            inst.pair_household[inst.pair_unit == b].tolist()
        )
        if not shared:
            continue
        h = min(shared)
        score = {
            u: float(inst.pair_score[(inst.pair_unit == u) & (inst.pair_household == h)][0])
            for u in (a, b)
        }
        forced = list(result.assignments)
        forced[a], forced[b] = ((h, score[a]),), ((h, score[b]),)
        bad = dataclasses.replace(result, assignments=tuple(forced))
        assert any("must not live together" in p for p in round_problems(inst, bad, ALLOCATE))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_children=st.integers(20, 160),
    n_households=st.integers(5, 80),
    seed=st.integers(0, 10_000),
)
def test_rounds_on_synthetic_authorities_make_no_forbidden_co_placement(
    n_children: int, n_households: int, seed: int
) -> None:
    authority = generate_authority(n_children, n_households, seed=seed, as_of=AS_OF)
    instance = build_instance(authority, as_of=AS_OF).instance
    result = solve_round(instance, ALLOCATE)
    check_round(instance, result, ALLOCATE)
    assert not co_placement_problems(authority, instance, result, default_policy())
    report = gap_report(authority, as_of=AS_OF, suppress=False)
    assert report.to_dict()["children_placeable"] == result.children_placed


def test_the_kernel_reads_the_co_placement_pairs_with_their_reason() -> None:
    from matching.assignment.prepared import prepare

    authority = _pair({"requirements": frozenset({"no_other_children"})}, {"date_of_birth": FIVE})
    instance = build_instance(authority, as_of=AS_OF).instance
    assert instance.co_placement_units == ((0, 1),)
    prep = prepare(instance, allocate=True)
    assert prep.never_together == ((0, 1),) and prep.never_together_reason == ("co_placement",)
    # a household with one vacancy can never hold both: no pair is listed for it
    single = Authority(authority.children, (make_household(vacancies=1),), ())
    assert build_instance(single, as_of=AS_OF).instance.co_placement_units == ()
    assert np.array_equal(prep.vacancies, [2])


TINY_CASE = Path(__file__).resolve().parents[2] / "fixtures" / "tiny" / "co_placement"


def test_the_tiny_co_placement_case_as_worked_by_hand() -> None:
    with (
        (TINY_CASE / "children.csv").open("rb") as children,
        (TINY_CASE / "households.csv").open("rb") as households,
        (TINY_CASE / "sibling_links.csv").open("rb") as links,
    ):
        authority = read_authority(children, households, links, as_of=AS_OF)
    instance, result = _round(authority)
    placed = {
        instance.units[u].children[0]: instance.households[c[0][0]].household_id
        for u, c in enumerate(result.assignments)
        if c
    }
    assert placed == {"C101": "H101", "C103": "H102"}
    reasons = {instance.units[x.unit].children[0]: x.reason for x in result.unplaced}
    assert reasons == {"C102": "co_placement", "C104": "taken_by_others"}
    assert result.status == "OPTIMAL" and result.coverage_bound == 2
    report = gap_report(authority, as_of=AS_OF, suppress=False)
    assert report.to_dict()["children_placeable"] == 2
    labels = sorted(t.label() for t in report.targets)
    assert [t.households_needed for t in report.targets] == [1, 1]
    assert labels[0].startswith("adopters approved for ages 0-4, a single child")
    assert labels[1].startswith("long-term foster carers approved for ages 5-9, a single child")
    # without the rules (a policy with no risk rule and no one-unit kind) all four go
    text = (
        default_policy_text()
        .replace('need = "fire_setting"', 'need = "self_harm"')
        .replace('one_unit_kinds = ["adopter", "ffa"]', "one_unit_kinds = []")
    )
    assert _round(authority, load_policy(text))[1].children_placed == 4
