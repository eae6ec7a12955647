"""Disclosure control that survives differencing (issue #13): the recruitment team reads
published reports only, rounded, and what-if answers rounded too.

The attacks are replayed as issue #13 ran them: the suppressed report asked for 31
consecutive dates (children crossing age bands change published cells by exactly one),
and what-if pairs that differ by one household (exact answers differ by one child). Each
attack is first shown to work where it still can (an administrator's daily view, the
exact what-if), so the test could fail; as the recruitment team it finds nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from api.services.exports import write_directory
from api.services.imports import import_directory
from matching.phrases import long_date
from matching.synthetic import generate_authority
from models.db import make_engine
from models.gap_publications import gap_publication_on
from tests.api.conftest import ApiEnv, _new_database, build_env
from tests.api.test_pages_access import sign_in

IMPORTED_ON = date(2026, 6, 1)  # the date the synthetic authority is made for
DAYS = [date(2026, 6, 1) + timedelta(days=k) for k in range(31)]
# what-if households, k = 1..5 of each: consecutive pairs differ by one household
WHAT_IFS = (
    "kind=foster,term=long,ages=10-15,places=1,count={k}",
    "kind=foster,term=long,ages=5-9,places=2,count={k}",
    "kind=adopter,ages=0-4,places=1,count={k}",
)


def _env(database_url: str, tmp_path: Path, schedule: str) -> Iterator[ApiEnv]:
    url, drop = _new_database(database_url, tmp_path, "ff_api")
    env = build_env(url, load_tiny=False, gap_publication=schedule)
    authority = generate_authority(500, 250, seed=3, as_of=date(2026, 6, 1))
    write_directory(authority, tmp_path / "authority")
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        import_directory(session, tmp_path / "authority", as_of=IMPORTED_ON, requested_by="test")
    engine.dispose()
    try:
        with env.client:
            yield env
    finally:
        env.app.state.engine.dispose()
        drop()


@pytest.fixture(scope="module")
def published_per_import(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiEnv]:
    """A 500-child synthetic authority imported as of 2026-06-01, reports published per
    import (so the one publication is as of that date, whatever today is)."""
    yield from _env(database_url, tmp_path_factory.mktemp("publications"), "import")


def gaps(env: ApiEnv, role: str, **params: Any) -> Any:
    return env.client.get("/api/gaps", params=params, headers=env.headers[role])


def cells(document: dict[str, Any]) -> dict[tuple[str, ...], Any]:
    """Every published count of a report, by where it is."""
    found: dict[tuple[str, ...], Any] = {}
    for key in ("children_waiting", "units_waiting", "children_placeable", "children_unplaceable"):
        found[(key,)] = document[key]
    for row in document["by_profile"]:
        for key in ("waiting_units", "waiting_children", "units_unplaceable"):
            found[(row["profile"]["label"], key)] = row[key]
    for row in document["supply"]:
        found[(row["profile"]["label"], "households")] = row["households"]
    return found


def single_child_changes(reports: list[dict[str, Any]]) -> int:
    """How many published cells change by exactly one from one report to the next."""
    changes = 0
    for before, after in itertools.pairwise(reports):
        old, new = cells(before), cells(after)
        for where, value in new.items():
            previous = old.get(where)
            if isinstance(value, int) and isinstance(previous, int):
                changes += abs(value - previous) == 1
    return changes


def test_consecutive_dates_show_the_recruitment_team_nothing(published_per_import: ApiEnv) -> None:
    env = published_per_import
    # The attack works on a daily suppressed report (an administrator still gets one).
    daily = [gaps(env, "admin", as_of=day.isoformat()).json() for day in DAYS]
    assert all(d["suppressed"] for d in daily)
    assert single_child_changes(daily) > 0

    # The recruitment team: a report only for the date published; none for the others.
    answered = []
    for day in DAYS:
        response = gaps(env, "recruitment", as_of=day.isoformat())
        if day == IMPORTED_ON:
            assert response.status_code == 200, response.text
            answered.append(response.json())
        else:
            assert response.status_code == 404
            assert "published for fixed dates only" in response.json()["detail"]
    assert len(answered) == 1
    # Asked day after day without a date: the same stored report every time.
    latest = [gaps(env, "recruitment").json() for _ in range(3)]
    assert latest == [answered[0]] * 3
    assert single_child_changes([*answered, *latest]) == 0
    # and every count in it rounded to the nearest 10 (or c, or a true zero)
    for value in cells(answered[0]).values():
        assert value == "c" or value % 10 == 0, value


def test_what_if_pairs_differ_by_no_single_child_for_the_recruitment_team(
    published_per_import: ApiEnv,
) -> None:
    env = published_per_import

    def answers(role: str, template: str, **extra: Any) -> list[Any]:
        values = []
        for k in range(1, 6):
            response = gaps(env, role, add=template.format(k=k), **extra)
            assert response.status_code == 200, response.text
            values.append(response.json()["what_if"]["children_placeable"])
        return values

    exact = [answers("admin", t, as_of=IMPORTED_ON.isoformat(), suppress="false") for t in WHAT_IFS]
    differences = {b - a for values in exact for a, b in itertools.pairwise(values)}
    assert 1 in differences  # the attack: one household more, one child more

    for template in WHAT_IFS:
        rounded = answers("recruitment", template)
        assert all(v == "c" or v % 10 == 0 for v in rounded), rounded
        steps = {
            b - a
            for a, b in itertools.pairwise(rounded)
            if isinstance(a, int) and isinstance(b, int)
        }
        assert not steps & set(range(1, 10)), rounded


def test_the_published_report_is_stored_typed_and_says_what_protects_it(
    published_per_import: ApiEnv,
) -> None:
    env = published_per_import
    shown = gaps(env, "recruitment").json()
    with env.session() as session:
        stored = gap_publication_on(session, IMPORTED_ON)
    assert stored is not None and stored.basis == "import"
    assert stored.document.as_json() == shown  # served as stored, never recomputed
    method = shown["method"]
    assert "rounded to the nearest 10" in method["suppression"]
    assert "never recomputed" in method["suppression"]
    # no figure from the records in the method's text (the graph's sizes gave the
    # number of waiting units exactly)
    assert not any(ch.isdigit() for ch in method["placeable"])
    assert " n units" in method["placeable"]
    listed = env.client.get("/api/gaps/publications", headers=env.headers["recruitment"])
    assert IMPORTED_ON.isoformat() in [p["as_of"] for p in listed.json()["items"]]

    # An administrator keeps the exact and the suppressed views for any date.
    exact = gaps(env, "admin", as_of="2026-06-03", suppress="false").json()
    suppressed = gaps(env, "admin", as_of="2026-06-03").json()
    assert exact["suppressed"] is False and suppressed["suppressed"] is True
    assert any(v in range(1, 6) for v in cells(exact).values())  # small counts shown
    assert not any(v in range(1, 6) for v in cells(suppressed).values())


def test_one_report_per_date_published_by_an_administrator(
    published_per_import: ApiEnv,
) -> None:
    env = published_per_import
    admin = env.headers["admin"]
    again = env.client.post(
        "/api/gaps/publications", json={"as_of": IMPORTED_ON.isoformat()}, headers=admin
    )
    assert again.status_code == 409 and "already published" in again.json()["detail"]
    made = env.client.post("/api/gaps/publications", json={"as_of": "2026-05-31"}, headers=admin)
    assert made.status_code == 201, made.text
    assert made.json()["basis"] == "admin"
    assert gaps(env, "recruitment", as_of="2026-05-31").status_code == 200
    refused = env.client.post(
        "/api/gaps/publications",
        json={"as_of": "2026-05-30"},
        headers=env.headers["recruitment"],
    )
    assert refused.status_code == 403


def test_the_recruitment_page_shows_a_publication_and_its_downloads(
    published_per_import: ApiEnv,
) -> None:
    client = sign_in(published_per_import, "recruitment")
    page = client.get("/gaps")
    assert page.status_code == 200
    assert f"report published as of {long_date(IMPORTED_ON)}" in page.text
    assert "rounded to the nearest 10" in page.text
    # the what-if form (WHAT_IFS[0] with count 3): answered at the top, rounded
    what_if = client.get(
        "/gaps",
        params={
            "whatif": "1",
            "kind": "foster",
            "term": "long",
            "min_age": "10",
            "max_age": "15",
            "places": "1",
            "count": "3",
        },
    )
    answer = what_if.text.split('id="what-if-result"')[1].split('id="contents"')[0]
    assert "With 3 long-term foster carers" in answer and "rounded to the nearest 10" in answer
    download = client.get(f"/gaps/download/gap-report.json?published={IMPORTED_ON.isoformat()}")
    assert download.status_code == 200
    assert download.json()["as_of"] == IMPORTED_ON.isoformat()
    missing = client.get("/gaps", params={"published": "2026-06-02"})
    assert missing.status_code == 404 and "fixed dates only" in missing.text


@pytest.fixture
def published_manually(database_url: str, tmp_path: Path) -> Iterator[ApiEnv]:
    yield from _env(database_url, tmp_path, "manual")


def test_with_manual_publication_nothing_is_published_until_an_admin_does(
    published_manually: ApiEnv,
) -> None:
    env = published_manually
    none_yet = gaps(env, "recruitment")
    assert none_yet.status_code == 404
    assert "no gap report has been published yet" in none_yet.json()["detail"]
    env.client.post(
        "/api/gaps/publications", json={"as_of": "2026-06-20"}, headers=env.headers["admin"]
    )
    assert gaps(env, "recruitment").json()["as_of"] == "2026-06-20"


@pytest.fixture
def published_monthly(database_url: str, tmp_path: Path) -> Iterator[ApiEnv]:
    yield from _env(database_url, tmp_path, "month_end")


def test_month_end_publication_is_as_of_the_last_month_end(published_monthly: ApiEnv) -> None:
    env = published_monthly
    first_of_month = date.today().replace(day=1)
    month_end = first_of_month - timedelta(days=1)
    shown = gaps(env, "recruitment").json()
    assert shown["as_of"] == month_end.isoformat()
    listed = env.client.get("/api/gaps/publications", headers=env.headers["admin"]).json()
    assert [(p["as_of"], p["basis"]) for p in listed["items"]] == [
        (month_end.isoformat(), "month_end")
    ]
