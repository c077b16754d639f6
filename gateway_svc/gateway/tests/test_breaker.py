import time

import pytest

from shop_testing.fake_service import FakeService, Reply
from shop_testing.ports import free_port

READ = "/api/v1/auth/jwks/"


def from_client(number: int) -> dict[str, str]:
    """A request from its own client address: a failure counts once per client."""
    return {"REMOTE_ADDR": f"192.0.2.{number}"}


@pytest.fixture(autouse=True)
def quick_breaker(settings):
    settings.GATEWAY_BREAKER = {"failures": 3, "window": 30, "cooldown": 1}
    settings.GATEWAY_RETRY_POLICIES = {
        "standard": {"retries": 0, "backoff": 0, "max_wait": 0, "budget": 1}
    }


def test_the_breaker_opens_answers_at_once_then_probes_and_closes(client, services, caplog):
    users = services["user_svc"]
    users.script(Reply(503), Reply(503), Reply(503))
    for number in range(3):
        assert client.get(READ, **from_client(number)).status_code == 503

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
    for number in range(3):
        client.get(READ, **from_client(number))
    time.sleep(1.1)

    assert client.get(READ).status_code == 503  # the probe fails
    assert client.get(READ).json()["detail"].startswith("user_svc is unavailable; try again")
    assert len(users.received) == 4


def test_successes_between_failures_keep_it_closed(client, services):
    users = services["user_svc"]
    users.script(Reply(503), Reply(503), Reply(200), Reply(503), Reply(503))
    for number in range(6):
        client.get(READ, **from_client(number))

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
    for number in range(3):
        client.get(READ, **from_client(number))
    time.sleep(1.1)

    bad_host = client.get(READ, HTTP_HOST="bad..host")

    assert bad_host.status_code == 400
    assert bad_host.json()["detail"]
    assert len(users.received) == 3
    assert client.get(READ).status_code == 200  # the probe is still there to take


@pytest.mark.parametrize(
    "reply",
    [Reply(503), Reply(502), Reply(504), Reply(200, delay=0.5), Reply(reset=True)],
    ids=["503", "502", "504", "timeout", "reset"],
)
def test_one_client_alone_never_opens_the_breaker_for_everyone(client, services, reply, settings):
    settings.GATEWAY_ROUTE_DEFAULTS = {**settings.GATEWAY_ROUTE_DEFAULTS, "read_timeout": 0.2}
    users = services["user_svc"]
    users.script(*[reply] * 8)

    for _ in range(8):
        assert client.get(READ, **from_client(66)).status_code in (502, 503, 504)
    served = client.get(READ, **from_client(1))

    assert served.status_code == 200
    assert len(users.received) == 9


@pytest.mark.parametrize("status", [500, 400, 404, 429])
def test_answers_that_came_never_count_however_many_clients_get_them(client, services, status):
    users = services["user_svc"]
    users.script(*[Reply(status)] * 6)

    for number in range(6):
        assert client.get(READ, **from_client(number)).status_code == status

    assert client.get(READ).status_code == 200
    assert len(users.received) == 7


def test_a_refused_connection_counts_every_time_even_from_one_client(client, monkeypatch):
    monkeypatch.setenv("USER_SVC_URL", f"http://127.0.0.1:{free_port()}")
    for _ in range(3):
        assert client.get(READ, **from_client(66)).status_code == 503

    started = time.monotonic()
    refused = client.get(READ, **from_client(66))

    assert refused.json()["detail"].startswith("user_svc is unavailable; try again in")
    assert time.monotonic() - started < 0.1
