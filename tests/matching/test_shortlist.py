"""Shortlist ordering, limits, why-not answers and the printed JSON."""

from __future__ import annotations

import json
from datetime import date

import pytest

from matching.domain import Authority, SiblingLink
from matching.errors import NotFamilyFoundError, NotFoundError
from matching.shortlist import MatchingContext, build_unit, shortlist
from tests.matching.checker import make_child, make_household

AS_OF = date(2026, 6, 1)


def authority() -> Authority:
    children = (
        make_child(child_id="C1"),
        make_child(child_id="C2", date_of_birth=date(2016, 1, 1)),
        make_child(child_id="C3", plan="return_home"),
    )
    households = (
        # a perfect stranger household next door
        make_household(household_id="H9", lat=54.77, lon=-1.57),
        # identical twins: a tie broken by id
        make_household(household_id="H3", provider="ifa", lat=55.0),
        make_household(household_id="H2", provider="ifa", lat=55.0),
        # a distant agency-run connected household for C1 scores less, ranks first
        make_household(
            household_id="H7",
            kind="connected",
            term=None,
            provider="ifa",
            connected_child_ids=("C1",),
            lat=51.5,
            lon=-0.1,
            children_in_home_ages=(8,),
        ),
        make_household(household_id="H5", status="on_hold", approved_max_age=3),
    )
    links = (SiblingLink("C1", "C2", "full", "together"),)
    return Authority(children=children, households=households, links=links)


def test_kinship_first_whatever_the_score() -> None:
    a = authority()
    # C1 alone (no together link) so the connected household is feasible for the unit
    solo = Authority(children=a.children, households=a.households)
    result = shortlist(solo, "C1", as_of=AS_OF)
    ids = [c.household_id for c in result.candidates]
    assert ids == ["H7", "H9", "H2", "H3"]
    assert [c.rank for c in result.candidates] == [1, 2, 3, 4]
    assert result.candidates[0].kinship and not result.candidates[1].kinship
    assert result.candidates[0].score < result.candidates[1].score
    assert result.candidates[2].score == result.candidates[3].score


def test_unit_is_the_whole_together_group() -> None:
    a = authority()
    assert build_unit(a, "C2") == ("C1", "C2")
    result = shortlist(a, "C2", as_of=AS_OF)
    assert result.unit == ("C1", "C2")
    # the connected household knows only C1: excluded for the pair
    assert "H7" not in {c.household_id for c in result.candidates}
    assert result.excluded_counts["connected_to_child"] == 1


def test_top_limits_the_list_and_keeps_the_order() -> None:
    solo = Authority(children=authority().children, households=authority().households)
    full = shortlist(solo, "C1", as_of=AS_OF, top=None)
    for top in (1, 2, 3):
        short = shortlist(solo, "C1", as_of=AS_OF, top=top)
        assert short.candidates == full.candidates[:top]


def test_why_not_names_rules_or_gives_rank_and_score() -> None:
    solo = Authority(children=authority().children, households=authority().households)
    out = shortlist(solo, "C1", as_of=AS_OF, top=1, why_not="H5")
    assert out.why_not is not None
    assert out.why_not.rules == ("status", "age_range")
    assert out.why_not.rank is None and out.why_not.score is None
    inside = shortlist(solo, "C1", as_of=AS_OF, top=1, why_not="H3")
    full = shortlist(solo, "C1", as_of=AS_OF, top=None)
    assert inside.why_not is not None
    assert inside.why_not.rules == ()
    assert inside.why_not.rank == 4
    assert inside.why_not.score == full.candidates[3].score


def test_excluded_counts_list_every_rule_with_zeros() -> None:
    result = shortlist(authority(), "C1", as_of=AS_OF)
    assert list(result.excluded_counts) == [
        "plan_kind",
        "connected_to_child",
        "status",
        "age_range",
        "capacity",
        "will_not_consider",
        "smoker_under_five",
        "requirement",
        "safeguarding_distance",
    ]
    assert result.excluded_counts["status"] == 1
    assert result.excluded_counts["will_not_consider"] == 0


def test_errors() -> None:
    a = authority()
    with pytest.raises(NotFoundError, match="C404"):
        shortlist(a, "C404", as_of=AS_OF)
    with pytest.raises(NotFoundError, match="H404"):
        shortlist(a, "C1", as_of=AS_OF, why_not="H404")
    with pytest.raises(NotFamilyFoundError, match="return_home"):
        shortlist(a, "C3", as_of=AS_OF)


def test_to_dict_is_the_printed_json() -> None:
    out = shortlist(authority(), "C1", as_of=AS_OF, top=2, why_not="H5").to_dict()
    assert list(out) == [
        "unit",
        "policy_version",
        "as_of",
        "candidates",
        "excluded_counts",
        "why_not",
    ]
    assert out["as_of"] == "2026-06-01"
    assert out["policy_version"] == "2026.2"
    first = out["candidates"][0]
    keys = {"household_id", "rank", "score", "kinship", "contributions", "questions"}
    # the tiers explained and the warnings, when there are any
    assert keys <= set(first) <= keys | {"tiers", "warnings"}
    assert set(first["contributions"][0]) == {"criterion", "points", "max_points", "reason"}
    assert out["why_not"] == {
        "household_id": "H5",
        "rules": ["status", "age_range"],
        "rank": None,
        "score": None,
    }
    assert json.loads(json.dumps(out)) == out
    assert "why_not" not in shortlist(authority(), "C1", as_of=AS_OF).to_dict()


def test_a_prepared_context_gives_the_same_answer() -> None:
    a = authority()
    context = MatchingContext.prepare(a)
    assert shortlist(context, "C2", as_of=AS_OF) == shortlist(a, "C2", as_of=AS_OF)
