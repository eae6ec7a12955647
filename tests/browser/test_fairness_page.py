"""The fairness page in Chromium (issue #16): the oversight role's journey, with axe,
the sentence audit and screenshots at 1280 and 390 px; nothing child-level in reach."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Visitor, assert_accessible, assert_reads_well, screenshot

pytestmark = pytest.mark.browser


def test_oversight_reads_the_fairness_report(visitor: Visitor) -> None:
    page = visitor.sign_in("chair")
    assert page.url.endswith("/fairness")
    assert page.inner_text("h1") == "Fairness report"
    assert page.locator("#figures-ethnicity").count() == 1
    assert_accessible(page)
    assert_reads_well(page)
    screenshot(page, "fairness")
    visitor.goto("/children")
    assert "You cannot see this page" in page.inner_text("main")
