"""The gap page in Chromium (issue #15 item 5): sections linked from the top, charts that
read on a phone, and the what-if form with its errors, field by field, and its answer at
the top; axe on each state, screenshots at 1280 and 390 px."""

from __future__ import annotations

import re

from tests.browser.conftest import (
    PHONE_WIDTH,
    Visitor,
    assert_accessible,
    assert_reads_well,
    screenshot,
)


def test_the_gap_page_reads_in_sections_and_fits_a_phone(visitor: Visitor) -> None:
    page = visitor.sign_in("recruiter")
    assert page.url.endswith("/gaps")
    # each section is linked from the top, in the order headline, targets, charts, tables
    hrefs = page.eval_on_selector_all("#contents a", "links => links.map(a => a.hash)")
    assert hrefs[:4] == ["#headline", "#targets", "#charts", "#tables"]
    for href in hrefs:
        assert page.locator(href).count() == 1, href
    tops = [page.locator(h).bounding_box()["y"] for h in hrefs[:4]]  # type: ignore[index]
    assert tops == sorted(tops)
    # every chart's words are at least 12 px, on a desktop and on a phone
    for width in (1280, PHONE_WIDTH):
        page.set_viewport_size({"width": width, "height": 900})
        sizes = page.eval_on_selector_all(
            ".ff-chart .ff-bar-label, .ff-chart .ff-bar-values, .ff-legend li",
            "nodes => nodes.map(n => parseFloat(getComputedStyle(n).fontSize))",
        )
        assert sizes and min(sizes) >= 12, (width, min(sizes))
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size({"width": 1280, "height": 900})
    # the bars are drawn in the palette, not left black
    fills = page.eval_on_selector_all(
        ".ff-bar-svg rect", "rs => rs.map(r => r.getAttribute('fill'))"
    )
    assert fills and set(fills) <= {"#0072B2", "#D55E00", "#009E73"}
    assert not re.search(r"\d{2}\.\d{2,}, ?-?\d\.\d{2,}", page.inner_text("main"))  # no coordinates
    assert_reads_well(page)
    assert_accessible(page)
    screenshot(page, "gaps")


def test_the_what_if_form_says_what_is_wrong_field_by_field(visitor: Visitor) -> None:
    page = visitor.sign_in("recruiter")
    page.click("a[href='#what-if']")
    # nothing chosen: the kind and the ages are asked for, each linked to its field
    page.fill("#count", "lots")
    page.click("button:has-text('Show the effect')")
    summary = page.locator(".govuk-error-summary")
    words = summary.inner_text()
    assert "Select the kind of household" in words
    assert "Select the youngest age" in words and "Select the oldest age" in words
    assert "Enter how many households as a whole number" in words
    assert "kind=" not in page.content() and "--add" not in page.content()
    links = summary.locator("a").evaluate_all("links => links.map(a => a.hash)")
    assert set(links) == {"#kind", "#min_age", "#max_age", "#count"}
    assert page.locator("#kind-error").count() == 1
    assert_accessible(page)
    screenshot(page, "gaps-what-if-errors")

    # foster carers without a term, ages upside down
    page.select_option("#kind", "foster")
    page.select_option("#min_age", "12")
    page.select_option("#max_age", "3")
    page.fill("#count", "5")
    page.click("button:has-text('Show the effect')")
    words = page.locator(".govuk-error-summary").inner_text()
    assert "Select short-term, long-term or both" in words
    assert "The oldest age must be the same as the youngest age or more" in words
    assert page.locator("#kind").input_value() == "foster"  # what was chosen is kept

    # put right: the answer is at the top of the page, in words
    page.select_option("#term", "long")
    page.select_option("#max_age", "15")
    page.select_option("#places", "2")
    page.check("input[name=skills][value=autism]")
    page.click("button:has-text('Show the effect')")
    assert page.locator(".govuk-error-summary").count() == 0
    answer = page.locator("#what-if-result")
    assert "5 long-term foster carers approved for ages 12 to 15" in answer.inner_text()
    assert "skilled in autism" in answer.inner_text()
    top = answer.bounding_box()
    contents = page.locator("#contents").bounding_box()
    assert top is not None and contents is not None and top["y"] < contents["y"]
    assert_reads_well(page)
    assert_accessible(page)
    screenshot(page, "gaps-what-if-answer")
