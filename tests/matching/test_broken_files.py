"""One test per validation rule: each fixtures/broken/<case>/ is refused with its problem."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from matching.csv_format import read_authority
from matching.errors import Problem, ValidationError

BROKEN = Path(__file__).resolve().parents[2] / "fixtures" / "broken"
# The hand-worked authority from shared/examples/tiny, kept in the repo.
TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny"
AS_OF = date(2026, 6, 1)
CASES = sorted(path.name for path in BROKEN.iterdir() if path.is_dir())


def read_folder(folder: Path) -> list[Problem]:
    with (
        (folder / "children.csv").open("rb") as children,
        (folder / "households.csv").open("rb") as households,
        (folder / "sibling_links.csv").open("rb") as links,
        pytest.raises(ValidationError) as caught,
    ):
        read_authority(children, households, links, as_of=AS_OF)
    return caught.value.problems


def test_there_is_a_case_per_rule() -> None:
    assert len(CASES) >= 40
    listed = (BROKEN / "README.md").read_text()
    for case in CASES:
        assert f"`{case}`" in listed, f"{case} is not listed in fixtures/broken/README.md"


@pytest.mark.parametrize("case", CASES)
def test_broken_file_is_refused_with_its_problem(case: str) -> None:
    prefix, fragment = (BROKEN / case / "expected.txt").read_text().splitlines()[:2]
    problems = read_folder(BROKEN / case)
    rendered = [str(problem) for problem in problems]
    matching = [
        problem
        for problem, text in zip(problems, rendered, strict=True)
        if text.startswith(prefix + ":") and fragment in problem.reason
    ]
    assert matching, f"expected {prefix}: ...{fragment}... among:\n" + "\n".join(rendered)


def test_each_case_differs_from_the_tiny_example_in_one_file() -> None:
    for case in CASES:
        changed = [
            name
            for name in ("children.csv", "households.csv", "sibling_links.csv")
            if (BROKEN / case / name).read_bytes() != (TINY / name).read_bytes()
        ]
        assert len(changed) == 1, f"{case} changes {changed}"


def _rows_with_errors(count: int) -> bytes:
    lines = (TINY / "children.csv").read_text().splitlines(keepends=True)
    header, good = lines[0], lines[1]
    bad = [good.replace("C001", f"X{i:04d}").replace("WBRI", "NOPE") for i in range(count)]
    return (header + "".join(bad)).encode()


def _households_without_connected() -> bytes:
    # Aunt Jo is connected to C006, who is not among the generated children.
    lines = (TINY / "households.csv").read_text().splitlines(keepends=True)
    return "".join(line for line in lines if ",connected," not in line).encode()


def test_many_errors_are_all_reported_up_to_the_cap() -> None:
    households = _households_without_connected()
    with pytest.raises(ValidationError) as caught:
        read_authority(io.BytesIO(_rows_with_errors(30)), io.BytesIO(households), None, as_of=AS_OF)
    problems = caught.value.problems
    assert len(problems) == 30
    assert [p.line for p in problems] == list(range(2, 32))
    assert all(p.column == "ethnicity" for p in problems)

    with pytest.raises(ValidationError) as caught:
        read_authority(
            io.BytesIO(_rows_with_errors(30)),
            io.BytesIO(households),
            None,
            as_of=AS_OF,
            max_problems=10,
        )
    problems = caught.value.problems
    assert len(problems) == 11
    assert [p.line for p in problems[:10]] == list(range(2, 12))
    assert problems[-1].reason.startswith("20 more problems not shown")
    assert str(caught.value).endswith("(and 10 more)")


def test_a_flood_of_errors_stops_reading_early() -> None:
    households = _households_without_connected()
    with pytest.raises(ValidationError) as caught:
        read_authority(
            io.BytesIO(_rows_with_errors(5000)),
            io.BytesIO(households),
            None,
            as_of=AS_OF,
            max_problems=5,
        )
    problems = caught.value.problems
    assert len(problems) == 6
    assert "at least" in problems[-1].reason
    assert "checking stopped at children.csv line" in problems[-1].reason


def test_a_young_person_one_day_short_of_18_is_still_imported() -> None:
    # the refusal (case child_aged_18) starts on the 18th birthday, not a day before
    lines = (TINY / "children.csv").read_text()
    children = lines.replace("C001,Ava,2016-03-14,", "C001,Ava,2008-06-02,").encode()
    with (TINY / "households.csv").open("rb") as households:
        authority = read_authority(io.BytesIO(children), households, None, as_of=AS_OF)
    assert authority.child("C001").age_on(AS_OF) == 17
