"""Facts a carer register does not record (issue #14): never assumed either way.

A not-recorded smoker, pets or wheelchair access neither excludes a household nor passes
silently: the hard rule does not exclude on an unknown, and the shortlist (and so the
panel paper, which freezes it) carries the question.
"""

from __future__ import annotations

from datetime import date

from matching.domain import Authority
from matching.pool import HouseholdPool
from matching.rules import UnitFeatures, hard_exclusions
from matching.scoring import unrecorded_questions
from matching.shortlist import shortlist
from tests.matching.checker import failing_rules, make_child, make_household

AS_OF = date(2026, 6, 1)


def excluded_by(child_kw: dict[str, object], household_kw: dict[str, object]) -> set[str]:
    child = make_child(**child_kw)
    household = make_household(**household_kw)
    pool = HouseholdPool.from_households([household])
    masks = hard_exclusions(UnitFeatures.from_children([child], AS_OF), pool)
    engine = {name for name, mask in masks.items() if mask[0]}
    assert engine == failing_rules([child], household, AS_OF)  # the oracle agrees
    return engine


def test_a_known_smoker_is_excluded_for_a_baby_and_an_unknown_one_is_not() -> None:
    baby = {"date_of_birth": date(2025, 1, 1)}
    assert "smoker_under_five" in excluded_by(baby, {"smoker": True})
    assert "smoker_under_five" not in excluded_by(baby, {"smoker": None})


def test_unknown_pets_and_access_do_not_exclude_but_known_ones_do() -> None:
    needs_both = {"requirements": frozenset({"no_pets", "wheelchair_access"})}
    assert "requirement" in excluded_by(needs_both, {"pets": True, "wheelchair_access": True})
    assert "requirement" in excluded_by(needs_both, {"pets": False, "wheelchair_access": False})
    assert "requirement" not in excluded_by(needs_both, {"pets": None, "wheelchair_access": None})


def test_each_unknown_that_matters_is_a_question_and_the_rest_are_not() -> None:
    child = make_child(
        date_of_birth=date(2023, 1, 1),
        requirements=frozenset({"no_pets", "wheelchair_access"}),
        languages=("pl",),
        religion="muslim",
    )
    unit = UnitFeatures.from_children([child], AS_OF)
    unknown = make_household(
        smoker=None, pets=None, wheelchair_access=None, languages=(), religion=None
    )
    questions = unrecorded_questions(unit, unknown)
    assert len(questions) == 5
    assert any("smokes" in q and "under five" in q for q in questions)
    assert any("pets" in q and "cannot live with pets" in q for q in questions)
    assert any("wheelchair access" in q for q in questions)
    # issue #15: the child's languages and religion in words, not codes
    assert any("languages" in q and "Polish" in q for q in questions)
    assert any("religion" in q and "Muslim" in q for q in questions)
    known = make_household(languages=("pl",), religion="muslim", wheelchair_access=True)
    assert unrecorded_questions(unit, known) == []
    # an older child with no such requirement: an unknown smoker is no question
    older = UnitFeatures.from_children([make_child(date_of_birth=date(2014, 1, 1))], AS_OF)
    assert unrecorded_questions(older, make_household(smoker=None, pets=None)) == []


def test_the_shortlist_keeps_the_household_and_asks() -> None:
    baby = make_child(child_id="C1", date_of_birth=date(2025, 1, 1))
    unknown = make_household(household_id="H1", smoker=None)
    smoker = make_household(household_id="H2", smoker=True)
    result = shortlist(Authority(children=(baby,), households=(unknown, smoker)), "C1", as_of=AS_OF)
    assert [c.household_id for c in result.candidates] == ["H1"]
    assert any("smokes" in q for q in result.candidates[0].questions)
