"""Children, households, shortlists, imports, rounds and gap reports over the API."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from api.services.round_jobs import round_status
from models.round_job_store import add_round_job, update_round_job
from tests.api.conftest import (
    TINY,
    TINY_AS_OF,
    ApiEnv,
    _new_database,
    build_env,
    finish_rounds,
)

AS_OF = TINY_AS_OF.isoformat()


def get(env: ApiEnv, url: str, role: str = "family_finder", **params: object):  # type: ignore[no-untyped-def]
    return env.client.get(url, params=params, headers=env.headers[role])


def test_children_filters_and_pages(api_env: ApiEnv) -> None:
    everyone = get(api_env, "/api/children").json()
    assert everyone["total"] == 8
    assert [c["child_id"] for c in everyone["items"]] == [
        *(f"C00{i}" for i in range(1, 7)),
        "C011",
        "C012",
    ]

    page = get(api_env, "/api/children", limit=2, offset=2).json()
    assert [c["child_id"] for c in page["items"]] == ["C003", "C004"]
    assert page["total"] == 8

    ffa = get(api_env, "/api/children", plan="ffa").json()
    assert [c["child_id"] for c in ffa["items"]] == ["C004"]
    assert get(api_env, "/api/children", status="placed").json()["total"] == 0

    # Age bands on the reference date, from the children's dates of birth.
    ages = {c["child_id"]: c["date_of_birth"] for c in everyone["items"]}
    young = get(api_env, "/api/children", age_max=4, as_of=AS_OF).json()["items"]
    older = get(api_env, "/api/children", age_min=5, as_of=AS_OF).json()["items"]
    assert {c["child_id"] for c in young} | {c["child_id"] for c in older} == set(ages)
    assert not {c["child_id"] for c in young} & {c["child_id"] for c in older}
    for child in young:
        assert child["date_of_birth"] > "2021-06-01"

    waiting = get(api_env, "/api/children", waiting_since="2000-01-01").json()
    assert waiting["total"] == 0
    assert get(api_env, "/api/children", plan="nonsense").status_code == 400


def test_child_and_household_records(api_env: ApiEnv) -> None:
    child = get(api_env, "/api/children/C004").json()
    assert child["plan"] == "ffa" and child["status"] == "waiting"
    assert get(api_env, "/api/children/C999").status_code == 404

    households = get(api_env, "/api/households", kind="foster").json()
    assert {h["household_id"] for h in households["items"]} == {
        "H001", "H002", "H004", "H013", "H014", "H015",
    }  # fmt: skip
    assert get(api_env, "/api/households", min_vacancies=3).json()["total"] == 1
    household = get(api_env, "/api/households/H001").json()
    assert household["vacancies"] == 3
    missing = get(api_env, "/api/households/H999")
    assert missing.status_code == 404 and missing.json()["error"] == "NotFoundError"


def test_shortlist_endpoint_returns_the_cli_json_with_a_run_id(api_env: ApiEnv) -> None:
    shown = get(api_env, "/api/children/C002/shortlist", as_of=AS_OF, top=5).json()
    assert shown["unit"] == ["C001", "C002", "C003"]  # the whole sibling group
    assert shown["candidates"][0]["household_id"] == "H001"
    assert shown["run_id"] >= 1 and shown["as_of"] == AS_OF
    assert "contributions" in shown["candidates"][0]
    not_found = get(api_env, "/api/children/C404/shortlist", as_of=AS_OF)
    assert not_found.status_code == 404


def _files(directory: Path) -> dict[str, tuple[str, bytes, str]]:
    return {
        name: (f"{name}.csv", (directory / f"{name}.csv").read_bytes(), "text/csv")
        for name in ("children", "households", "sibling_links")
    }


def test_import_uploads_and_lists_every_problem(empty_api_env: ApiEnv) -> None:
    env = empty_api_env
    admin = env.headers["admin"]
    files = _files(TINY)
    ok = env.client.post("/api/imports", files=files, data={"as_of": AS_OF}, headers=admin)
    assert ok.status_code == 200, ok.text
    assert ok.json()["children_inserted"] == 8 and ok.json()["households_inserted"] == 11
    assert get(env, "/api/children").json()["total"] == 8

    broken = dict(files)
    text = files["children"][1].decode().replace("2016-", "20X6-", 1)
    broken["children"] = ("children.csv", text.encode(), "text/csv")
    bad = env.client.post("/api/imports", files=broken, data={"as_of": AS_OF}, headers=admin)
    assert bad.status_code == 422
    problems = bad.json()["problems"]
    assert problems and problems[0]["file"] == "children.csv"
    assert problems[0]["line"] >= 2 and problems[0]["column"] == "date_of_birth"


def test_upload_over_the_size_limit_is_rejected(empty_api_env: ApiEnv) -> None:
    env = empty_api_env  # max_upload_bytes=4096
    admin = env.headers["admin"]
    files = _files(TINY)
    # One file over the per-file limit: a problem naming the file.
    files["children"] = ("children.csv", files["children"][1] + b"#" * 20_000, "text/csv")
    one = env.client.post("/api/imports", files=files, data={"as_of": AS_OF}, headers=admin)
    assert one.status_code == 422
    assert one.json()["problems"][0]["file"] == "children.csv"
    assert "over the limit of 4,096 bytes" in one.json()["problems"][0]["reason"]
    # A body over the whole request's limit is refused before it is read.
    files["children"] = ("children.csv", b"#" * 200_000, "text/csv")
    whole = env.client.post("/api/imports", files=files, data={"as_of": AS_OF}, headers=admin)
    assert whole.status_code == 413
    assert whole.json()["error"] == "PayloadTooLarge"
    assert get(env, "/api/children").json()["total"] == 0


def test_round_runs_in_the_background_and_is_polled(api_env: ApiEnv) -> None:
    started = api_env.client.post(
        "/api/rounds",
        json={"as_of": AS_OF, "mode": "allocate", "time_limit_s": 5},
        headers=api_env.headers["family_finder"],
    )
    assert started.status_code == 202
    round_id = started.json()["round_id"]
    finish_rounds(api_env.app)
    status = get(api_env, f"/api/rounds/{round_id}").json()
    assert status["status"] == "done", status
    assert status["result"]["mode"] == "allocate"
    placed = {tuple(u["children"]): u["candidates"] for u in status["result"]["units"]}
    assert placed[("C001", "C002", "C003")][0]["household_id"] == "H001"
    assert get(api_env, "/api/rounds/999999").status_code == 404


def test_gap_report_formats_and_suppression(api_env: ApiEnv) -> None:
    # Recruitment reads published reports only (issue #13): an admin publishes the date.
    published = api_env.client.post(
        "/api/gaps/publications", json={"as_of": AS_OF}, headers=api_env.headers["admin"]
    )
    assert published.status_code == 201, published.text
    as_json = get(api_env, "/api/gaps", role="recruitment", as_of=AS_OF)
    assert as_json.status_code == 200
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_json.json()["suppressed"] is True
    # Recruitment cannot turn suppression off; an admin can.
    assert (
        get(api_env, "/api/gaps", role="recruitment", as_of=AS_OF, suppress=False).json()[
            "suppressed"
        ]
        is True
    )
    assert (
        get(api_env, "/api/gaps", role="admin", as_of=AS_OF, suppress=False).json()["suppressed"]
        is False
    )
    for child_id in ("C001", "C004"):
        assert child_id not in as_json.text

    as_csv = get(api_env, "/api/gaps", role="recruitment", as_of=AS_OF, format="csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.startswith("summary:header")
    as_xlsx = get(api_env, "/api/gaps", role="recruitment", as_of=AS_OF, format="xlsx")
    workbook = load_workbook(io.BytesIO(as_xlsx.content))
    assert "Summary" in workbook.sheetnames


def test_round_status_is_one_consistent_reading(api_env: ApiEnv) -> None:
    with api_env.session() as session:
        job_id = add_round_job(session, requested_by="admin", params={}).id
        session.commit()
    with api_env.session() as reader:
        job, run = round_status(reader, job_id)
        # The round finishes right after the reading: the reading must not change.
        with api_env.session() as writer:
            update_round_job(writer, job_id, status="done", stage="done")
            writer.commit()
        assert (job.status, job.stage, run) == ("queued", None, None)


def test_rounds_a_stopped_service_left_unfinished_are_reported_failed(
    database_url: str, tmp_path: Path
) -> None:
    # A round queued or running when the service stopped will never finish: on the next
    # start its job says so instead of showing "running" for ever; finished ones stay.
    url, drop = _new_database(database_url, tmp_path, "ff_api")
    env = build_env(url)
    try:
        with env.session() as session:
            running = add_round_job(session, requested_by="admin", params={}).id
            update_round_job(session, running, status="running", stage="solving")
            queued = add_round_job(session, requested_by="admin", params={}).id
            done = add_round_job(session, requested_by="admin", params={}).id
            update_round_job(session, done, status="done", stage="done")
            session.commit()
        with env.client:  # the service starts
            jobs = {job: get(env, f"/api/rounds/{job}").json() for job in (running, queued, done)}
        assert [jobs[j]["status"] for j in (running, queued, done)] == ["failed", "failed", "done"]
        assert "interrupted" in jobs[running]["error"]
        assert "start the round again" in jobs[queued]["error"]
    finally:
        env.app.state.engine.dispose()
        drop()


def test_an_api_import_lists_its_encodings_and_practice_warnings(empty_api_env: ApiEnv) -> None:
    env = empty_api_env
    files = _files(TINY)
    links = (
        files["sibling_links"][1]
        .decode()
        .replace("C001,C003,half,together", "C001,C003,half,apart")
    )
    files["sibling_links"] = ("sibling_links.csv", links.encode(), "text/csv")
    files["children"] = (
        "children.csv",
        files["children"][1].decode().replace("Ava", "Zoë").encode("cp1252"),
        "text/csv",
    )
    ok = env.client.post(
        "/api/imports", files=files, data={"as_of": AS_OF}, headers=env.headers["admin"]
    )
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["encodings"]["children.csv"] == "Windows-1252"
    assert [w.split(": warning: ")[0] for w in body["warnings"]] == ["sibling_links.csv:4"]
    assert body["needs_plan"] == []
