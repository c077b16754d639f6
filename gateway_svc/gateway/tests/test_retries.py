import time

import pytest

from gateway.tests.tokens import bearer
from shop_testing.fake_service import Reply
from shop_testing.ports import free_port

READ = "/api/v1/auth/jwks/"  # a GET that is never cached
ORDERS = "/api/v1/orders/"


def place_order(client, **headers: str):
    return client.post(
        ORDERS, b'{"items": []}', content_type="application/json", headers={**bearer(), **headers}
    )


@pytest.mark.parametrize("failure", [Reply(502), Reply(503), Reply(504), Reply(reset=True)])
def test_a_get_is_retried_after_a_failure(client, services, failure):
    users = services["user_svc"]
    users.script(failure)

    response = client.get(READ)

    assert response.status_code == 200
    assert len(users.received) == 2


def test_a_post_with_an_idempotency_key_is_retried(client, services):
    orders = services["order_svc"]
    orders.script(Reply(503), Reply(201, {"id": "x"}))

    response = place_order(client, **{"Idempotency-Key": "k-1"})

    assert response.status_code == 201
    assert len(orders.received) == 2
    assert orders.received[1].headers["Idempotency-Key"] == "k-1"


@pytest.mark.parametrize("failure", [Reply(503), Reply(reset=True)])
def test_a_post_without_an_idempotency_key_is_never_retried(client, services, failure):
    orders = services["order_svc"]
    orders.script(failure)

    response = place_order(client)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert len(orders.received) == 1


def test_retry_after_is_honoured_but_capped(client, services):
    users = services["user_svc"]
    users.script(Reply(503, headers={"Retry-After": "120"}))

    started = time.monotonic()
    response = client.get(READ)

    assert response.status_code == 200
    assert 0.9 <= time.monotonic() - started < 2.5


def test_retries_stop_at_the_time_budget(client, services, settings):
    settings.GATEWAY_RETRY_POLICIES = {
        "standard": {"retries": 10, "backoff": 0.2, "max_wait": 1.0, "budget": 0.6}
    }
    users = services["user_svc"]
    users.default = Reply(503, {"detail": "down"}, {"Retry-After": "1"})

    started = time.monotonic()
    response = client.get(READ)

    assert response.status_code == 503
    assert response.json() == {"detail": "down"}
    assert time.monotonic() - started < 1.5
    assert len(users.received) <= 3


def test_a_slow_service_answers_504_at_once_and_is_not_retried(client, services, settings):
    settings.GATEWAY_ROUTE_DEFAULTS = {**settings.GATEWAY_ROUTE_DEFAULTS, "read_timeout": 0.3}
    users = services["user_svc"]
    users.default = Reply(delay=2)

    started = time.monotonic()
    response = client.get(READ)

    assert response.status_code == 504
    assert response.json() == {"detail": "user_svc did not answer in time."}
    assert time.monotonic() - started < 1.5
    assert len(users.received) == 1


def test_a_service_that_is_down_answers_a_json_503_within_the_budget(client, monkeypatch):
    monkeypatch.setenv("USER_SVC_URL", f"http://127.0.0.1:{free_port()}")

    started = time.monotonic()
    response = client.get(READ)

    assert response.status_code == 503
    assert response.json() == {"detail": "user_svc is unavailable."}
    assert response["Retry-After"]
    assert time.monotonic() - started < 3
