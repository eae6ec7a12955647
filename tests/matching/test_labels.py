"""The vocabulary of labels covers every code the service stores, and the sentence
helpers write plurals, lists, articles and dates as a person would."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from matching import labels, phrases, vocab
from matching.practice import PLAN_CONFLICT, PLAN_NOT_RECORDED, SIBLING_CONTRADICTION
from matching.rounds.result import (
    APART_FROM_PLACED,
    NO_FEASIBLE_HOUSEHOLD,
    NOT_REACHED,
    TAKEN_BY_OTHERS,
)
from matching.rules import RULE_NAMES
from matching.scoring import CRITERION_NAMES
from models.roles import ROLES

EVERY_CODE = [
    ("ethnicity", vocab.ETHNICITIES),
    ("legal_status", vocab.LEGAL_STATUSES),
    ("plan", vocab.PLANS),
    ("need", vocab.NEED_CODES),
    ("skill", vocab.SKILL_CODES),
    ("requirement", vocab.REQUIREMENTS),
    ("religion", vocab.RELIGIONS),
    ("sex", vocab.SEXES),
    ("child_status", vocab.CHILD_STATUSES),
    ("household_status", vocab.HOUSEHOLD_STATUSES),
    ("household_kind", vocab.HOUSEHOLD_KINDS),
    ("foster_term", vocab.FOSTER_TERMS),
    ("provider", vocab.PROVIDERS),
    ("relationship", vocab.RELATIONSHIPS),
    ("assessment", vocab.ASSESSMENTS),
    ("rule", RULE_NAMES),
    ("criterion", CRITERION_NAMES),
    ("role", ROLES),
    ("warning", (SIBLING_CONTRADICTION, PLAN_CONFLICT, PLAN_NOT_RECORDED)),
    (
        "unplaced_reason",
        (NO_FEASIBLE_HOUSEHOLD, TAKEN_BY_OTHERS, APART_FROM_PLACED, NOT_REACHED),
    ),
    ("solver_status", ("OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN")),
]


@pytest.mark.parametrize(("vocabulary", "codes"), EVERY_CODE, ids=[v for v, _ in EVERY_CODE])
def test_every_stored_code_has_its_own_words(vocabulary: str, codes: object) -> None:
    table = labels.VOCABULARIES[vocabulary]
    missing = sorted(c for c in codes if c not in table)  # type: ignore[attr-defined]
    assert not missing, f"{vocabulary}: no label for {missing}"
    for code in codes:  # type: ignore[attr-defined]
        text = labels.label(vocabulary, code)
        assert text != code and "_" not in text, (vocabulary, code, text)
        assert text[:1].isupper(), text


def test_codes_read_as_words() -> None:
    assert labels.label("ethnicity", "WBRI") == "White British"
    assert labels.label("ethnicity", "OOTH") == "Any other ethnic group"
    assert labels.label("legal_status", "E1") == "Placement order granted"
    assert labels.label("legal_status", "V2") == "Accommodated under section 20 (single period)"
    assert labels.label("plan", "long_term_foster") == "Long-term fostering"
    assert labels.label("solver_status", "OPTIMAL").startswith("The best allocation")
    assert labels.label("provider", "ifa") == "Independent fostering agency"
    assert labels.need_with_level("autism", 2) == "Autism (complex)"
    assert labels.household_kind("foster", "long") == "Long-term foster carers"
    assert labels.household_kind("adopter") == "Adopters"


def test_languages_are_iso_639_names() -> None:
    assert labels.labels("language", ["ku", "en"]) == ["Kurdish", "English"]
    assert labels.label("language", "pol") == "Polish"  # three-letter ISO 639-2
    assert labels.label("language", "bsl") == "British Sign Language"
    assert labels.label("language", "EN") == "English"
    assert labels.label("language", "zz") == "Language zz"  # not a code: said so


def test_unknown_and_missing_codes_still_read() -> None:
    assert labels.label("criterion", "new_criterion") == "New criterion"
    assert labels.label("legal_status", None) == "Not recorded"
    assert labels.label("religion", "") == "Not recorded"
    with pytest.raises(KeyError):
        labels.label("no_such_vocabulary", "x")


def test_a_label_inside_a_sentence_keeps_proper_nouns() -> None:
    assert labels.lower("Long-term fostering") == "long-term fostering"
    assert labels.lower("White British") == "White British"
    assert labels.lower("English") == "English"
    assert labels.lower("Autism") == "autism"
    assert labels.lower("A family who speaks their language").startswith("a family")
    assert labels.lower("BSL users") == "BSL users"


def test_counts_and_plurals() -> None:
    assert phrases.count(1, "place") == "1 place"
    assert phrases.count(3, "place") == "3 places"
    assert phrases.count(0, "vacancy", "vacancies") == "no vacancies"
    assert phrases.count(1, "child", "children") == "1 child"
    assert phrases.count(1200, "child", "children") == "1,200 children"
    assert phrases.days(1) == "1 day" and phrases.days(0) == "0 days"
    assert phrases.plural(2, "household") == "households"


def test_lists_and_articles() -> None:
    assert phrases.join_words([]) == ""
    assert phrases.join_words(["Kurdish"]) == "Kurdish"
    assert phrases.join_words(["Kurdish", "English"]) == "Kurdish and English"
    assert phrases.join_words(["a", "b", "c"], "or") == "a, b or c"
    assert phrases.with_article("language") == "a language"
    assert phrases.with_article("unrelated child") == "an unrelated child"
    assert phrases.with_article("unit") == "a unit"
    assert phrases.with_article("hour") == "an hour"


def test_dates_are_written_out() -> None:
    assert phrases.long_date(date(2026, 3, 3)) == "3 March 2026"
    assert phrases.long_date(None) == "Not recorded"
    assert phrases.long_date(None, empty="–") == "–"
    assert phrases.long_date("2026-01-10") == "10 January 2026"
    assert phrases.long_date("2026-01-10T09:30:00+00:00") == "10 January 2026"
    moment = datetime(2026, 11, 1, 9, 5, tzinfo=UTC)
    assert phrases.date_and_time(moment) == "1 November 2026 at 09:05"


def test_children_at_home_and_room_left() -> None:
    assert phrases.ages_at_home(()) == "no other children"
    assert phrases.ages_at_home((11,)) == "one child aged 11"
    assert phrases.ages_at_home((8, 5)) == "2 children aged 5 and 8"
    assert phrases.not_enough_room("H1", 1) == "H1 has no vacancy left"
    assert phrases.not_enough_room("H1", 3) == "H1 has fewer than 3 vacancies left"
    assert phrases.sentence("needs met") == "Needs met."
