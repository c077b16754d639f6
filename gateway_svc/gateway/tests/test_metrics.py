from shop_testing.fake_service import Reply
from shop_testing.metrics import metric_growth, metric_value, scrape_metrics


def test_metrics_count_requests_upstream_calls_cache_and_limits(client, products, settings):
    settings.GATEWAY_LIMITS = {**settings.GATEWAY_LIMITS, "anon": "2/h"}
    before = scrape_metrics(client)
    client.get("/api/v1/products/")
    client.get("/api/v1/products/")
    client.get("/api/v1/products/")
    after = scrape_metrics(client)

    def grew(name: str, **labels: str) -> float:
        return metric_growth(before, after, name, **labels)

    route = {"route": "/api/v1/products/"}
    assert grew("http_requests_total", **route, status="200") == 2
    assert grew("http_requests_total", **route, status="429") == 1
    assert grew("http_request_duration_seconds_count", **route) == 3
    assert grew("gateway_upstream_calls_total", service="product_svc", outcome="200") == 1
    assert grew("gateway_cache_lookups_total", **route, result="miss") == 1
    assert grew("gateway_cache_lookups_total", **route, result="hit") == 1
    assert grew("gateway_rate_limited_total", limit="anon") == 1
    # No database, so no query counting: the series stays empty.
    assert metric_value(after, "http_request_db_queries_count") == 0


def test_metrics_show_retries_and_breaker_states(client, services):
    services["user_svc"].script(Reply(503))
    client.get("/api/v1/auth/jwks/")

    samples = scrape_metrics(client)

    assert metric_value(samples, "gateway_upstream_retries_total") >= 1
    states = [sample for sample in samples if sample.name == "gateway_breaker_state"]
    assert {s.labels["service"] for s in states} == {
        "user_svc",
        "product_svc",
        "order_svc",
        "payment_svc",
    }
    assert all(s.value == 0 for s in states)
