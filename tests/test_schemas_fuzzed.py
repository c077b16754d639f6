"""Schemathesis against every service's published schema, through the gateway, signed in
as staff: whatever it generates, valid or not, gets no 5xx, a status the operation
documents, the content type and body its schema promises, and a refusal without a token
where the schema says a token is needed.

The system runs with the demo catalog (so orders reach the stock logic), with rate limits
far above what the fuzzer sends and access tokens that outlive the run, set through the
environment as an operator would: a 429 or an expired token would only hide the answers
under test. The seed is fixed, so a failure repeats;
the report names the request and `st replay` repeats it against a running system.
"""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from shop_common.service_table import SERVICES
from shop_testing.harness import System
from shop_testing.shop import Shop

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "ignored_auth",
)
SEED = 20261202
# Cases per operation and phase: about half a minute per service on two cores.
MAX_EXAMPLES = 20
GENEROUS_LIMITS = dict.fromkeys(
    (
        "RATE_LIMIT_ANON",
        "RATE_LIMIT_USER",
        "RATE_LIMIT_ADDRESS",
        "RATE_LIMIT_REGISTER",
        "RATE_LIMIT_LOGIN",
        "RATE_LIMIT_LOGIN_CEILING",
    ),
    "1000000/m",
)
# The staff token must outlive a slow run: an expiry midway would only turn answers to 401s.
LONG_LIVED_TOKENS = {"JWT_ACCESS_TOKEN_MINUTES": "60"}
RUN_TIMEOUT = 300
SERVICES_WITH_AN_API = sorted(name for name, service in SERVICES.items() if service.has_database)


@pytest.fixture(scope="module")
def fuzzed_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """A system of its own: the fuzzer fills its databases with whatever it generates."""
    with pytest.MonkeyPatch.context() as environment:
        for name, value in {**GENEROUS_LIMITS, **LONG_LIVED_TOKENS}.items():
            environment.setenv(name, value)
        running = System(tmp_path_factory.mktemp("fuzzed"))
    try:
        running.start_all()
        seeded = running.manage("product_svc", "seed")
        assert seeded.returncode == 0, seeded.stderr
        yield running
    finally:
        running.close()


@pytest.mark.parametrize("service", SERVICES_WITH_AN_API)
def test_every_answer_matches_the_published_schema(
    fuzzed_system: System, service: str, tmp_path: Path
) -> None:
    gateway = fuzzed_system.url("gateway_svc")
    schema_url = f"{gateway}/api/v1/{service}/schema/"
    assert requests.get(schema_url, timeout=10).status_code == 200
    staff = Shop(fuzzed_system).staff  # a new staff account, its access token fresh
    result = subprocess.run(
        [
            *(sys.executable, "-m", "schemathesis.cli", "run", schema_url),
            *("--url", gateway),
            *("--checks", ",".join(CHECKS)),
            *("--seed", str(SEED)),
            *("--max-examples", str(MAX_EXAMPLES)),
            *("--workers", "1"),
            *("--header", f"Authorization: {staff.headers['Authorization']}"),
            *("--report-dir", str(tmp_path)),
            "--no-color",
        ],
        cwd=tmp_path,  # schemathesis keeps a cache folder in the working directory
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
