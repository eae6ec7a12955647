"""Ids in addresses (issue #13): a page answers 404 for an id no record can have (on
SQLite a number past 64 bits was a 500), and the API refuses one with 422 and its bound.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiEnv
from tests.api.test_pages_access import csrf_of, sign_in

HUGE = 10**20  # past SQLite's 64-bit INTEGER
IDS = (HUGE, 2**31, 0, -1)


@pytest.mark.parametrize("number", IDS)
def test_pages_answer_404_for_an_id_no_record_can_have(api_env: ApiEnv, number: int) -> None:
    client = sign_in(api_env, "admin")
    token = csrf_of(client.get("/rounds").text)
    for path in (f"/rounds/{number}", f"/proposals/{number}"):
        response = client.get(path)
        assert response.status_code == 404, (path, response.text)
        assert "Page not found" in response.text
    for path, form in (
        (f"/rounds/{number}/cancel", {}),
        (f"/rounds/{number}/proposals", {"child_id": "C001", "household_id": "H001"}),
        (
            f"/proposals/{number}/recommendation",
            {"recommendation": "recommended", "reasons": "Good match."},
        ),
    ):
        response = client.post(path, data={"csrf_token": token, **form})
        assert response.status_code == 404, (path, response.text)


def test_a_page_form_with_a_huge_run_id_is_no_run(api_env: ApiEnv) -> None:
    client = sign_in(api_env, "family_finder")
    page = client.get("/children/C004").text
    response = client.post(
        "/children/C004/proposals",
        data={"csrf_token": csrf_of(page), "run_id": str(HUGE), "household_id": "H001"},
    )
    assert response.status_code == 404
    assert f"no shortlist run {HUGE}" in response.text


@pytest.mark.parametrize(
    "path", ["/api/rounds/{n}", "/api/proposals/{n}", "/api/rounds/{n}/cancel"]
)
def test_the_api_refuses_an_id_out_of_range(api_env: ApiEnv, path: str) -> None:
    url = path.format(n=HUGE)
    method = "POST" if url.endswith("/cancel") else "GET"
    response = api_env.client.request(method, url, headers=api_env.headers["admin"])
    assert response.status_code == 422
    assert "2147483647" in response.json()["detail"]
