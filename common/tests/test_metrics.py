import pytest

from shop_common.metrics import pattern_label
from shop_testing.metrics import metric_growth, scrape_metrics

ROUTE = {"route": "/two-queries/", "method": "GET"}


@pytest.mark.django_db
def test_metrics_count_each_requests_database_queries(client):
    before = scrape_metrics(client)
    client.get("/two-queries/")
    client.get("/two-queries/")
    after = scrape_metrics(client)

    def grew(name: str, **labels: str) -> float:
        return metric_growth(before, after, name, **labels)

    assert grew("http_requests_total", **ROUTE, status="200") == 2
    assert grew("http_request_db_queries_count", **ROUTE) == 2
    assert grew("http_request_db_queries_sum", **ROUTE) == 4
    assert grew("http_request_db_queries_bucket", **ROUTE, le="1.0") == 0
    assert grew("http_request_db_queries_bucket", **ROUTE, le="2.0") == 2


@pytest.mark.django_db
def test_a_request_without_queries_is_observed_as_zero(client):
    before = scrape_metrics(client)
    client.get("/plain/")
    after = scrape_metrics(client)

    route = {"route": "/plain/", "method": "GET"}
    assert metric_growth(before, after, "http_request_db_queries_bucket", **route, le="0.0") == 1


@pytest.mark.django_db
def test_a_routes_label_is_written_once_per_url_pattern(client):
    pattern_label.cache_clear()

    for _ in range(3):
        client.get("/two-queries/")

    # Two middlewares label each request: six labels, one regular expression rewrite.
    assert (pattern_label.cache_info().misses, pattern_label.cache_info().hits) == (1, 5)
