"""The SSDA903 return as children (issue #14), on files built to the 2026-27 code lists
(fixtures/ssda903/return_2026_27, hand-made, synthetic) and on the fake files that the
DfE return's open-source validator ships (fixtures/ssda903/validator_fake, MIT)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from matching.errors import ValidationError
from matching.ssda903 import annex_a_plan, parse_dfe_date, read_ssda903

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ssda903"
RETURN = FIXTURES / "return_2026_27"
AS_OF = date(2026, 11, 1)


def files(directory: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes() for p in directory.glob("*.csv") if p.name != "sibling_links.csv"
    }


def read(plans: str | None = "plans.csv", **changes: bytes) -> dict[str, object]:
    result = read_ssda903(
        {**files(RETURN), **changes},
        plans=None if plans is None else (FIXTURES / plans).read_bytes(),
        plans_name=plans or "plans.csv",
        as_of=AS_OF,
    )
    return {"result": result, "by_id": {c.child_id: c for c in result.children}}


def test_every_looked_after_child_is_imported_with_plan_status_and_legal_status() -> None:
    got = read()
    by_id = got["by_id"]
    assert sorted(by_id) == ["1001", "1002", "1003", "1004", "1008", "1009", "1010"]  # type: ignore[arg-type]
    expected = {
        # long-term plan in a long-term placement (U4): placed; in a short-term one: waiting
        "1001": ("long_term_foster", "placed", "C2"),
        "1002": ("long_term_foster", "waiting", "C2"),
        # an open placed-for-adoption record: placed
        "1003": ("adoption", "placed", "E1"),
        # matched (AD1 DATE_MATCH) but not yet placed
        "1004": ("adoption", "matched", "E1"),
        "1008": ("supported_living", "waiting", "V2"),
        # no plans row: imported, needing a plan recorded, never guessed
        "1009": ("not_recorded", "waiting", "C2"),
        "1010": ("not_recorded", "waiting", "C2"),
    }
    for child_id, (plan, status, legal) in expected.items():
        child = by_id[child_id]  # type: ignore[index]
        assert (child.plan, child.status, child.legal_status) == (plan, status, legal), child_id


def test_dates_come_from_the_period_of_care_and_the_first_e1_episode() -> None:
    by_id = read()["by_id"]
    adopted = by_id["1003"]  # type: ignore[index]
    assert adopted.entered_care_on == date(2024, 1, 10)  # the S episode, not the latest
    assert adopted.placement_order_on == date(2025, 9, 1)  # the first E1 episode
    assert adopted.plan_date == date(2025, 9, 1)  # DD/MM/YYYY in the plans file
    assert by_id["1001"].placement_order_on is None  # type: ignore[index]


def test_left_out_children_are_counted_by_reason() -> None:
    result = read()["result"]
    assert result.left_out == {  # type: ignore[attr-defined]
        "no longer looked after on the reference date": 1,  # 1007 ceased in May
        "short breaks only (V3/V4)": 1,  # 1005
        "18 or over on the reference date": 1,  # 1006
    }


def test_needs_and_facts_from_the_return() -> None:
    by_id = read()["by_id"]
    young = by_id["1009"]  # type: ignore[index]
    assert young.needs == {"missing_episodes": 1, "substance_misuse": 1, "emotional_behavioural": 1}
    assert young.facts["missing_12m"] == "2"  # the 2025 episode is older than a year
    assert young.facts["young_mother"] == "yes"
    assert young.facts["previous_permanence"].startswith("P2")
    assert young.facts["placement_moves_12m"] == "2"
    assert by_id["1008"].needs == {"uasc": 1}  # type: ignore[index]
    assert by_id["1001"].facts["placement_type"] == "U4"  # type: ignore[index]


def test_the_annex_a_list_maps_plans_and_leaves_sgo_cao_to_a_person() -> None:
    got = read("annex_a_list8.csv")
    by_id, result = got["by_id"], got["result"]
    assert by_id["1001"].plan == "long_term_foster"  # type: ignore[index]
    assert by_id["1008"].plan == "supported_living"  # type: ignore[index]
    assert by_id["1010"].plan == "not_recorded"  # type: ignore[index]
    (note,) = [n for n in result.notes if n.file == "annex_a_list8.csv"]  # type: ignore[attr-defined]
    assert "SGO/CAO" in note.message and note.line == 7
    assert annex_a_plan("c) SGO / CAO") == (True, None)
    assert annex_a_plan("D) LONG-TERM FOSTERING") == (True, "long_term_foster")
    assert annex_a_plan("Moved to Mars") == (False, None)


def test_an_unknown_annex_a_answer_is_refused_at_its_line() -> None:
    bad = (FIXTURES / "annex_a_list8.csv").read_text().replace("b) Adoption", "z) Elsewhere", 1)
    with pytest.raises(ValidationError) as caught:
        read_ssda903(files(RETURN), plans=bad.encode(), plans_name="annex.csv", as_of=AS_OF)
    (problem,) = caught.value.problems
    assert str(problem).startswith("annex.csv:4: What is the permanence plan for this child?")


def test_sex_codes_of_both_eras_and_lower_case_codes_are_read() -> None:
    header = (
        (RETURN / "header.csv")
        .read_text()
        .replace("1001,F,", "1001,2,")
        .replace("1002,M,", "1002,1,")
    )
    by_id = read(**{"header.csv": header.encode()})["by_id"]
    assert by_id["1001"].sex == "female" and by_id["1002"].sex == "male"  # type: ignore[index]
    assert by_id["1009"].ethnicity == "WBRI"  # type: ignore[index] # "wbri" in the file


def test_a_windows_1252_header_is_read_and_reported() -> None:
    header = (RETURN / "header.csv").read_bytes() + "1011,F,01/01/2015,WBRI,Zoë,,\n".encode(
        "cp1252"
    )
    result = read(**{"header.csv": header})["result"]
    assert result.encodings["header.csv"] == "Windows-1252"  # type: ignore[attr-defined]


def test_a_bad_date_is_refused_at_file_line_and_column() -> None:
    episodes = (RETURN / "episodes.csv").read_text().replace("02/11/2024,S", "31/02/2024,S", 1)
    with pytest.raises(ValidationError) as caught:
        read(**{"episodes.csv": episodes.encode()})
    assert [str(p).split(": ")[0] + ": " + p.column for p in caught.value.problems] == [
        "episodes.csv:2: DECOM"
    ]
    assert parse_dfe_date("01/07/2018") == date(2018, 7, 1)


def test_the_validators_fake_return_imports_as_of_its_collection_year() -> None:
    result = read_ssda903(files(FIXTURES / "validator_fake"), plans=None, as_of=date(2018, 3, 31))
    assert len(result.children) == 30
    assert result.left_out == {
        "no longer looked after on the reference date": 17,
        "short breaks only (V3/V4)": 1,
    }
    assert all(c.plan == "not_recorded" for c in result.children)  # no plans file given
    # The same return "as of 2026-11-01": the adults it now holds are left out, counted.
    later = read_ssda903(files(FIXTURES / "validator_fake"), plans=None, as_of=AS_OF)
    assert later.left_out["18 or over on the reference date"] == 15
    assert all(c.age_on(AS_OF) < 18 for c in later.children)
