"""The interactive API docs work offline (issue #13: /docs was blank without internet):
Swagger UI comes from the service itself, under the pages' Content-Security-Policy."""

from __future__ import annotations

from urllib.parse import urlparse

from tests.browser.conftest import Visitor, screenshot


def test_api_docs_render_from_the_service_alone(visitor: Visitor) -> None:
    elsewhere: list[str] = []
    origin = urlparse(visitor.base).netloc
    visitor.page.on(
        "request",
        lambda request: (
            elsewhere.append(request.url)
            if urlparse(request.url).netloc not in (origin, "")
            and not request.url.startswith("data:")
            else None
        ),
    )
    page = visitor.goto("/docs")
    page.locator(".opblock").first.wait_for()
    operations = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/token" in " ".join(operations) and "/api/children" in " ".join(operations)
    assert not elsewhere, elsewhere  # nothing fetched from another site (no CDN)
    screenshot(page, "api-docs")
    # the visitor fixture then checks that the page's policy blocked nothing
