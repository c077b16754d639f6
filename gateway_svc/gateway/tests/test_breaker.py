import time

import pytest

from gateway.tests.upstream import FakeService, Reply
from shop_testing.ports import free_port

READ = "/api/v1/auth/jwks/"


@pytest.fixture(autouse=True)
def quick_breaker(settings):
    settings.GATEWAY_BREAKER = {"failures": 3, "window": 30, "cooldown": 1}
    settings.GATEWAY_RETRY_POLICIES = {
        "standard": {"retries": 0, "backoff": 0, "max_wait": 0, "budget": 1}
    }


def test_the_breaker_opens_answers_at_once_then_probes_and_closes(client, services, caplog):
    users = services["user_svc"]
    users.script(Reply(503), Reply(503), Reply(503))
    for _ in range(3):
        assert client.get(READ).status_code == 503

    started = time.monotonic()
    refused = client.get(READ)

    assert refused.status_code == 503
    assert refused.json()["detail"].startswith("user_svc is unavailable; try again in")
    assert refused["Retry-After"] == "1"
    assert time.monotonic() - started < 0.1
    assert len(users.received) == 3

    time.sleep(1.1)
    assert client.get(READ).status_code == 200  # the probe
    assert client.get(READ).status_code == 200
    assert len(users.received) == 5
    states = [r.message for r in caplog.records if r.name == "gateway.breaker"]
    assert states == ["circuit breaker open", "circuit breaker half-open", "circuit breaker closed"]


def test_a_failed_probe_opens_the_breaker_again(client, services):
    users = services["user_svc"]
    users.default = Reply(503)
    for _ in range(3):
        client.get(READ)
    time.sleep(1.1)

    assert client.get(READ).status_code == 503  # the probe fails
    assert client.get(READ).json()["detail"].startswith("user_svc is unavailable; try again")
    assert len(users.received) == 4


def test_successes_between_failures_keep_it_closed(client, services):
    users = services["user_svc"]
    users.script(Reply(503), Reply(503), Reply(200), Reply(503), Reply(503))
    for _ in range(6):
        client.get(READ)

    assert len(users.received) == 6


def test_instances_are_taken_in_turn_skipping_one_whose_breaker_is_open(client, monkeypatch):
    good, other = FakeService(), FakeService()
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("USER_SVC_URL", f"{good.url}, {dead},{other.url}")
    try:
        answers = [client.get(READ).status_code for _ in range(12)]
    finally:
        good.close()
        other.close()

    assert answers.count(503) == 3  # the dead instance, until its breaker opened
    assert answers[8:] == [200] * 4
    assert len(good.received) + len(other.received) == 9
    assert len(good.received) >= 4
    assert len(other.received) >= 4


def test_a_bad_host_is_a_json_400_that_takes_no_probe_from_the_next_caller(client, services):
    users = services["user_svc"]
    users.script(Reply(503), Reply(503), Reply(503))
    for _ in range(3):
        client.get(READ)
    time.sleep(1.1)

    bad_host = client.get(READ, HTTP_HOST="bad..host")

    assert bad_host.status_code == 400
    assert bad_host.json()["detail"]
    assert len(users.received) == 3
    assert client.get(READ).status_code == 200  # the probe is still there to take
