from prometheus_client.parser import text_string_to_metric_families

from gateway.tests.upstream import Reply


def scrape(client) -> dict[str, list]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        family.name: family.samples
        for family in text_string_to_metric_families(response.content.decode())
    }


def value(samples: list, name: str, **labels: str) -> float:
    return sum(
        sample.value
        for sample in samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def test_metrics_count_requests_upstream_calls_cache_and_limits(client, products, settings):
    settings.GATEWAY_LIMITS = {**settings.GATEWAY_LIMITS, "anon": "2/h"}
    before = scrape(client)
    client.get("/api/v1/products/")
    client.get("/api/v1/products/")
    client.get("/api/v1/products/")
    after = scrape(client)

    def grew(family: str, name: str, **labels: str) -> float:
        return value(after[family], name, **labels) - value(before.get(family, []), name, **labels)

    route = {"route": "/api/v1/products/"}
    assert grew("http_requests", "http_requests_total", **route, status="200") == 2
    assert grew("http_requests", "http_requests_total", **route, status="429") == 1
    assert (
        grew("http_request_duration_seconds", "http_request_duration_seconds_count", **route) == 3
    )
    calls = {"service": "product_svc", "outcome": "200"}
    assert grew("gateway_upstream_calls", "gateway_upstream_calls_total", **calls) == 1
    lookups = "gateway_cache_lookups_total"
    assert grew("gateway_cache_lookups", lookups, **route, result="miss") == 1
    assert grew("gateway_cache_lookups", lookups, **route, result="hit") == 1
    assert grew("gateway_rate_limited", "gateway_rate_limited_total", limit="anon") == 1


def test_metrics_show_retries_and_breaker_states(client, services):
    services["user_svc"].script(Reply(503))
    client.get("/api/v1/auth/jwks/")

    samples = scrape(client)

    assert value(samples["gateway_upstream_retries"], "gateway_upstream_retries_total") >= 1
    states = samples["gateway_breaker_state"]
    assert {s.labels["service"] for s in states} == {"user_svc", "product_svc", "order_svc"}
    assert all(s.value == 0 for s in states)
