"""The rounds page: start a round, follow it to its result, propose from it."""

from __future__ import annotations

import html
import re

from tests.api.conftest import ApiEnv, finish_rounds
from tests.api.test_pages_access import csrf_of, sign_in


def test_start_a_round_watch_it_and_propose_from_its_result(api_env: ApiEnv) -> None:
    client = sign_in(api_env, "family_finder")
    form = client.get("/rounds").text
    token = csrf_of(form)

    bad = client.post("/rounds", data={"csrf_token": token, "mode": "allocate"})
    assert bad.status_code == 422
    assert "Time limit must be a whole number" in bad.text

    started = client.post(
        "/rounds",
        data={
            "csrf_token": token,
            "mode": "allocate",
            "per_unit": "3",
            "max_appearances": "3",
            "time_limit_s": "2",
        },
    )
    assert started.status_code == 303
    round_url = started.headers["location"]
    assert re.fullmatch(r"/rounds/\d+", round_url)

    page = client.get(round_url).text
    if 'id="round-done"' not in page:
        assert "data-poll-seconds" in page  # still running: the page refreshes itself
    finish_rounds(api_env.app)  # no clock: wait for the round itself
    page = client.get(round_url).text
    assert 'id="round-done"' in page
    assert "Not placed, with reasons" in page
    # Issue #15: proposing from a round goes through the same "check your answers" page;
    # issue #13: the round's page is the round's one id, so the link names no other id.
    proposals = re.findall(
        r'href="(/rounds/\d+/proposals/new\?child_id=([^&"]+)'
        r'&amp;household_id=([^"]+))"',
        page,
    )
    assert proposals, "an allocation offers a proposal per placed unit"
    assert "run_id" not in page
    link, child_id, household_id = proposals[0]
    check = client.get(html.unescape(link))
    assert check.status_code == 200
    assert "Check the proposal before you make it" in check.text
    assert "What will be reserved" in check.text and household_id in check.text
    assert 'name="run_id"' not in check.text
    data = {
        "csrf_token": csrf_of(check.text),
        "child_id": child_id,
        "household_id": household_id,
    }
    made = client.post(round_url + "/proposals", data=data)
    assert made.status_code == 303
    paper = client.get(made.headers["location"]).text
    assert "Proposal made" in paper and household_id in paper
    assert f"round {round_url.rsplit('/', 1)[1]}" in paper

    # The finder who proposed is told so, not that another finder got there first; the
    # round now shows the child's proposal instead of a Propose button.
    again = client.post(round_url + "/proposals", data=data)
    assert again.status_code == 409
    assert "You have already proposed this match" in again.text
    assert "another family finder got there first" not in again.text
    page = client.get(round_url).text
    assert f"child_id={child_id}&amp;" not in page
    assert 'data-stage="proposed"' in page
