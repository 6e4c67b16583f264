"""Debian's Chromium through Playwright, for the browser tests of the web chat and the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, sync_playwright

from tests.conftest import require

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: A cheap Android phone's viewport.
PHONE = {"width": 360, "height": 640}


@contextmanager
def chromium() -> Iterator[Browser]:
    """A running Chromium; missing, the test fails in CI and is skipped on a developer's machine."""
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing: install Debian's 'chromium' package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def chromium_profile(browser: Browser, profile: Path, **context: Any) -> BrowserContext:
    """A second Chromium on a profile folder of its own (kept between launches, as a phone's browser keeps
    one), started like `chromium()`; `context` as for `Browser.new_context` (viewport, locale, ...)."""
    return browser.browser_type.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, **context
    )
