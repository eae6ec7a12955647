"""The sentence audit's own checks: it finds each mistake it is for, and passes the
sentences the phrase helpers write."""

from __future__ import annotations

from datetime import date

import pytest

from matching import labels, phrases
from tests.sentences import page_words, problems


@pytest.mark.parametrize(
    "bad",
    [
        "The household has fewer than 1 vacancies",
        "Shares the child's a language (en)",
        "Children in the home 11",
        "Approved for 1 places",
        "Ethnicity WBRI",
        "Legal status E1",
        "Status OPTIMAL",
        "plan long_term_foster",
        "as of 2026-03-03",
        "a unusual a apple",
        "within 25 km of the family-time area (54.77, -1.57)",
        "foster/long for ages 10-15",
        "kind=foster,term=long,ages=10-15",
    ],
)
def test_the_audit_finds_what_a_reader_trips_over(bad: str) -> None:
    assert problems(bad), bad


def test_the_phrase_helpers_write_what_the_audit_passes() -> None:
    sentences = [
        phrases.count(1, "place"),
        phrases.count(1, "vacancy", "vacancies"),
        phrases.not_enough_room("H1", 1),
        phrases.ages_at_home((11,)),
        phrases.with_article("unrelated child"),
        phrases.with_article("unit"),
        phrases.long_date(date(2026, 3, 3)),
        labels.label("ethnicity", "WBRI"),
        labels.label("legal_status", "E1"),
        labels.label("solver_status", "OPTIMAL"),
        labels.label("plan", "long_term_foster"),
    ]
    for sentence in sentences:
        assert not problems(sentence), sentence


def test_page_words_are_what_a_person_reads() -> None:
    page = '<p class="long_term_foster">Dee &amp; Eli<script>var a_b = 1</script></p>'
    assert page_words(page).strip() == "Dee & Eli"


def test_the_gap_page_and_round_sentences_pass_the_audit() -> None:
    """Every sentence the gap page and the rounds write from their parts, over the
    parts' range: bands, profiles, targets, what-if households, carers needed."""
    import itertools

    from matching.gaps.suppression import households_band
    from matching.gaps.targets import HYPOTHETICAL_KINDS, AddSpec, area_words
    from matching.gaps.words import target_sentence, unit_profile_words, what_if_words
    from matching.results import TargetArea, TargetProfile, UnitProfileView, UnplacedUnit
    from matching.round_sentences import carer_profile, unplaced_sentence
    from matching.vocab import PLANS
    from tests.api.test_pages_round_reading import _child

    sentences = [households_band(n) for n in range(0, 40)]
    for plan, band, size, level in itertools.product(
        PLANS, ("0-4", "10-15", "16+"), ("1", "2", "3+"), ("none", "additional", "complex")
    ):
        view = UnitProfileView(
            plan=plan, age_band=band, size_band=size, need_level=level, key_needs=(), label=""
        )
        sentences.append(unit_profile_words(view))
    centre = (54.75, -1.6)
    for kind, places, households, children in itertools.product(
        ("foster/long", "adopter", "ffa", "residential", "connected"),
        (1, 3),
        (1, "c", 12),
        ("c", 0, 1, 30),
    ):
        near = TargetArea(
            lat=54.9, lon=-1.4, radius_km=25, area=area_words((54.9, -1.4), 25, centre)
        )
        profile = TargetProfile(
            kind=kind,
            ages="0-4",
            places=places,
            skills=("sen",),
            wheelchair_access=False,
            near=near,
            label="",
        )
        band = households_band(households) if isinstance(households, int) else None
        sentences.append(target_sentence(profile, households, band, children))
    for kind, count, places in itertools.product(sorted(HYPOTHETICAL_KINDS), (1, 2), (1, 3)):
        term = "both" if kind == "foster" else None
        spec = AddSpec(kind=kind, term=term, min_age=0, max_age=17, places=places, count=count)
        sentences.append(what_if_words(spec))
    on = date(2026, 6, 1)
    for plan, born, size, room in itertools.product(
        PLANS, (date(2026, 1, 1), date(2018, 1, 1), date(2011, 1, 1)), (1, 2), (1, 2)
    ):
        children = [_child(f"X{i}", born, plan, {"autism": 2}) for i in range(size)]
        carers = carer_profile(children, on)
        for reason, fields in (
            (
                "no_feasible_household",
                {"households_passing_hard_rules": 0, "households_needing_room": room},
            ),
            (
                "no_feasible_household",
                {"households_passing_hard_rules": 0, "excluded_counts": {"age_range": 3}},
            ),
            (
                "no_feasible_household",
                {"households_passing_hard_rules": 0, "excluded_counts": {"plan_kind": 3}},
            ),
        ):
            unit = UnplacedUnit(children=("X1",), reason=reason, reasons=(), **fields)  # type: ignore[arg-type]
            sentences.append(unplaced_sentence(unit, {"X1": "Ava"}, carers))
    for sentence in sentences:
        assert not problems(sentence), sentence
