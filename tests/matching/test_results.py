"""The typed results: their JSON is exactly what the engines' views held (plus the
version), they are frozen, and they refuse what they do not know."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from matching.csv_format import read_authority
from matching.domain import Authority
from matching.gaps import gap_report, parse_add_spec
from matching.results import SCHEMA_VERSION, GapDocument, ShortlistDocument
from matching.shortlist import MatchingContext, shortlist
from matching.synthetic import generate_authority

AS_OF = date(2026, 6, 1)
TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny"


def tiny_authority() -> Authority:
    with (
        (TINY / "children.csv").open("rb") as c,
        (TINY / "households.csv").open("rb") as h,
        (TINY / "sibling_links.csv").open("rb") as links,
    ):
        return read_authority(c, h, links, as_of=AS_OF)


def without_version(data: dict[str, Any]) -> dict[str, Any]:
    assert data["schema_version"] == SCHEMA_VERSION
    return {k: v for k, v in data.items() if k != "schema_version"}


@pytest.mark.parametrize("suppress", [True, False])
def test_the_gap_document_is_the_published_report_with_its_version(suppress: bool) -> None:
    # An authority short of carers: unplaceable children, targets, personas, a what-if.
    authority = generate_authority(160, 30, seed=4, as_of=AS_OF)
    add = [parse_add_spec("kind=foster,term=long,ages=10-15,places=2,count=2")]
    report = gap_report(authority, as_of=AS_OF, suppress=suppress, add=add)
    published = report.to_dict()
    assert published["recruitment_targets"] and published["personas"]
    document = GapDocument.from_report(report)
    assert without_version(document.as_json()) == published
    # the same keys in the same order: the printed JSON differs only by the version
    assert list(without_version(document.as_json())) == list(published)
    assert document.what_if is not None and document.what_if.households_added == 2


def test_a_report_without_what_if_has_no_what_if_key() -> None:
    report = gap_report(tiny_authority(), as_of=AS_OF)
    assert "what_if" not in GapDocument.from_report(report).as_json()
    assert without_version(GapDocument.from_report(report).as_json()) == report.to_dict()


def test_the_shortlist_document_adds_names_pool_size_and_fingerprint() -> None:
    authority = tiny_authority()
    context = MatchingContext.prepare(authority)
    result = shortlist(context, "C001", as_of=AS_OF, why_not="H002")
    names = {h.household_id: h.name for h in authority.households}
    document = ShortlistDocument.from_result(
        result,
        child_id="C001",
        names=names,
        households_in_pool=len(authority.households),
        inputs_fingerprint="f" * 64,
    )
    expected = result.to_dict()
    for candidate in expected["candidates"]:
        candidate["name"] = names[candidate["household_id"]]
    expected |= {
        "child_id": "C001",
        "n_feasible": result.n_feasible,
        "households_in_pool": 11,
        "inputs_fingerprint": "f" * 64,
    }
    assert without_version(document.as_json()) == expected
    assert document.why_not is not None and document.why_not.household_id == "H002"
    assert document.candidate(document.candidates[0].household_id) is document.candidates[0]
    assert document.candidate("H999") is None


def test_results_are_frozen_and_refuse_unknown_keys_and_newer_versions() -> None:
    report = gap_report(tiny_authority(), as_of=AS_OF)
    document = GapDocument.from_report(report)
    with pytest.raises(ValidationError):
        document.suppressed = False  # type: ignore[misc]
    with pytest.raises(ValidationError, match="colour"):
        GapDocument.model_validate({**document.as_json(), "colour": "blue"})
    with pytest.raises(ValidationError, match="schema_version"):
        GapDocument.model_validate({**document.as_json(), "schema_version": SCHEMA_VERSION + 1})
