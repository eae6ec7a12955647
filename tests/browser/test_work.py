"""The work around a match in Chromium (issue #15): a proposal's whole life, the waiting
list's search and sort, households compared for one child; axe, the sentence audit and
screenshots at 1280 and 390 px (nothing scrolls sideways on a phone) on every new page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import (
    Visitor,
    assert_accessible,
    assert_reads_well,
    child_ids_on,
    screenshot,
)
from tests.browser.test_journeys import _used, open_check_page, take_child_with_shortlist

pytestmark = pytest.mark.browser


def checked(page: Page, name: str) -> None:
    """axe, the sentence audit and the two screenshots of the page now open."""
    assert_accessible(page)
    assert_reads_well(page)
    screenshot(page, name)


def test_a_proposal_from_check_to_matched(
    visitor: Visitor, second_visitor: Visitor, browser: object
) -> None:
    finder = visitor.sign_in("finder")
    child_id = take_child_with_shortlist(visitor)
    checked(finder, "child")
    name = finder.inner_text("h1")

    # Check your answers, then propose.
    open_check_page(finder)
    for section in ("What will be reserved", "The rationale that will be frozen"):
        assert section in finder.inner_text("main")
    assert "out of 100" in finder.inner_text("main")
    checked(finder, "check-proposal")
    finder.click("#confirm-proposal")
    finder.wait_for_url(re.compile(r"/proposals/\d+\?created=1"))
    paper = finder.url.split("?")[0].removeprefix(visitor.base)
    checked(finder, "paper-proposed")

    # The child's page and the waiting list show the stage; no Propose any more.
    visitor.goto(f"/children/{child_id}")
    assert finder.locator("#current-proposal [data-stage=proposed]").count() == 1
    assert finder.locator("a.ff-propose").count() == 0
    visitor.goto("/children?q=" + child_id)
    row = finder.locator(f'tr[data-child-id="{child_id}"]')
    assert row.locator("[data-stage=proposed]").count() == 1
    checked(finder, "children-search")

    # Withdraw with a reason: the reason is required.
    visitor.goto(paper)
    finder.click("#withdraw-link")
    checked(finder, "withdraw")
    finder.click("button:has-text('Withdraw the proposal')")
    assert "Enter why you are withdrawing it" in finder.inner_text(".govuk-error-summary")
    assert_accessible(finder)
    finder.fill("#reasons", "The social worker asked to meet the carers first.")
    finder.click("button:has-text('Withdraw the proposal')")
    finder.wait_for_url(re.compile(r"recorded=withdrawal"))
    assert "met the carers" not in finder.inner_text("#decision-recorded")
    assert "meet the carers first" in finder.inner_text("#decision-recorded")

    # Propose again, from the child's page.
    visitor.goto(f"/children/{child_id}")
    assert finder.locator("#current-proposal [data-stage=withdrawn]").count() == 1
    open_check_page(finder)
    finder.click("#confirm-proposal")
    finder.wait_for_url(re.compile(r"/proposals/\d+\?created=1"))
    paper = finder.url.split("?")[0].removeprefix(visitor.base)

    # The panel recommends.
    panel = second_visitor.sign_in("panel")
    second_visitor.goto(paper)
    panel.check("input[value=recommended]")
    panel.fill("#reasons", "Needs met; the carers' questions were answered at panel.")
    panel.click("button:has-text('Record recommendation')")
    panel.wait_for_url(re.compile(r"recorded=1"))

    # The agency decision maker approves, from the decisions page.
    decider_visit = Visitor(browser, visitor.base)  # type: ignore[arg-type]
    try:
        decider = decider_visit.sign_in("decider")
        assert decider.url.endswith("/decisions")
        checked(decider, "decisions")
        decider.click(f'#awaiting-decision a[href="{paper}"]')
        decider.check("input[name=decision][value=approved]")
        decider.fill("#decision-reasons", "Agree with the panel.")
        decider.click("button:has-text('Record the decision')")
        decider.wait_for_url(re.compile(r"recorded=decision"))
        assert "Approved by decider" in decider.inner_text("#decision-recorded")
        checked(decider, "paper-approved")
        # Printed, the record of the recommendation and the decision comes with it.
        decider.emulate_media(media="print")
        assert decider.locator("#decision-record").is_visible()
        assert not decider.locator("form").first.is_visible()
        decider.emulate_media(media="screen")
    finally:
        decider_visit.context.close()

    # The child is matched.
    visitor.goto(f"/children/{child_id}")
    assert "Matched" in finder.inner_text("#child-summary")
    assert finder.locator("#current-proposal [data-stage=approved]").count() == 1
    assert name in finder.inner_text("h1")


def test_the_waiting_list_searches_and_sorts(visitor: Visitor) -> None:
    page = visitor.sign_in("finder")
    # Longest waiting first by default.
    days = [
        int(d)
        for d in page.locator("tbody tr[data-days]").evaluate_all(
            "rows => rows.map(r => r.dataset.days).filter(d => d !== '')"
        )
    ]
    assert days and days == sorted(days, reverse=True)
    assert page.locator("#waiting-dashboard tbody tr").count() >= 3
    checked(page, "children")

    # Search by a first name from the list: every row found carries it.
    first = page.locator("tbody tr[data-child-id] td a").first.inner_text().split(" (")[0]
    page.fill("#q", first.lower())
    page.click("button:has-text('Apply filters')")
    names = page.locator("tbody tr[data-child-id] td:first-child a").all_inner_texts()
    assert names and all(first.lower() in n.lower() for n in names)
    assert_accessible(page)

    # Youngest first.
    visitor.goto("/children?sort=age")
    ages = page.locator("tbody tr[data-child-id] td:nth-child(2)").all_inner_texts()
    years = [0 if a.startswith("Unborn") else int(a) for a in ages]
    assert years == sorted(years)
    # The plans that are not family-found are one click away.
    visitor.goto("/children")
    page.click("a:has-text('listed separately')")
    plans = set(page.locator("tbody tr[data-child-id] td:nth-child(3)").all_inner_texts())
    assert plans and all(
        p.split("\n")[0] in ("Return home", "Supported living", "No plan recorded") for p in plans
    )


def test_households_compared_side_by_side(visitor: Visitor) -> None:
    page = visitor.sign_in("finder")
    visitor.goto("/children?plan=long_term_foster")
    for child_id in child_ids_on(page):
        if child_id in _used:
            continue
        visitor.goto(f"/children/{child_id}")
        if page.locator("[data-household-id]").count() >= 3:
            break
    else:
        raise AssertionError("no child with three households on the first page")
    households = page.locator("section[data-household-id]").evaluate_all(
        "s => s.map(e => e.dataset.householdId)"
    )[:3]
    for household in households:
        page.check(f"#compare-{household}")
    page.click("#compare-button")
    page.wait_for_url(re.compile(r"/compare\?"))
    header = page.locator("#comparison thead th[data-household-id]")
    assert header.count() == 3
    assert "out of 100" in page.inner_text("#comparison")
    checked(page, "compare")

    page.click(f'#comparison thead a[href^="/households/{households[0]}"]')
    page.wait_for_url(re.compile(rf"/households/{households[0]}"))
    for heading in ("Approval", "Skills and experience", "What it will consider", "Proposals"):
        assert heading in page.inner_text("main")
    checked(page, "household")


def test_admin_sections_and_error_pages(visitor: Visitor) -> None:
    page = visitor.sign_in("admin")
    for path, name in (
        ("/admin", "admin"),
        ("/admin/users", "admin-users"),
        ("/admin/audit", "admin-audit"),
    ):
        visitor.goto(path)
        checked(page, name)
    visitor.goto("/admin/audit?since=2026-02-30")
    assert "From must be a real date" in page.inner_text(".govuk-error-summary")
    assert_accessible(page)
    response = page.goto(visitor.base + "/no/such/page")
    assert response is not None and response.status == 404
    assert "Page not found" in page.inner_text("h1")
    checked(page, "not-found")
