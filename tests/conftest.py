"""Cross-service tests: they start real service processes and talk to them over HTTP.

`system` starts every service once per test session (see shop_testing.harness). A test
that stops a service must start it again before it ends (`try/finally`), so the next test
finds the system whole. `page` is a fresh tab of a real, headless Chromium (cookies of
its own) for tests that go through the services' web pages; without /usr/bin/chromium
those tests are skipped and say why.
"""

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from shop_testing.browser import CHROMIUM, MISSING, chromium
from shop_testing.harness import System

# Development mode for the processes tests start (manage_all.py, manage.py, the harness).
os.environ.setdefault("DEBUG", "1")


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    running = System(tmp_path_factory.mktemp("system"))
    try:
        running.start_all()
        yield running
    finally:
        running.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(MISSING)
    with chromium() as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()
