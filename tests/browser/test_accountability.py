"""Issue 16 in Chromium: the panel paper's replay link and the transparency record, with
axe, the sentence audit and screenshots at 1280 and 390 px."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Visitor, assert_accessible, assert_reads_well, screenshot
from tests.browser.test_journeys import propose_first, take_child_with_shortlist

pytestmark = pytest.mark.browser


def test_the_panel_replays_the_run_behind_a_paper(
    visitor: Visitor, second_visitor: Visitor
) -> None:
    finder = visitor.sign_in("finder")
    take_child_with_shortlist(visitor)
    paper = propose_first(finder).split("?")[0].removeprefix(visitor.base)

    panel = second_visitor.sign_in("panel")
    second_visitor.goto(paper)
    panel.click("#replay-link")
    panel.wait_for_load_state()
    assert "/replay" in panel.url
    assert "Identical" in panel.inner_text("#replay-outcome")
    assert_accessible(panel)
    assert_reads_well(panel)
    screenshot(panel, "replay")


@pytest.mark.parametrize("username", ["finder", "recruiter", "panel", "decider", "admin"])
def test_every_role_reads_the_transparency_record(visitor: Visitor, username: str) -> None:
    page = visitor.sign_in(username)
    page.click("a:has-text('its transparency record')")
    page.wait_for_load_state()
    assert page.url.endswith("/transparency")
    assert "Hard rules and their source" in page.inner_text("main")
    assert_accessible(page)
    if username == "admin":
        assert_reads_well(page)
        screenshot(page, "transparency")
