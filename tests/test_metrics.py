"""Every service's `/metrics`, under gunicorn as deployed, shows its series from the first
scrape: at zero where the labels are known before anything has been counted."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from shop_testing.harness import System

OPERATIONAL = {"route": "/metrics", "method": "GET"}
EVERY_SERVICE = [
    ("http_requests_total", {**OPERATIONAL, "status": "200"}),
    ("http_request_duration_seconds_count", OPERATIONAL),
]
WITH_A_DATABASE = [("http_request_db_queries_count", OPERATIONAL)]
OWN_SERIES = {
    "gateway_svc": [
        ("gateway_upstream_calls_total", {"service": "order_svc", "outcome": "unavailable"}),
        ("gateway_upstream_retries_total", {"service": "product_svc"}),
        ("gateway_breaker_rejections_total", {"service": "user_svc"}),
        ("gateway_cache_lookups_total", {"route": "/api/v1/products/", "result": "hit"}),
        ("gateway_rate_limited_total", {"limit": "anon"}),
    ],
    "user_svc": WITH_A_DATABASE,
    "product_svc": [
        *WITH_A_DATABASE,
        ("inventory_reservations_total", {"outcome": "short"}),
        ("inventory_releases_total", {"outcome": "tombstone"}),
    ],
    "order_svc": [
        *WITH_A_DATABASE,
        ("orders_placed_total", {"outcome": "failed"}),
        ("orders_cancelled_total", {"actor": "staff"}),
    ],
}


@pytest.fixture(scope="module")
def fresh_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """Every service just started (asked `/healthz` once, as the harness does), nothing else."""
    system = System(Path(tmp_path_factory.mktemp("fresh")), names=OWN_SERIES)
    try:
        for name in OWN_SERIES:
            system.start(name)
        yield system
    finally:
        system.close()


def first_scrape(url: str) -> dict[tuple[str, frozenset], float]:
    response = requests.get(f"{url}/metrics", timeout=5)
    assert response.status_code == 200
    families = text_string_to_metric_families(response.text)
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in families
        for sample in family.samples
    }


@pytest.mark.parametrize("service", sorted(OWN_SERIES))
def test_the_first_scrape_shows_every_series_with_known_labels_at_zero(fresh_system, service):
    samples = first_scrape(fresh_system.url(service))

    for name, labels in [*EVERY_SERVICE, *OWN_SERIES[service]]:
        assert samples.get((name, frozenset(labels.items()))) == 0, (name, labels)
