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


def _draft_policy() -> bytes:
    """The shipped policy with the needs weight tripled and a stricter flag threshold:
    a change whose effect the panel should see before it is used."""
    from matching.policy import default_policy_text

    text = (
        default_policy_text()
        .replace('version = "2026.2"', 'version = "draft-needs"')
        .replace("needs = 30.0 ", "needs = 90.0 ")
        .replace("\nthreshold = 0.8\n", "\nthreshold = 0.95\n")
    )
    assert 'version = "draft-needs"' in text and "threshold = 0.95" in text
    return text.encode()


def test_oversight_compares_the_report_under_an_uploaded_policy(visitor: Visitor) -> None:
    page = visitor.sign_in("chair")
    assert page.url.endswith("/fairness")
    # a file that is not a policy: the error summary names the line and links to the field
    page.set_input_files(
        "#policy-file",
        files=[{"name": "draft.toml", "mimeType": "application/toml", "buffer": b"[weights\n"}],
    )
    page.click("#compare-file")
    page.wait_for_load_state()
    summary = page.locator(".govuk-error-summary")
    assert "draft.toml, line 1: is not valid TOML" in summary.inner_text()
    assert summary.locator("a").get_attribute("href") == "#policy-file"
    assert "draft.toml, line 1" in page.locator("#policy-file-error").inner_text()
    assert_accessible(page)

    page.set_input_files(
        "#policy-file",
        files=[{"name": "draft.toml", "mimeType": "application/toml", "buffer": _draft_policy()}],
    )
    page.click("#compare-file")
    page.wait_for_load_state()
    assert page.locator("#comparison h3").inner_text() == (
        "Under the policy file you sent (policy draft-needs)"
    )
    assert "See the comparison" in page.inner_text("#comparison-summary")
    changed = page.locator("#figures-changed tbody tr")
    assert changed.count() > 0
    first = changed.first.locator("td")
    assert first.nth(0).inner_text() and first.nth(3).inner_text() != "Same figure"
    # the figures the panel already had stay on the page beside the comparison
    assert page.locator("#figures-ethnicity").count() == 1
    assert_accessible(page)
    assert_reads_well(page)
    screenshot(page, "fairness-compare")

    with page.expect_download() as download:
        page.click("#download-comparison")
    saved = download.value.path()
    header = saved.read_text(encoding="utf-8").splitlines()[0]
    assert "compare_value" in header and "compare_flagged" in header
