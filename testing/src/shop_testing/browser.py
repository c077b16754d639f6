"""A real browser for tests: Debian's Chromium, driven by Playwright.

`playwright install` downloads its own browsers and fails without internet, so the tests
launch the system's `/usr/bin/chromium` (`apt-get install -y chromium`), headless.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MISSING = f"{CHROMIUM} is absent: install Debian's chromium (apt-get install -y chromium)"


@contextmanager
def chromium() -> Iterator[Browser]:
    """The system's Chromium, headless, closed when the block ends."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
