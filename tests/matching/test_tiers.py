"""Issue 12: kinship first everywhere, needs first, and permanence (policy tiers).

Each test is a case a practitioner would check, built so that it fails without its rule:
the household that must come first scores LOWER than the one it must beat, so only the
tier (not the score) can put it first.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.domain import Authority
from matching.errors import PolicyError
from matching.feasibility import build_instance
from matching.instance import MatchingInstance, RoundHousehold, RoundUnit
from matching.policy import default_policy, default_policy_text, load_policy
from matching.rounds import RoundParams, solve_round
from matching.rounds.random_instance import random_instance
from matching.shortlist import shortlist
from tests.matching.checker import failing_rules, make_child, make_household
from tests.matching.round_checker import check_round, round_problems

AS_OF = date(2026, 6, 1)


def _round_home(authority: Authority, child_id: str) -> str | None:
    feasibility = build_instance(authority, as_of=AS_OF)
    instance = feasibility.instance
    params = RoundParams(mode="allocate", time_limit_s=5)
    result = solve_round(instance, params)
    check_round(instance, result, params)
    for u, unit in enumerate(instance.units):
        if child_id in unit.children and result.assignments[u]:
            return instance.households[result.assignments[u][0][0]].household_id
    return None


def _baby_and_grandparents() -> Authority:
    baby = make_child(
        child_id="C1", first_name="Rae", date_of_birth=date(2026, 1, 10), plan="adoption"
    )
    # connected grandparents, approved for ages 5-17 and smokers: for strangers both
    # would exclude them from a baby
    grandparents = make_household(
        household_id="H1",
        name="Grandparents",
        kind="connected",
        term=None,
        connected_child_ids=("C1",),
        approved_min_age=5,
        approved_places=1,
        max_sibling_group=1,
        vacancies=1,
        smoker=True,
        ethnicities=("WIRI",),
        religion="christian",
        lat=55.3,
        lon=-1.9,
    )
    adopters = make_household(
        household_id="H2",
        name="Stranger adopters",
        kind="adopter",
        term=None,
        provider="raa",
        approved_max_age=4,
        approved_places=1,
        max_sibling_group=1,
        vacancies=1,
        approved_on=date(2024, 1, 1),
    )
    return Authority(children=(baby,), households=(grandparents, adopters))


def test_a_baby_with_connected_grandparents_gets_them_in_a_round_not_stranger_adopters() -> None:
    authority = _baby_and_grandparents()
    result = shortlist(authority, "C1", as_of=AS_OF)
    by_id = {c.household_id: c for c in result.candidates}
    # the strangers score higher: only kinship first puts the grandparents ahead
    assert by_id["H2"].score > by_id["H1"].score
    assert [c.household_id for c in result.candidates] == ["H1", "H2"]
    assert _round_home(authority, "C1") == "H1"


def test_kin_with_an_age_range_and_smoking_are_shortlisted_with_questions() -> None:
    authority = _baby_and_grandparents()
    kin = shortlist(authority, "C1", as_of=AS_OF).candidates[0]
    assert kin.household_id == "H1" and kin.kinship
    assert [w.code for w in kin.warnings] == ["kinship_age_range", "kinship_smoker"]
    assert kin.warnings[0].message.startswith("Approved for ages 5–17; the child is 0:")
    assert "smoke-free home must be agreed" in kin.warnings[1].message
    assert kin.tiers[0].tier == "kinship" and kin.tiers[0].met
    assert "s.22C(7)(a)" in kin.tiers[0].reason
    # the independent checker agrees the rules do not exclude them
    children = [authority.child("C1")]
    assert failing_rules(children, authority.households[0], AS_OF) == set()


def test_an_approval_range_lapsing_on_the_birthday_excludes_strangers_not_kin() -> None:
    # Eli turns 7 on the reference date; both households are approved for ages 0-6
    eli = make_child(child_id="C1", first_name="Eli", date_of_birth=date(2019, 6, 1))
    aunt = make_household(
        household_id="H1", kind="connected", term=None, connected_child_ids=("C1",),
        approved_max_age=6,
    )  # fmt: skip
    stranger = make_household(household_id="H2", approved_max_age=6)
    authority = Authority(children=(eli,), households=(aunt, stranger))
    result = shortlist(authority, "C1", as_of=AS_OF, why_not="H2")
    assert [c.household_id for c in result.candidates] == ["H1"]
    assert result.why_not is not None and result.why_not.rules == ("age_range",)
    warning, lasting = result.candidates[0].warnings
    assert warning.code == "kinship_age_range"
    assert warning.message.startswith("Approved for ages 0–6; the child is 7:")
    # a long-term plan: the approval to 6 is also a question of permanence
    assert lasting.code == "approval_ends_before_18"


def test_smoking_kin_are_a_question_for_an_under_five_but_a_childs_own_requirement_excludes() -> (
    None
):
    toddler = make_child(child_id="C1", date_of_birth=date(2023, 1, 1))
    kin = make_household(
        household_id="H1", kind="connected", term=None, connected_child_ids=("C1",), smoker=True
    )
    stranger = make_household(household_id="H2", smoker=True)
    authority = Authority(children=(toddler,), households=(kin, stranger))
    result = shortlist(authority, "C1", as_of=AS_OF, why_not="H2")
    assert [c.household_id for c in result.candidates] == ["H1"]
    assert [w.code for w in result.candidates[0].warnings] == ["kinship_smoker"]
    assert result.why_not is not None and result.why_not.rules == ("smoker_under_five",)
    # a child who must not live with smokers (asthma, say): kin who smoke are excluded too
    asthmatic = dataclasses.replace(toddler, requirements=("no_smokers",))
    authority = Authority(children=(asthmatic,), households=(kin, stranger))
    assert shortlist(authority, "C1", as_of=AS_OF).candidates == ()


def _complex_child_and_two_homes() -> Authority:
    needs = {"autism": 2, "learning_disability": 2, "complex_health": 2}
    child = make_child(child_id="C1", needs=needs)
    # in-house, near, the same identity, skilled in all three, but accepts each only at
    # the additional level
    partial = make_household(
        household_id="H1",
        name="Additional only",
        will_consider={code: 1 for code in needs},
        skills=tuple(needs),
    )
    # an agency household further away, no recorded skills, that accepts all three at
    # the complex level
    meets = make_household(
        household_id="H2",
        name="Meets every need",
        provider="ifa",
        weekly_cost=950.0,
        will_consider=dict(needs),
        ethnicities=("BAFR",),
        religion="christian",
        lat=54.95,
        lon=-1.2,
    )
    return Authority(children=(child,), households=(partial, meets))


def test_a_household_meeting_every_need_ranks_above_one_meeting_them_only_in_part() -> None:
    authority = _complex_child_and_two_homes()
    result = shortlist(authority, "C1", as_of=AS_OF)
    by_id = {c.household_id: c for c in result.candidates}
    # the in-house credit, identity and skills outweigh the needs criterion: a score alone
    # would rank the partial household first (the finding)
    assert by_id["H1"].score > by_id["H2"].score
    assert [c.household_id for c in result.candidates] == ["H2", "H1"]
    needs_line = {t.tier: t for t in by_id["H1"].tiers}["needs_met"]
    assert not needs_line.met
    assert "autism only at additional level" in needs_line.reason
    assert {t.tier: t.met for t in by_id["H2"].tiers}["needs_met"]
    # the score is still the sum of its named contributions; the tier is its own line
    for c in result.candidates:
        assert c.score == pytest.approx(sum(x.points for x in c.contributions))
        assert "needs_met" not in {x.criterion for x in c.contributions}
    assert _round_home(authority, "C1") == "H2"


def _eight_year_old_and_two_long_term_homes() -> Authority:
    child = make_child(child_id="C1", first_name="Sam")  # 8 on the reference date
    ends_at_8 = make_household(
        household_id="H1",
        name="Approved to 8",
        approved_max_age=8,
        children_in_home_ages=(7, 8),
    )
    to_18 = make_household(
        household_id="H2",
        name="Approved to 17",
        provider="private",
        weekly_cost=1100.0,
        ethnicities=("BCRB",),
        religion="muslim",
        languages=("pl",),
        lat=55.6,
        lon=-1.6,
    )
    return Authority(children=(child,), households=(ends_at_8, to_18))


def test_the_eight_year_old_long_term_case() -> None:
    authority = _eight_year_old_and_two_long_term_homes()
    result = shortlist(authority, "C1", as_of=AS_OF)
    by_id = {c.household_id: c for c in result.candidates}
    assert by_id["H1"].score > by_id["H2"].score  # the score alone prefers the 0-8 home
    assert [c.household_id for c in result.candidates] == ["H2", "H1"]
    (warning,) = by_id["H1"].warnings
    assert warning.code == "approval_ends_before_18"
    assert warning.message == (
        "Approved to age 8; the child is 8: discuss re-approval before a long-term match."
    )
    assert by_id["H2"].warnings == ()
    # scored down too: the approval covers 1 of the 10 years to 18
    points = {c.household_id: {x.criterion: x for x in c.contributions} for c in result.candidates}
    low, full = points["H1"]["permanence"], points["H2"]["permanence"]
    assert full.points == pytest.approx(full.max_points)
    assert low.points == pytest.approx(full.max_points / 10)
    assert low.reason == "Approved to age 8: covers 1 year of the 10 years until the child turns 18"
    assert _round_home(authority, "C1") == "H2"


def test_a_unit_whose_homes_are_all_in_one_tier_is_not_put_behind_others() -> None:
    # two children, one vacancy that meets neither's needs fully: the tier is the same
    # for both, so the round's usual order (priority, then score) decides
    first = make_child(child_id="C1", needs={"autism": 2}, plan_date=date(2024, 1, 1))
    second = make_child(child_id="C2", plan_date=date(2026, 5, 1))
    home = make_household(household_id="H1", vacancies=1, will_consider={"autism": 1})
    authority = Authority(children=(first, second), households=(home,))
    assert _round_home(authority, "C1") == "H1"


# -- rounds: the kernel's tier level, the invariant, the checker ------------------------


def test_a_tier_outweighs_every_score_of_the_round_and_the_objective_is_the_score() -> None:
    # unit 0 may go to H0 (score 90, tier 0) or H1 (score 10, tier 1); unit 1 only to H0
    instance = MatchingInstance(
        units=(RoundUnit(("A",), 3.0), RoundUnit(("B",), 1.0)),
        households=(RoundHousehold("H0", 1), RoundHousehold("H1", 1)),
        pair_unit=np.array([0, 0, 1], dtype=np.int32),
        pair_household=np.array([0, 1, 0], dtype=np.int32),
        pair_score=np.array([90.0, 10.0, 20.0]),
        pair_tier=np.array([0, 1, 0], dtype=np.int64),
    )
    params = RoundParams(mode="allocate", time_limit_s=2)
    result = solve_round(instance, params)
    check_round(instance, result, params)
    assert [a[0][0] for a in result.assignments] == [1, 0]
    assert result.status == "OPTIMAL"
    assert result.objective == pytest.approx(3.0 * 10 + 1.0 * 20)
    # without the tier the score decides: unit 0 takes H0 and unit 1 is left out
    plain = dataclasses.replace(instance, pair_tier=np.zeros(0, np.int64))
    assert [len(a) for a in solve_round(plain, params).assignments] == [1, 1]  # still both
    shortlist_params = RoundParams(mode="shortlist", per_unit=1, max_appearances=1, time_limit_s=2)
    listed = solve_round(instance, shortlist_params)
    check_round(instance, listed, shortlist_params)
    assert listed.assignments[0][0][0] == 1


def test_the_checker_rejects_a_unit_left_below_a_higher_tier_with_room() -> None:
    instance = MatchingInstance(
        units=(RoundUnit(("A",), 1.0),),
        households=(RoundHousehold("H0", 1), RoundHousehold("H1", 1)),
        pair_unit=np.array([0, 0], dtype=np.int32),
        pair_household=np.array([0, 1], dtype=np.int32),
        pair_score=np.array([90.0, 10.0]),
        pair_tier=np.array([0, 4], dtype=np.int64),
    )
    params = RoundParams(mode="allocate", time_limit_s=2)
    good = solve_round(instance, params)
    assert good.assignments == (((1, 10.0),),)
    bad = dataclasses.replace(good, assignments=(((0, 90.0),),), objective=90.0, best_bound=90.0)
    assert any("higher tier" in p for p in round_problems(instance, bad, params))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(2, 30),
    st.integers(1, 15),
    st.floats(0.0, 0.5),
    st.floats(0.0, 0.4),
    st.floats(0.0, 0.3),
    st.integers(0, 10_000),
)
def test_no_unit_is_given_a_stranger_while_its_kin_household_is_left_with_room(
    n_units: int, n_households: int, siblings: float, apart: float, kin: float, seed: int
) -> None:
    base = random_instance(
        n_units,
        n_households,
        sibling_share=siblings,
        apart_share=apart,
        min_feasible=1,
        max_feasible=6,
        seed=seed,
    )
    rng = np.random.default_rng(seed)
    # a few kin pairs (the top tier, code 4), the rest needs met or not, lasting or not
    tiers = rng.integers(0, 4, base.n_pairs) + 4 * (rng.random(base.n_pairs) < kin)
    instance = dataclasses.replace(base, pair_tier=tiers.astype(np.int64))
    for mode in ("allocate", "shortlist"):
        params = RoundParams(mode=mode, time_limit_s=1.0, per_unit=2, max_appearances=2)
        result = solve_round(instance, params)
        check_round(instance, result, params)  # includes the tier invariant
    # and the tiers never cost a child: as many placed as without them
    params = RoundParams(mode="allocate", time_limit_s=1.0)
    with_tiers = solve_round(instance, params)
    without = solve_round(base, params)
    if with_tiers.status == "OPTIMAL" and without.status == "OPTIMAL":
        assert with_tiers.children_placed == without.children_placed


# -- policy ---------------------------------------------------------------------------


def test_every_tier_of_the_default_policy_names_its_source() -> None:
    policy = default_policy()
    assert [t.name for t in policy.tiers] == ["kinship", "needs_met", "permanence"]
    assert all(t.source for t in policy.tiers)


def test_a_policy_without_tiers_keeps_kinship_first() -> None:
    text = default_policy_text()
    head, _, rest = text.partition("\n[[tiers]]\n")
    rest = rest[rest.index("[needs]") :]
    policy = load_policy(head + "\n" + rest)
    assert [t.name for t in policy.tiers] == ["kinship"]


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ('[[tiers]]\nname = "cost"\nsource = "x"\n', "unknown tier 'cost'"),
        (
            '[[tiers]]\nname = "kinship"\nsource = "x"\n'
            '[[tiers]]\nname = "kinship"\nsource = "y"\n',
            "each tier at most once",
        ),
    ],
)
def test_a_bad_tier_is_refused(tiers: str, message: str) -> None:
    text = default_policy_text()
    head, _, rest = text.partition("\n[[tiers]]\n")
    rest = rest[rest.index("[needs]") :]
    with pytest.raises(PolicyError, match=message):
        load_policy(head + "\n" + tiers + rest)
