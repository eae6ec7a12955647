"""Each user's journey end to end in Chromium, with an axe scan of every page visited."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import (
    SCREENSHOTS,
    Visitor,
    assert_accessible,
    child_ids_on,
    screenshot,
)

pytestmark = pytest.mark.browser

# Children proposed by one test are held: every test takes children of its own.
_used: set[str] = set()


def take_child_with_shortlist(visitor: Visitor, *, group: bool = False) -> str:
    """A waiting long-term-foster child whose shortlist has households, not used before."""
    query = "/children?plan=long_term_foster" + ("&siblings=group" if group else "")
    page = visitor.goto(query)
    for child_id in child_ids_on(page):
        if child_id in _used:
            continue
        visitor.goto(f"/children/{child_id}")
        if page.locator("[data-household-id]").count() > 0:
            _used.add(child_id)
            return child_id
    raise AssertionError("no waiting child with a shortlist on the first page")


def propose_first(page: Page) -> str:
    """Propose the first household on the open child page, through the check page
    (issue #15); the proposal's URL."""
    open_check_page(page)
    page.click("#confirm-proposal")
    page.wait_for_url(re.compile(r"/proposals/\d+"))
    return page.url


def open_check_page(page: Page) -> None:
    """Follow the first Propose on the open child page to its check-your-answers page."""
    page.locator("[data-household-id] a.ff-propose").first.click()
    page.wait_for_url(re.compile(r"/proposals/new\?"))


def test_signed_out_visitor_is_sent_to_login_and_back(visitor: Visitor) -> None:
    page = visitor.goto("/children?plan=adoption")
    assert "/login?next=" in page.url
    assert page.locator("input[name=username]").count() == 1
    assert page.locator("input[name=password]").count() == 1
    screenshot(page, "login")
    assert_accessible(page)

    page.fill("#username", "finder")
    page.fill("#password", "wrong password")
    page.click("button:has-text('Sign in')")
    assert "The username or password is not right" in page.inner_text(".govuk-error-summary")
    assert_accessible(page)

    # The form kept where the visitor was going.
    page.fill("#password", "finder-demo-2026")
    page.click("button:has-text('Sign in')")
    page.wait_for_url(re.compile(r"/children\?plan=adoption$"))


def test_family_finder_journey(visitor: Visitor) -> None:
    page = visitor.sign_in("finder")
    assert page.url.endswith("/children")
    screenshot(page, "children")
    assert_accessible(page)

    # Waiting over the second threshold (426 days): the adoption plans are flagged A1
    # (the scorecard measures them), the other plans carry no scorecard label.
    page.select_option("#waiting", "second")
    page.click("button:has-text('Apply filters')")
    rows = page.locator("tbody tr")
    assert rows.count() > 0
    adoption = page.locator(
        "tbody tr", has=page.locator("td[data-label='Plan']", has_text="doption")
    )
    assert adoption.count() > 0
    assert page.locator("tbody tr.ff-overdue-severe").count() == adoption.count()
    assert page.locator("tbody tr .govuk-tag--red").count() == adoption.count()

    # A child in a sibling group: the drawing shows each child and each link.
    child_id = take_child_with_shortlist(visitor, group=True)
    page = visitor.page
    drawing = page.locator("#siblings ~ div svg, #siblings ~ .govuk-grid-row svg").first
    assert drawing.locator("circle").count() >= 2
    assert drawing.locator("line").count() >= 1
    assert "Needs profile" in page.content()
    assert page.locator("#excluded-counts tbody tr").count() >= 1

    # The shortlist: each household's score bar is split into its contributions.
    first = page.locator("[data-household-id]").first
    assert first.locator("svg.ff-bar rect").count() >= 3
    assert "score" in first.inner_text()
    screenshot(page, "shortlist")
    assert_accessible(page)

    # Why not this household? An unknown id is an error on the field; a real one is
    # explained by its failed rules or its rank.
    page.fill("#why_not", "H999999")
    page.click("button:has-text('Explain')")
    assert "There is no household H999999" in page.inner_text(".govuk-error-summary")
    page.fill("#why_not", "H000001")
    page.click("button:has-text('Explain')")
    answer = page.inner_text("#why-not-answer")
    assert "H000001" in answer
    assert "excluded by" in answer or "ranks" in answer
    assert_accessible(page)

    # Propose the first household: the vacancy is reserved, the proposal shown.
    household = page.locator("[data-household-id]").first.get_attribute("data-household-id")
    propose_first(page)
    assert "Proposal made" in page.inner_text(".govuk-notification-banner")
    assert household is not None and household in page.content()
    assert child_id in page.content()
    screenshot(page, "proposal-made")
    assert_accessible(page)


def test_two_finders_propose_the_same_vacancy(visitor: Visitor, second_visitor: Visitor) -> None:
    visitor.sign_in("finder")
    second_visitor.sign_in("finder2")
    child_id = take_child_with_shortlist(visitor)
    # Both have the same shortlist open before either proposes.
    second_visitor.goto(f"/children/{child_id}")
    first_choice = visitor.page.locator("[data-household-id]").first
    second_choice = second_visitor.page.locator("[data-household-id]").first
    assert first_choice.get_attribute("data-household-id") == second_choice.get_attribute(
        "data-household-id"
    )

    # Both have the check page open before either confirms (issue #15: the check page).
    open_check_page(visitor.page)
    open_check_page(second_visitor.page)
    visitor.page.click("#confirm-proposal")
    visitor.page.wait_for_url(re.compile(r"/proposals/\d+"))
    assert "Proposal made" in visitor.page.inner_text(".govuk-notification-banner")

    page = second_visitor.page
    with page.expect_response(re.compile(r"/proposals$")) as response:
        page.click("#confirm-proposal")
    assert response.value.status == 409
    message = page.inner_text(".govuk-error-summary")
    assert "another family finder got there first" in message
    assert "/proposals/" not in page.url
    screenshot(page, "proposal-conflict")
    assert_accessible(page)


def test_panel_journey(visitor: Visitor, second_visitor: Visitor) -> None:
    visitor.sign_in("finder")
    take_child_with_shortlist(visitor)
    proposal_url = propose_first(visitor.page)
    proposal_id = proposal_url.rsplit("/", 1)[1].split("?")[0]

    page = second_visitor.sign_in("panel")
    assert page.url.endswith("/panel")
    assert page.locator(f'tr[data-proposal-id="{proposal_id}"]').count() == 1
    screenshot(page, "panel-agenda")
    assert_accessible(page)

    page.click(f'tr[data-proposal-id="{proposal_id}"] a')
    page.wait_for_url(re.compile(rf"/proposals/{proposal_id}$"))
    text = page.inner_text("main")
    for heading in (
        "The children",
        "Sibling decision",
        "The household",
        "Every criterion, its points and its reason",
        "Hard rules passed",
        "Questions still open",
        "Alternatives considered",
        "Policy version",
        "Data as of",
        "Proposed by",
    ):
        assert heading in text, heading
    assert page.locator("#criteria tbody tr").count() >= 3
    screenshot(page, "panel-paper")
    assert_accessible(page)

    # Printed on A4: no navigation and no form on paper.
    page.emulate_media(media="print")
    assert not page.locator(".govuk-service-navigation").is_visible()
    assert not page.locator("form").first.is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(path=str(SCREENSHOTS / "panel-paper.pdf"), format="A4")
    assert pdf.startswith(b"%PDF")
    page.emulate_media(media="screen")

    # Recording needs a choice and reasons; then it is shown on the paper.
    page.click("button:has-text('Record recommendation')")
    errors = page.inner_text(".govuk-error-summary")
    assert "Choose the panel's recommendation" in errors
    assert "Enter the panel's reasons" in errors
    assert_accessible(page)
    page.check("input[value=recommended]")
    page.fill("#reasons", "A strong match on needs and identity; questions answered at panel.")
    page.click("button:has-text('Record recommendation')")
    page.wait_for_url(re.compile(r"recorded=1"))
    assert "Recommendation recorded" in page.inner_text(".govuk-notification-banner")
    assert "strong match" in page.inner_text("#recommendation-recorded")


def test_recruitment_journey(visitor: Visitor) -> None:
    page = visitor.sign_in("recruiter")
    assert page.url.endswith("/gaps")
    assert page.locator("#headline-figures .govuk-heading-xl").count() == 4
    assert page.locator(".ff-chart").count() == 3
    # GOV.UK's inline script ran (it carries the page's nonce)
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    assert page.locator("#by-profile tbody tr").count() >= 1
    # No child-level data anywhere: no child id, no first name column.
    assert not re.search(r"C\d{6}", page.content())
    assert_accessible(page)

    with page.expect_download() as download:
        page.click("a[href^='/gaps/download/gap-report-tables.zip']")
    zip_path = download.value.path()
    assert zip_path is not None
    with zipfile.ZipFile(zip_path) as archive:
        texts = [archive.read(name).decode("utf-8-sig") for name in archive.namelist()]
    assert any("Children waiting" in text for text in texts)
    assert not any(re.search(r"C\d{6}", text) for text in texts)
    with page.expect_download() as download:
        page.click("a[href^='/gaps/download/gap-report.xlsx']")
    xlsx = download.value.path()
    assert xlsx is not None and Path(xlsx).read_bytes()[:2] == b"PK"

    # A recruitment officer cannot open a child's page.
    response = visitor.page.goto(visitor.base + "/children/C000002")
    assert response is not None and response.status == 403
    assert "You cannot see this page" in page.inner_text("h1")
    screenshot(page, "forbidden")
    assert_accessible(page)


def test_rounds_journey(visitor: Visitor) -> None:
    page = visitor.sign_in("finder")
    visitor.goto("/rounds")
    assert_accessible(page)
    page.check("input[name=mode][value=allocate]")
    page.fill("#time_limit_s", "2")
    page.click("button:has-text('Start round')")
    page.wait_for_url(re.compile(r"/rounds/\d+$"))
    # The page polls until the round is done.
    page.locator("#round-done").wait_for()  # the context has no timeout: issue #13
    assert page.locator("#round-results tbody tr").count() >= 1
    assert "Not placed, with reasons" in page.inner_text("main")
    screenshot(page, "round")
    assert_accessible(page)


def test_admin_journey(visitor: Visitor, second_visitor: Visitor, tmp_path: Path) -> None:
    second_visitor.sign_in("finder")
    second_visitor.goto("/children/C000002")
    page = visitor.sign_in("admin")
    visitor.goto("/admin")
    assert_accessible(page)
    # Issue #15: the admin pages are in sections.
    visitor.goto("/admin/import")
    assert_accessible(page)

    children = tmp_path / "children.csv"
    households = tmp_path / "households.csv"
    children.write_text(
        "child_id,date_of_birth,sex,ethnicity,plan,status\n"
        "X1,2015-01-01,female,WBRI,adoption,waiting\n"
        "X2,2015-13-01,male,WBRI,long_term_foster,waiting\n",
        encoding="utf-8",
    )
    households.write_text("household_id,kind\nHX,castle\n", encoding="utf-8")
    page.set_input_files("#children", str(children))
    page.set_input_files("#households", str(households))
    page.click("button:has-text('Check and import')")
    problems = page.locator("#import-problems tbody tr")
    assert problems.count() >= 1
    table = page.inner_text("#import-problems")
    assert "children.csv" in table and "date_of_birth" in table
    screenshot(page, "admin-import-problems")
    assert_accessible(page)

    visitor.goto("/admin/users")
    page.fill("#new_username", "newfinder")
    page.fill("#new_password", "a-long-password")
    page.select_option("#new_role", "family_finder")
    page.click("button:has-text('Add user')")
    assert "newfinder" in page.inner_text(".govuk-notification-banner")

    # The audit log: the finder's read of a child's page is there.
    visitor.goto("/admin/audit?user=finder&child=C000002")
    log = page.inner_text("#audit-log")
    assert "Read a child's record" in log and "C000002" in log
    screenshot(page, "admin")
    assert_accessible(page)
