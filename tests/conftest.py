"""Cross-service tests: they start real service processes and talk to them over HTTP.

`system` starts every service once per test session (see shop_testing.harness). A test
that stops a service must start it again before it ends (`try/finally`), so the next test
finds the system whole.
"""

from collections.abc import Iterator

import pytest

from shop_testing.harness import System


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    running = System(tmp_path_factory.mktemp("system"))
    try:
        running.start_all()
        yield running
    finally:
        running.close()
