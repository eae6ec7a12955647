"""Browser tests: Debian's Chromium driven by Playwright against a live `familyfinder serve`.

One server for the whole run, on a free loopback port, with a fresh SQLite database
holding the demo authority and the demo users (plus a second family finder for the
double-proposal test). Browsers are never downloaded: Chromium is launched by its path
(`apt-get install chromium`). Screenshots go to test-artifacts/screenshots/.

These tests make their own database, so they run once, on SQLite, and are skipped when
the suite runs against PostgreSQL (FAMILYFINDER_TEST_DATABASE_URL) or without Chromium.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from tests.serving import wait_until_serving

CHROMIUM = Path(os.environ.get("FAMILYFINDER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
DEMO_PASSWORDS = {
    "finder": "finder-demo-2026",
    "recruiter": "recruiter-demo-2026",
    "panel": "panel-demo-2026",
    "admin": "admin-demo-2026",
    "decider": "decider-demo-2026",
    "chair": "chair-demo-2026",
    "finder2": "finder2-demo-2026",
}
# Playwright's waits: none (0). A slow machine may take its time (issue #13); a page
# that never shows what a test waits for is caught by pytest-timeout's hang guard.
NO_TIMEOUT = 0
# Screenshots at a desktop's width and a phone's (issue #15: tables fit a phone).
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE_WIDTH = 390

BROWSER_DIR = Path(__file__).resolve().parent


def _skip_reason() -> str | None:
    if os.environ.get("FAMILYFINDER_TEST_DATABASE_URL", "").startswith("postgresql"):
        return "browser tests run once, in the SQLite pass"
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            # CI installs Chromium itself: a missing browser there is a broken setup,
            # not a reason to pass without the browser tests.
            raise pytest.UsageError(f"CI=true but no Chromium at {CHROMIUM}")
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    if reason is None:
        return
    for item in items:
        if BROWSER_DIR in item.path.parents:
            item.add_marker(pytest.mark.skip(reason=reason))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _familyfinder() -> str:
    found = Path(sys.executable).parent / "familyfinder"
    return str(found) if found.exists() else (shutil.which("familyfinder") or "familyfinder")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a live `familyfinder serve --demo` on a fresh database."""
    workdir = tmp_path_factory.mktemp("serve")
    env = {
        **os.environ,
        "FAMILYFINDER_DATABASE_URL": f"sqlite:///{workdir / 'browser.db'}",
        "FAMILYFINDER_SECRET_KEY": "browser-tests-secret-key-0123456789abcdef",
    }
    env.pop("FAMILYFINDER_POLICY_FILE", None)
    subprocess.run(
        [_familyfinder(), "users", "add", "finder2", "--role", "family_finder", "--password-stdin"],
        input=DEMO_PASSWORDS["finder2"] + "\n",
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log = (workdir / "serve.log").open("w")
    process = subprocess.Popen(
        [_familyfinder(), "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base, workdir / "serve.log")  # no deadline; shows the log
    except AssertionError:
        log.close()
        raise
    yield base
    process.terminate()
    process.wait()
    log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Visitor:
    """One person in their own browser context (own cookies), signed in or not."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.base = base
        self.context = browser.new_context(viewport=DESKTOP)
        self.context.set_default_timeout(NO_TIMEOUT)
        self.page: Page = self.context.new_page()
        # what the pages' Content-Security-Policy blocked (checked when the visit ends)
        self.blocked: list[str] = []
        self.page.on(
            "console",
            lambda message: (
                self.blocked.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )

    def goto(self, path: str) -> Page:
        self.page.goto(self.base + path)
        return self.page

    def sign_in(self, username: str) -> Page:
        page = self.goto("/login")
        page.fill("#username", username)
        page.fill("#password", DEMO_PASSWORDS[username])
        page.click("button:has-text('Sign in')")
        page.wait_for_load_state()
        assert "/login" not in page.url, page.content()[:2000]
        return page


@pytest.fixture
def visitor(browser: Browser, server: str) -> Iterator[Visitor]:
    one = Visitor(browser, server)
    yield one
    one.context.close()
    assert not one.blocked, one.blocked  # nothing a page needs is refused by its policy


@pytest.fixture
def second_visitor(browser: Browser, server: str) -> Iterator[Visitor]:
    one = Visitor(browser, server)
    yield one
    one.context.close()
    assert not one.blocked, one.blocked


def screenshot(page: Page, name: str, *, fits_a_phone: bool = True) -> Path:
    """Save full-page screenshots as test artefacts, at 1280 px (`name.png`) and at a
    phone's 390 px (`name-390.png`); at 390 px nothing may scroll sideways (unless
    `fits_a_phone` is False: a page whose redesign is another issue's)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    try:
        page.screenshot(path=SCREENSHOTS / f"{name}-{PHONE_WIDTH}.png", full_page=True)
        wide = page.evaluate("document.documentElement.scrollWidth")
        if fits_a_phone:
            assert wide <= PHONE_WIDTH, f"{page.url} scrolls sideways at 390 px: {wide} px wide"
    finally:
        page.set_viewport_size(DESKTOP)
    return path


_AXE = Axe()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical WCAG 2.2 AA violation on the page."""
    results = _AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{page.url}: " + " | ".join(bad)


def assert_reads_well(page: Page) -> None:
    """The sentence audit (tests/sentences.py) finds nothing on the page."""
    from tests.sentences import page_words, problems

    found = problems(page_words(page.content()))
    assert not found, f"{page.url}: " + " | ".join(found[:10])


def child_ids_on(page: Page) -> list[str]:
    """The child ids listed on a children page, in order."""
    return re.findall(r'data-child-id="([^"]+)"', page.content())
