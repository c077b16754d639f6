"""With Redis down the gateway keeps serving: no limits, no cache, breakers closed;
logged, counted, and said in /readyz. The real Redis is never touched: the caches point
at a port where nothing listens."""

import time

import pytest

from gateway.shared_cache import shared_cache
from shop_testing.ports import free_port


@pytest.fixture
def redis_down(settings):
    down = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
    settings.CACHES = {
        "default": down,
        "rate_limits": down,
        "catalog": {**down, "KEY_PREFIX": "catalog"},
    }


def test_requests_are_served_without_limits_or_cache(client, products, redis_down, caplog):
    started = time.monotonic()
    answers = [client.get("/api/v1/products/") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200] * 3
    assert all(answer["X-Cache"] == "MISS" for answer in answers)
    assert not answers[0].has_header("RateLimit-Limit")
    assert len(products.received) == 3
    assert time.monotonic() - started < 2
    failures = [r for r in caplog.records if r.name == "gateway.shared_cache"]
    assert len(failures) == 1
    assert failures[0].levelname == "ERROR"


def test_readyz_names_redis_and_says_the_gateway_fails_open(client, products, redis_down):
    client.get("/api/v1/products/")

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["detail"].startswith("not ready: redis unavailable")
    assert body["checks"]["redis"].startswith("error")
    assert body["shared_cache"]["state"] == "failing open"


def test_the_fail_opens_are_counted_in_metrics(client, products, redis_down):
    client.get("/api/v1/products/")

    metrics = client.get("/metrics").content.decode()

    assert 'gateway_shared_cache_fail_open_total{operation="rate_limit"}' in metrics


def test_the_shared_cache_is_tried_again_after_a_pause(client, products, redis_down, settings):
    settings.GATEWAY_SHARED_CACHE_RETRY_SECONDS = 0.2
    client.get("/api/v1/products/")
    in_process = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    settings.CACHES = {"default": in_process, "rate_limits": in_process, "catalog": in_process}
    time.sleep(0.25)

    response = client.get("/api/v1/products/")

    assert response.has_header("RateLimit-Limit")
    assert shared_cache.status() == {"state": "ok"}


def test_readyz_says_so_even_before_a_request_needed_redis(client, redis_down):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["shared_cache"]["state"] == "failing open"
