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
