"""The gap report in words (issue #15 item 5): bands for the households to recruit,
areas named without coordinates, profiles and what-if households without codes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.gaps.suppression import households_band
from matching.gaps.targets import area_words, parse_add_spec
from matching.gaps.words import (
    age_range,
    household_profile_words,
    target_sentence,
    unit_profile_words,
    what_if_words,
)
from matching.results import HouseholdProfileView, TargetArea, TargetProfile, UnitProfileView
from tests.sentences import problems

CENTRE = (54.75, -1.6)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0, "none"),
        (1, "fewer than 5"),
        (4, "fewer than 5"),
        (5, "about 5"),
        (7, "about 5"),
        (8, "about 10"),
        (12, "about 10"),
        (13, "about 15"),
        (1234, "about 1,235"),
    ],
)
def test_households_to_recruit_are_rounded_to_the_nearest_5(value: int, words: str) -> None:
    assert households_band(value) == words


@given(st.integers(min_value=1, max_value=10_000))
def test_a_band_is_never_one_household_and_is_within_half_a_step(value: int) -> None:
    words = households_band(value)
    if value < 5:
        assert words == "fewer than 5"
    else:
        shown = int(words.removeprefix("about ").replace(",", ""))
        assert shown % 5 == 0 and abs(shown - value) <= 2.5


def test_areas_are_named_from_the_centre_never_by_coordinates() -> None:
    assert area_words(CENTRE, 25, CENTRE) == "within 25 km of the authority's centre"
    north_east = area_words((54.9, -1.35), 25, CENTRE)
    assert north_east.startswith("within 25 km of a point about ")
    assert north_east.endswith(" km north-east of the authority's centre")
    west = area_words((54.75, -2.3), 10, CENTRE)
    assert west.endswith("km west of the authority's centre")
    assert area_words((54.9, -1.35), 25, None) == (
        "within 25 km of the children's family-time area"
    )
    for text in (north_east, west):
        assert not re.search(r"\d+\.\d+", text)


def test_profiles_and_targets_read_as_words() -> None:
    unit = UnitProfileView(
        plan="long_term_foster",
        age_band="10-15",
        size_band="3+",
        need_level="complex",
        key_needs=("autism", "self_harm"),
        label="",
    )
    assert unit_profile_words(unit) == (
        "Long-term fostering, aged 10 to 15, sibling groups of 3 or more, complex needs "
        "including autism and self-harm"
    )
    carers = HouseholdProfileView(
        kind="foster/long",
        age_bands=("0-4", "5-9", "16+"),
        places_band="1",
        skills=("emotional_behavioural",),
        label="",
    )
    assert household_profile_words(carers) == (
        "Long-term foster carers for ages 0 to 9 and 16 or over, 1 place, skilled in "
        "emotional and behavioural needs"
    )
    target = TargetProfile(
        kind="adopter",
        ages="0-4",
        places=2,
        skills=(),
        wheelchair_access=True,
        near=TargetArea(
            lat=54.9, lon=-1.35, radius_km=25, area=area_words((54.9, -1.35), 25, CENTRE)
        ),
        label="",
    )
    sentence = target_sentence(target, "c", "fewer than 5", "c")
    assert sentence.startswith(
        "Adopters approved for ages 0 to 4, for sibling groups of 2, with wheelchair access, "
        "within 25 km of a point about"
    )
    assert sentence.endswith(": recruit fewer than 5 households, to place a few children.")
    assert "54.9" not in sentence
    # published before areas were named: still no coordinates
    old = target.model_copy(update={"near": TargetArea(lat=54.9, lon=-1.35, radius_km=25)})
    assert "54.9" not in target_sentence(old, 12, None, 30)
    assert target_sentence(old, 12, None, 30).endswith(
        "recruit 12 households, to place 30 children."
    )
    for text in (unit_profile_words(unit), household_profile_words(carers), sentence):
        assert not problems(text), text


def test_what_if_households_in_words() -> None:
    many = parse_add_spec("kind=foster,term=long,ages=10-15,places=2,count=5,skills=autism")
    assert what_if_words(many) == (
        "5 long-term foster carers approved for ages 10 to 15, for sibling groups of up to 2 "
        "each, skilled in autism, living near the authority's centre"
    )
    one = parse_add_spec("kind=residential,ages=16-17")
    assert what_if_words(one).startswith("one children's home approved for ages 16 to 17")
    assert age_range(("0-4", "10-15")) == "0 to 4 and 10 to 15"
    for text in (what_if_words(many), what_if_words(one)):
        assert not problems(text), text
