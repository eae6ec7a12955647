"""Rounding and scrubbing of the recruitment team's gap report (matching.disclosure)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.disclosure import (
    PROTECTION_NOTE,
    published_for_recruitment,
    rounded_count,
    scrub_figures,
)
from matching.gaps import gap_report
from matching.results import GapDocument
from matching.synthetic import generate_authority

AS_OF = date(2026, 6, 1)


@pytest.fixture(scope="module")
def report() -> Any:
    authority = generate_authority(300, 150, seed=3, as_of=AS_OF)
    return gap_report(authority, as_of=AS_OF)


def test_counts_round_to_the_nearest_ten_halves_up() -> None:
    assert [rounded_count(v) for v in (0, 6, 14, 15, 24, 25, 1234)] == [
        0,
        10,
        10,
        20,
        20,
        30,
        1230,
    ]
    assert rounded_count("c") == "c"
    assert rounded_count(3) == "c"  # never shown as 0: a zero is a true zero


@given(st.integers(min_value=6, max_value=10**6))
def test_a_rounded_count_is_within_five_and_a_multiple_of_ten(value: int) -> None:
    rounded = rounded_count(value)
    assert isinstance(rounded, int) and rounded % 10 == 0 and abs(rounded - value) <= 5


@given(st.integers(min_value=6, max_value=10**5), st.integers(min_value=6, max_value=10**5))
def test_two_rounded_counts_never_differ_by_a_single_child(a: int, b: int) -> None:
    difference = abs(int(rounded_count(a)) - int(rounded_count(b)))
    assert difference == 0 or difference >= 10


def test_figures_are_scrubbed_from_text_but_words_stay() -> None:
    text = "feasibility graph of 151 units, 1,250 households and k3 (placed 12, bound 14.5)"
    assert scrub_figures(text) == (
        "feasibility graph of n units, n households and k3 (placed n, bound n)"
    )


def _counts(value: Any, field: str = "") -> list[Any]:
    """Every value of a published count in the report's JSON."""
    counts_fields = {
        "children_waiting", "units_waiting", "children_placeable", "children_unplaceable",
        "units_unplaceable", "children_placeable_with_targets", "waiting_units",
        "waiting_children", "feasible_households", "vacancies_in_feasible_households",
        "waiting", "unplaceable", "households", "vacancies", "households_needed",
        "children_placed", "units", "children",
    }  # fmt: skip
    if isinstance(value, dict):
        return [c for key, item in value.items() for c in _counts(item, key)]
    if isinstance(value, list):
        return [c for item in value for c in _counts(item, field)]
    return [value] if field in counts_fields and not isinstance(value, list) else []


def test_the_recruitment_view_rounds_every_count_and_says_what_protects_it(report: Any) -> None:
    document = GapDocument.from_report(report)
    published = published_for_recruitment(document, publication="as of 2026-06-01")
    counts = _counts(published.as_json())
    assert counts and all(c == "c" or c % 10 == 0 for c in counts)
    assert any(isinstance(c, int) and c > 0 for c in counts)
    assert published.method["suppression"] == PROTECTION_NOTE
    assert published.method["publication"] == "as of 2026-06-01"
    assert not any(ch.isdigit() for ch in published.method["feasibility"])
    # what is not a count stays as it was: profiles, the policy's settings, the date
    assert published.by_profile[0].profile == document.by_profile[0].profile
    assert published.method["profiles"] == document.method["profiles"]
    assert published.as_of == document.as_of


def test_an_exact_report_is_never_published(report: Any) -> None:
    exact = GapDocument.from_report(
        gap_report(generate_authority(60, 30, seed=1, as_of=AS_OF), as_of=AS_OF, suppress=False)
    )
    with pytest.raises(ValueError, match="only a suppressed report"):
        published_for_recruitment(exact)
