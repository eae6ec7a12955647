"""The gap page a recruitment team can use (issue #15 item 5): sections linked from the
top in the order headline, targets, charts, tables; no coordinates and no codes; the
households to recruit banded; the what-if form refused field by field and answered at
the top; the tables as one CSV per file in a zip and an XLSX with labelled, frozen
headers. And (the rest of item 4's sense of "unmet demand") children an open proposal
holds are not counted as waiting."""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.services.exports import write_directory
from api.services.imports import import_directory
from matching.synthetic import generate_authority
from tests.api.conftest import ApiEnv, _new_database, build_env
from tests.api.test_pages_access import sign_in
from tests.api.test_pages_work import propose_through_check
from tests.sentences import page_words, problems

AS_OF = date(2026, 6, 1)
# Latitude and longitude as a person would read them off a page: "54.77, -1.57".
COORDINATES = re.compile(r"-?\d{1,2}\.\d{2,}\s*[,:]\s*-?\d{1,3}\.\d{2,}")


@pytest.fixture(scope="module")
def gaps_env(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiEnv]:
    """A synthetic authority (no real person) whose pool cannot place every child, so
    the report has targets; users per role as in `api_env`."""
    directory = tmp_path_factory.mktemp("gaps")
    url, drop = _new_database(database_url, directory, "ff_gaps")
    env = build_env(url, load_tiny=False)
    # large enough that some profiles, left-out counts and targets are above the
    # suppression threshold, so the charts have bars to draw
    write_directory(generate_authority(800, 600, seed=5, as_of=AS_OF), directory / "data")
    with env.session() as session:
        import_directory(session, directory / "data", as_of=AS_OF, requested_by="test")
    try:
        with env.client:
            yield env
    finally:
        env.app.state.engine.dispose()
        drop()


@pytest.fixture(scope="module")
def admin(gaps_env: ApiEnv) -> TestClient:
    return sign_in(gaps_env, "admin")


@pytest.fixture(scope="module")
def recruitment(gaps_env: ApiEnv) -> TestClient:
    return sign_in(gaps_env, "recruitment")


def _ids(page: str) -> list[str]:
    return re.findall(r'\bid="([^"]+)"', page)


@pytest.mark.parametrize("role", ["admin", "recruitment"])
def test_sections_are_linked_from_the_top_in_order(
    role: str, admin: TestClient, recruitment: TestClient
) -> None:
    client = admin if role == "admin" else recruitment
    page = client.get("/gaps").text
    contents = page.split('id="contents"')[1].split("</nav>")[0]
    anchors = re.findall(r'href="#([^"]+)"', contents)
    assert anchors[:4] == ["headline", "targets", "charts", "tables"]
    ids = _ids(page)
    for anchor in anchors:
        assert ids.count(anchor) == 1, anchor
    # the sections follow one another as the contents list them
    positions = [page.index(f'id="{anchor}"') for anchor in anchors]
    assert positions == sorted(positions)
    assert page.index('id="contents"') < positions[0]
    # three charts, each an SVG scaled by its viewBox, in the Okabe-Ito palette
    assert page.count('class="ff-chart') == 3
    fills = set(
        re.findall(r'<rect x="[^"]*" y="[^"]*" width="[^"]*" height="8" fill="([^"]+)"', page)
    )
    assert fills and fills <= {"#0072B2", "#D55E00", "#009E73"}
    assert 'viewBox="0 0 100' in page


@pytest.mark.parametrize("role", ["admin", "recruitment"])
def test_no_coordinates_and_no_codes(role: str, admin: TestClient, recruitment: TestClient) -> None:
    client = admin if role == "admin" else recruitment
    page = client.get("/gaps").text
    words = page_words(page)
    assert not COORDINATES.search(words), COORDINATES.search(words)
    assert "lat" not in words.split() and "family-time area (" not in words
    assert not problems(words, names=("family_finder",))
    for code in ("foster/", "long_term_foster", "kind=", "ages=", "OPTIMAL", "CP-SAT"):
        assert code not in words, code
    # the targets name an area in words
    assert "of the authority's centre" in words


def test_targets_are_banded_not_suppressed(recruitment: TestClient) -> None:
    page = recruitment.get("/gaps").text
    targets = page.split('id="targets"')[1].split('id="charts"')[0]
    sentences = [page_words(s) for s in re.findall(r"<li>(.*?)</li>", targets, flags=re.S)]
    assert sentences
    for sentence in sentences:
        assert re.search(r"recruit (fewer than 5|about [\d,]+) households", sentence), sentence
    assert "fewer than 6" not in page_words(page)
    assert "a few (" not in page_words(page)


def test_demand_against_supply_is_each_profiles_share_of_the_best_allocation(
    gaps_env: ApiEnv,
) -> None:
    exact = gaps_env.client.get(
        "/api/gaps", params={"suppress": "false"}, headers=gaps_env.headers["admin"]
    ).json()
    rows = exact["by_profile"]
    # each vacancy is shared out once: the profiles' shares add up to the children the
    # pool can place, and no profile gets more than it has waiting
    assert sum(r["children_placed"] for r in rows) == exact["children_placeable"]
    for r in rows:
        assert r["children_placed"] + r["children_unplaceable"] == r["waiting_children"]
    # where the old chart summed the feasible vacancies, the same vacancies counted many
    # times over: more than there are
    assert sum(r["vacancies_in_feasible_households"] for r in rows) > sum(
        s["vacancies"] for s in exact["supply"]
    )


def test_what_if_errors_field_by_field(recruitment: TestClient) -> None:
    response = recruitment.get(
        "/gaps",
        params={
            "whatif": "1",
            "kind": "castle",
            "min_age": "12",
            "max_age": "3",
            "places": "9",
            "count": "lots",
            "skills": ["autism", "flying"],
        },
    )
    assert response.status_code == 422
    page = response.text
    summary = page.split("govuk-error-summary__list")[1].split("</ul>")[0]
    links = dict(re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary))
    assert set(links) == {"kind", "max_age", "places", "count", "skills"}
    assert links["kind"] == "Select the kind of household"
    assert links["max_age"] == "The oldest age must be the same as the youngest age or more"
    # each message also sits by its field, and no message speaks the command line
    for field in links:
        assert f'id="{field}-error"' in page, field
    words = page_words(page)
    for leak in ("kind=", "--add", "key=value", "AddSpec", "Line 1"):
        assert leak not in words, leak
    # what was chosen is kept
    assert 'value="12" selected' in page
    # foster carers need a term; other households none
    foster = recruitment.get(
        "/gaps", params={"whatif": "1", "kind": "foster", "min_age": "0", "max_age": "4"}
    ).text
    assert "Select short-term, long-term or both for foster carers" in html.unescape(foster)
    adopter = recruitment.get(
        "/gaps",
        params={"whatif": "1", "kind": "adopter", "term": "long", "min_age": "0", "max_age": "4"},
    ).text
    assert "Leave the fostering term empty" in adopter


def test_what_if_is_answered_at_the_top(recruitment: TestClient) -> None:
    response = recruitment.get(
        "/gaps",
        params={
            "whatif": "1",
            "kind": "foster",
            "term": "long",
            "min_age": "10",
            "max_age": "15",
            "places": "2",
            "count": "20",
            "skills": ["autism", "emotional_behavioural"],
        },
    )
    assert response.status_code == 200, response.text
    page = response.text
    assert page.index('id="what-if-result"') < page.index('id="contents"')
    answer = page_words(page.split('id="what-if-result"')[1].split('id="contents"')[0])
    assert (
        "With 20 long-term foster carers approved for ages 10 to 15, for sibling groups of up "
        "to 2 each, skilled in autism and emotional and behavioural needs" in answer
    )
    assert re.search(r"(\d[\d,]*|a few) children could be placed", answer)
    assert not problems(answer)


def test_csv_download_is_one_table_per_file(recruitment: TestClient) -> None:
    response = recruitment.get("/gaps/download/gap-report-tables.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        assert len(names) == 6
        for name in names:
            assert name.endswith(".csv")
            rows = list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
            assert rows and all(len(row) == len(rows[0]) for row in rows), name
            assert all(h[:1].isupper() and "_" not in h for h in rows[0]), rows[0]
            text = "\n".join(",".join(row) for row in rows)
            assert not COORDINATES.search(text), name
            assert not re.search(r"\bC\d{3,}\b", text)  # no child id


def test_xlsx_has_labelled_frozen_headers(recruitment: TestClient) -> None:
    response = recruitment.get("/gaps/download/gap-report.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert "Recruitment targets" in workbook.sheetnames
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
    header = [c.value for c in workbook["Recruitment targets"][1]]
    assert header[:3] == ["Carers to recruit", "Kind", "Ages"]
    areas = [
        row[6] for row in workbook["Recruitment targets"].iter_rows(min_row=2, values_only=True)
    ]
    assert areas and not any(COORDINATES.search(str(a)) for a in areas)
    bands = [
        row[7] for row in workbook["Recruitment targets"].iter_rows(min_row=2, values_only=True)
    ]
    assert all(re.fullmatch(r"fewer than 5|about [\d,]+", str(b)) for b in bands), bands


def test_children_held_by_an_open_proposal_are_not_unmet_demand(api_env: ApiEnv) -> None:
    def waiting() -> int:
        report = api_env.client.get(
            "/api/gaps", params={"suppress": "false"}, headers=api_env.headers["admin"]
        ).json()
        return int(report["children_waiting"])

    before = waiting()
    paper = propose_through_check(sign_in(api_env, "family_finder"), "C005")
    assert waiting() == before - 1  # Dee is being matched: not waiting for a carer
    finder = sign_in(api_env, "family_finder")
    withdraw = finder.get(f"{paper}/withdraw")
    token = re.search(r'name="csrf_token" value="([^"]+)"', withdraw.text)
    assert token is not None
    done = finder.post(
        f"{paper}/withdrawal",
        data={"csrf_token": token.group(1), "reasons": "The household's circumstances changed."},
    )
    assert done.status_code == 303, done.text
    assert waiting() == before  # withdrawn: she waits again


def test_the_page_on_the_tiny_authority_says_every_child_can_be_placed(
    api_env: ApiEnv, tmp_path: Path
) -> None:
    page = sign_in(api_env, "admin").get("/gaps").text
    words = page_words(page)
    assert "Today's carers could place every child waiting." in words
    assert "No recruitment target" in words
