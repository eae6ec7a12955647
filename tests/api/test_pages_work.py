"""The pages for the work around a match (issue #15): the proposal lifecycle from the
check-your-answers page to the agency decision, the waiting list's search and sort, the
household page and the comparison, the admin sections and HTML error pages."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from models.orm import ChildRow
from models.store import bump_data_version
from tests.api.conftest import ApiEnv
from tests.api.test_pages_access import csrf_of, sign_in


def text_of(page: str) -> str:
    """The page's words, without tags or scripts (what a person reads)."""
    page = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def propose_links(page: str) -> list[str]:
    return [
        html.unescape(h) for h in re.findall(r'href="(/children/[^"]+/proposals/new[^"]*)"', page)
    ]


def propose_through_check(client: TestClient, child_id: str) -> str:
    """Open the child, follow the first Propose to the check page, confirm: the paper."""
    links = propose_links(client.get(f"/children/{child_id}").text)
    assert links, f"{child_id}'s page offers no proposal"
    check = client.get(links[0])
    assert check.status_code == 200, check.text
    words = text_of(check.text)
    assert "Check the proposal before you make it" in words
    assert "What will be reserved" in words and "The rationale that will be frozen" in words
    assert "out of 100" in words
    form = dict(re.findall(r'name="(run_id|household_id)" value="([^"]+)"', check.text))
    made = client.post(
        f"/children/{child_id}/proposals",
        data={**form, "csrf_token": csrf_of(check.text)},
    )
    assert made.status_code == 303, made.text
    return str(made.headers["location"]).split("?")[0]


def test_the_whole_lifecycle_on_the_pages(api_env: ApiEnv) -> None:
    finder = sign_in(api_env, "family_finder")
    paper = propose_through_check(finder, "C005")
    proposal_id = paper.rsplit("/", 1)[1]

    # The child page and the waiting list show the stage; no Propose any more.
    page = finder.get("/children/C005").text
    assert f'data-proposal-id="{proposal_id}"' in page
    assert 'data-stage="proposed"' in page and not propose_links(page)
    assert "is held by this proposal" in text_of(page)
    listed = finder.get("/children?q=Dee").text
    assert 'data-stage="proposed"' in listed and f"/proposals/{proposal_id}" in listed
    # Proposing again says it is the finder's own proposal.
    check = finder.get("/children/C005").text
    assert "Propose" not in text_of(check).split("Best households")[1].split("About Dee")[0]

    # Withdraw: a reason is required, then the child is free again.
    form = finder.get(f"{paper}/withdraw").text
    empty = finder.post(f"{paper}/withdrawal", data={"csrf_token": csrf_of(form), "reasons": " "})
    assert empty.status_code == 422 and "Enter why you are withdrawing it" in empty.text
    done = finder.post(
        f"{paper}/withdrawal",
        data={"csrf_token": csrf_of(form), "reasons": "Dee asked to wait until after exams"},
    )
    assert done.status_code == 303
    withdrawn = text_of(finder.get(done.headers["location"]).text)
    assert "Proposal withdrawn" in withdrawn and "Dee asked to wait until after exams" in withdrawn
    page = finder.get("/children/C005").text
    assert 'data-stage="withdrawn"' in page and propose_links(page)

    # Propose again, the panel recommends, the agency decision maker approves.
    paper = propose_through_check(finder, "C005")
    panel = sign_in(api_env, "panel")
    token = csrf_of(panel.get(paper).text)
    assert (
        panel.post(
            f"{paper}/recommendation",
            data={"csrf_token": token, "recommendation": "recommended", "reasons": "Needs met."},
        ).status_code
        == 303
    )
    decider = sign_in(api_env, "decision_maker")
    agenda = decider.get("/decisions").text
    assert f'href="{paper}"' in agenda and "awaiting-decision" in agenda
    sheet = decider.get(paper).text
    assert "Record the decision" in sheet
    missing = decider.post(f"{paper}/decision", data={"csrf_token": csrf_of(sheet)})
    assert missing.status_code == 422
    assert "Choose the agency decision" in missing.text
    assert "Enter the reasons for the decision" in missing.text
    decided = decider.post(
        f"{paper}/decision",
        data={"csrf_token": csrf_of(sheet), "decision": "approved", "reasons": "Agree."},
    )
    assert decided.status_code == 303
    record = text_of(decider.get(decided.headers["location"]).text)
    assert "Decision recorded" in record
    assert "Approved by decision_maker" in record and "Recommended by panel" in record

    # The child is matched with the household, whose vacancy stays taken.
    page = text_of(finder.get("/children/C005").text)
    assert "Matched" in page
    assert "H002" in text_of(finder.get("/children/C005").text)
    household = text_of(finder.get("/households/H002").text)
    assert "No vacancies" in household or "no vacancies" in household


def test_another_finder_cannot_withdraw_and_a_family_finder_cannot_decide(
    api_env: ApiEnv,
) -> None:
    finder = sign_in(api_env, "family_finder")
    paper = propose_through_check(finder, "C005")
    admin = sign_in(api_env, "admin")  # not the author, but an administrator may
    assert "Withdraw this proposal" in admin.get(paper).text
    panel = sign_in(api_env, "panel")
    assert panel.get(f"{paper}/withdraw").status_code == 403
    assert "Withdraw this proposal" not in panel.get(paper).text
    token = csrf_of(finder.get(paper).text)
    refused = finder.post(
        f"{paper}/decision", data={"csrf_token": token, "decision": "approved", "reasons": "x"}
    )
    assert refused.status_code == 403


def test_the_waiting_list_searches_sorts_and_keeps_to_family_found_plans(
    api_env: ApiEnv,
) -> None:
    today = date.today()
    with api_env.session() as session:
        # Eli's plan is to go home: not family-found. C004 is unborn, due in 30 days.
        session.execute(
            update(ChildRow).where(ChildRow.child_id == "C006").values(plan="return_home")
        )
        session.execute(
            update(ChildRow)
            .where(ChildRow.child_id == "C004")
            .values(date_of_birth=today + timedelta(days=30), plan_date=today - timedelta(days=500))
        )
        bump_data_version(session)
        session.commit()
    finder = sign_in(api_env, "family_finder")

    def listed(query: str) -> list[str]:
        return re.findall(r'data-child-id="([^"]+)"', finder.get("/children" + query).text)

    family_found = listed("")
    assert "C006" not in family_found and len(family_found) == 7
    assert listed("?plan=other") == ["C006"]
    assert listed("?q=dee") == ["C005"]  # a first name, any case
    assert sorted(listed("?q=c0")) == listed("?sort=id")  # an id's start
    # Longest waiting first by default.
    waits = [int(d) for d in re.findall(r'data-days="(\d+)"', finder.get("/children").text)]
    assert len(waits) == 7 and waits == sorted(waits, reverse=True)
    page = text_of(finder.get("/children").text)
    due = today + timedelta(days=30)
    assert f"Unborn, due {due.day} " in page
    # Youngest first.
    assert listed("?sort=age")[0] == "C004"
    # The dashboard counts the family-found children, by plan, against the thresholds.
    dashboard = finder.get("/children").text
    assert 'id="waiting-dashboard"' in dashboard
    assert re.search(r'data-plan="long_term_foster".*?data-label="Children">5<', dashboard, re.S)
    refused = finder.get("/children?q=" + "x" * 65)
    assert refused.status_code == 422 and "The search is not valid" in refused.text


def test_a_household_page_and_households_compared_for_one_child(api_env: ApiEnv) -> None:
    with api_env.session() as session:
        # Eli with a long-term fostering plan: the Harpers and the Browns can take him.
        session.execute(
            update(ChildRow).where(ChildRow.child_id == "C006").values(plan="long_term_foster")
        )
        bump_data_version(session)
        session.commit()
    finder = sign_in(api_env, "family_finder")
    page = finder.get("/children/C006").text
    run_id = re.search(r'name="run_id" value="(\d+)"', page)
    households = re.findall(r'data-household-id="([^"]+)"', page)
    assert run_id and len(households) >= 2
    compared = finder.get(
        f"/children/C006/compare?run_id={run_id.group(1)}"
        f"&household={households[0]}&household={households[1]}"
    )
    assert compared.status_code == 200
    words = text_of(compared.text)
    assert "2 households side by side" in words and "out of 100" in words
    for household in households[:2]:
        assert f'data-household-id="{household}"' in compared.text
    one = finder.get(f"/children/C006/compare?run_id={run_id.group(1)}&household={households[0]}")
    assert one.status_code == 422 and "choose 2 or 3 households" in one.text.lower()
    stranger = finder.get(
        f"/children/C006/compare?run_id={run_id.group(1)}&household={households[0]}&household=H404"
    )
    assert stranger.status_code == 404

    home = finder.get("/households/H001")
    assert home.status_code == 200
    words = text_of(home.text)
    for heading in ("Approval", "Skills and experience", "What it will consider", "Proposals"):
        assert heading in words
    assert "Emotional and behavioural needs" in words and "Therapeutic parenting" in words
    assert finder.get("/households/H404").status_code == 404
    assert sign_in(api_env, "recruitment").get("/households/H001").status_code == 403


def test_admin_sections_validate_filters_and_change_users(api_env: ApiEnv) -> None:
    admin = sign_in(api_env, "admin")
    sections = admin.get("/admin").text
    for href in ("/admin/import", "/admin/users", "/admin/audit"):
        assert f'href="{href}"' in sections
        assert admin.get(href).status_code == 200
    bad = admin.get("/admin/audit?since=2026-02-30")
    assert bad.status_code == 422
    assert "From must be a real date" in html.unescape(bad.text)
    assert 'id="audit-log"' not in bad.text  # not silently ignored
    upside_down = admin.get("/admin/audit?since=2026-03-02&until=2026-03-01")
    assert upside_down.status_code == 422
    good = admin.get(f"/admin/audit?since={date.today().isoformat()}")
    assert good.status_code == 200 and 'id="audit-log"' in good.text

    panel = sign_in(api_env, "panel")
    assert panel.get("/panel").status_code == 200
    users = admin.get("/admin/users").text
    token = csrf_of(users)
    changed = admin.post(
        "/admin/users/panel/role", data={"csrf_token": token, "role": "recruitment"}
    )
    assert changed.status_code == 303
    assert panel.get("/panel").status_code == 403  # the new role applies at once
    assert panel.get("/gaps").status_code == 200
    off = admin.post("/admin/users/panel/active", data={"csrf_token": token, "active": "false"})
    assert off.status_code == 303
    assert panel.get("/gaps").status_code == 303  # signed out: the session has ended
    assert "No: deactivated" in admin.get("/admin/users").text
    mine = admin.post("/admin/users/admin/role", data={"csrf_token": token, "role": "panel"})
    assert mine.status_code == 409 and "your own role" in mine.text


def test_every_error_outside_the_api_is_an_html_page(api_env: ApiEnv) -> None:
    finder = sign_in(api_env, "family_finder")
    for path, status in (
        ("/no/such/page", 404),
        # an id no record can have is an address that does not exist (issue #13)
        ("/proposals/not-a-number", 404),
    ):
        response = finder.get(path)
        assert response.status_code == status, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert "<h1" in response.text and '"detail"' not in response.text
    not_allowed = finder.put("/children")
    assert not_allowed.status_code == 405
    assert not_allowed.headers["content-type"].startswith("text/html")
    anonymous = TestClient(api_env.app, raise_server_exceptions=False).get("/nowhere")
    assert anonymous.status_code == 404 and "Page not found" in anonymous.text
    # A form too large for a page: the HTML page, before the body is read.
    too_large = finder.post("/login", content=b"x" * (2 << 20))
    assert too_large.status_code == 413
    assert too_large.headers["content-type"].startswith("text/html")
    assert "The file is too large" in too_large.text
    # The API keeps its JSON.
    api = api_env.client.get("/api/nowhere")
    assert api.status_code == 404 and api.json()["error"] == "NotFound"
    assert api_env.client.post("/api/token", content=b"x" * (2 << 20)).json()["error"] == (
        "PayloadTooLarge"
    )
