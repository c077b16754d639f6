import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from gateway import limits
from gateway.tests.tokens import bearer
from shop_testing.fake_service import Reply

LOGIN = "/api/v1/auth/token/"
REGISTER = "/api/v1/auth/register/"
WRONG_PASSWORD = Reply(401, {"detail": "No active account found with the given credentials"})
OWNER = "198.51.100.1"
STRANGER = "203.0.113.9"


@pytest.fixture(autouse=True)
def small_limits(settings):
    # Hours, so that a test never straddles the end of a window.
    settings.GATEWAY_LIMITS = {"anon": "3/h", "user": "4/h", "address": "6/h", "register": "2/h"}
    settings.RATE_LIMIT_LOGIN = "2/h"
    settings.RATE_LIMIT_LOGIN_CEILING = "3/h"


@pytest.fixture
def many_requests_per_address(settings):
    settings.GATEWAY_LIMITS = {**settings.GATEWAY_LIMITS, "anon": "1000/h"}


def login(client, email: str, **extra):
    body = f'{{"email": "{email}", "password": "wrong"}}'.encode()
    return client.post(LOGIN, body, content_type="application/json", **extra)


def in_parallel(times, action):
    start = threading.Barrier(times)

    def run(number):
        start.wait()
        return action(number)

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(run, range(times)))


def test_every_answer_of_a_limited_route_carries_the_limit_headers(client, products):
    first = client.get("/api/v1/products/")
    refused = client.post("/api/v1/products/", b"{}", content_type="application/json")

    assert first["RateLimit-Limit"] == "3"
    assert first["RateLimit-Remaining"] == "2"
    assert 0 < int(first["RateLimit-Reset"]) <= 3600
    assert refused.status_code == 401
    assert refused["RateLimit-Remaining"] == "1"


def test_over_the_limit_is_a_json_429_with_retry_after_and_no_service_call(client, services):
    for _ in range(3):
        assert client.get("/api/v1/auth/jwks/").status_code == 200

    response = client.get("/api/v1/auth/jwks/")

    assert response.status_code == 429
    assert response.json()["detail"].startswith("Too many requests")
    assert response["RateLimit-Remaining"] == "0"
    assert response["Retry-After"] == response["RateLimit-Reset"]
    assert len(services["user_svc"].received) == 3


def test_signed_in_callers_are_counted_per_user_id(client, products):
    for _ in range(4):
        assert client.get("/api/v1/products/", headers=bearer(1)).status_code == 200

    assert client.get("/api/v1/products/", headers=bearer(1)).status_code == 429
    other_user = client.get("/api/v1/products/", REMOTE_ADDR=OWNER, headers=bearer(2))
    assert other_user["RateLimit-Remaining"] == "3"
    assert client.get("/api/v1/products/")["RateLimit-Remaining"] == "2"


def test_accounts_of_one_address_share_its_ceiling(client, products):
    for user_id in (1, 2, 3):
        for _ in range(2):
            assert client.get("/api/v1/products/", headers=bearer(user_id)).status_code == 200

    refused = client.get("/api/v1/products/", headers=bearer(4))
    elsewhere = client.get("/api/v1/products/", REMOTE_ADDR=OWNER, headers=bearer(4))

    assert refused.status_code == 429
    assert refused["RateLimit-Limit"] == "6"
    assert refused["Retry-After"] == refused["RateLimit-Reset"]
    assert elsewhere.status_code == 200


def test_parallel_signed_in_requests_of_one_address_pass_no_more_than_its_ceiling(
    products, settings
):
    settings.GATEWAY_LIMITS = {**settings.GATEWAY_LIMITS, "user": "100/h"}

    answers = in_parallel(
        20, lambda n: Client().get("/api/v1/products/", headers=bearer(n)).status_code
    )

    assert answers.count(200) == 6
    assert len(products.received) == 6


def test_a_clients_own_forwarded_for_is_not_believed(client, products):
    for number in range(3):
        client.get("/api/v1/products/", headers={"X-Forwarded-For": f"10.0.0.{number}"})

    response = client.get("/api/v1/products/", headers={"X-Forwarded-For": "10.9.9.9"})

    assert response.status_code == 429
    assert client.get("/api/v1/products/", REMOTE_ADDR="192.0.2.8").status_code == 200


def test_behind_trusted_proxies_the_address_they_saw_counts(client, products, settings):
    settings.GATEWAY_TRUSTED_PROXIES = 1
    for spoofed in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        client.get("/api/v1/products/", headers={"X-Forwarded-For": f"{spoofed}, 198.51.100.7"})

    refused = client.get("/api/v1/products/", headers={"X-Forwarded-For": "198.51.100.7"})
    other = client.get("/api/v1/products/", headers={"X-Forwarded-For": "1.1.1.1, 198.51.100.8"})

    assert refused.status_code == 429
    assert other.status_code == 200


def test_ipv6_addresses_of_one_network_share_a_counter(client, products):
    for host in range(3):
        client.get("/api/v1/products/", REMOTE_ADDR=f"2001:db8::{host + 1}")

    assert client.get("/api/v1/products/", REMOTE_ADDR="2001:db8::ff").status_code == 429


def test_failed_logins_are_counted_per_email_and_address(
    client, services, many_requests_per_address
):
    users = services["user_svc"]
    users.default = WRONG_PASSWORD

    first = login(client, "a@example.com", REMOTE_ADDR=STRANGER)
    login(client, "A@Example.com ", REMOTE_ADDR=STRANGER)
    refused = login(client, "a@example.com", REMOTE_ADDR=STRANGER)
    other_account = login(client, "b@example.com", REMOTE_ADDR=STRANGER)

    assert first.status_code == 401
    assert first["RateLimit-Limit"] == "2"
    assert first["RateLimit-Remaining"] == "1"
    assert refused.status_code == 429
    assert "failed logins" in refused.json()["detail"]
    assert refused["Retry-After"] == refused["RateLimit-Reset"]
    assert other_account.status_code == 401
    assert len(users.received) == 3


def test_the_owner_signs_in_while_a_stranger_fails_below_the_ceiling(
    client, services, many_requests_per_address
):
    users = services["user_svc"]
    users.default = WRONG_PASSWORD
    for _ in range(5):
        login(client, "a@example.com", REMOTE_ADDR=STRANGER)

    users.default = Reply(200, {"access": "a", "refresh": "r"})
    response = login(client, "a@example.com", REMOTE_ADDR=OWNER)

    assert response.status_code == 200
    assert len(users.received) == 3


def test_failures_from_many_addresses_reach_the_ceiling_for_everyone(
    client, services, many_requests_per_address
):
    services["user_svc"].default = WRONG_PASSWORD
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        assert login(client, "a@example.com", REMOTE_ADDR=address).status_code == 401

    refused = login(client, "a@example.com", REMOTE_ADDR=OWNER)

    assert refused.status_code == 429
    assert refused["RateLimit-Limit"] == "3"
    assert len(services["user_svc"].received) == 3


def test_parallel_wrong_passwords_reach_user_svc_no_more_often_than_the_limit(
    services, many_requests_per_address
):
    users = services["user_svc"]
    users.default = Reply(401, WRONG_PASSWORD.body, delay=0.05)

    answers = in_parallel(40, lambda _: login(Client(), "a@example.com").status_code)

    assert len(users.received) == 2
    assert answers.count(401) == 2
    assert answers.count(429) == 38


def test_parallel_wrong_passwords_from_many_addresses_stop_at_the_ceiling(
    services, many_requests_per_address
):
    users = services["user_svc"]
    users.default = Reply(401, WRONG_PASSWORD.body, delay=0.05)

    answers = in_parallel(
        40, lambda n: login(Client(), "a@example.com", REMOTE_ADDR=f"192.0.2.{n}").status_code
    )

    assert len(users.received) == 3
    assert answers.count(429) == 37


def test_a_login_the_service_refused_before_checking_is_given_back(
    client, services, many_requests_per_address
):
    users = services["user_svc"]
    users.script(Reply(400, {"detail": "bad"}), Reply(429, {"detail": "later"}))

    for _ in range(2):
        login(client, "a@example.com")
    users.default = WRONG_PASSWORD

    assert [login(client, "a@example.com").status_code for _ in range(3)] == [401, 401, 429]


def test_a_login_that_failed_or_timed_out_in_the_service_still_counts(
    client, services, many_requests_per_address, settings
):
    users = services["user_svc"]
    users.script(Reply(500), Reply(200, delay=1.0))
    settings.GATEWAY_ROUTES = [
        {**route, "read_timeout": 0.3} if route["prefix"] == LOGIN else route
        for route in settings.GATEWAY_ROUTES
    ]

    answers = [login(client, "a@example.com").status_code for _ in range(3)]

    assert answers == [500, 504, 429]


def test_registrations_are_limited_per_address(client, services, many_requests_per_address):
    users = services["user_svc"]
    users.default = Reply(201, {"id": 1})
    body = b'{"email": "new@example.com", "password": "long-Enough-77"}'

    answers = [
        client.post(REGISTER, body, content_type="application/json").status_code for _ in range(3)
    ]
    elsewhere = client.post(REGISTER, body, content_type="application/json", REMOTE_ADDR=OWNER)

    assert answers == [201, 201, 429]
    assert elsewhere.status_code == 201
    assert len(users.received) == 3


def test_refused_registrations_do_not_count(client, services, many_requests_per_address):
    users = services["user_svc"]
    users.script(Reply(400, {"detail": "weak password"}), Reply(400, {"detail": "used email"}))
    users.default = Reply(201, {"id": 1})

    answers = [
        client.post(REGISTER, b"{}", content_type="application/json").status_code for _ in range(5)
    ]

    assert answers == [400, 400, 201, 201, 429]


def test_parallel_registrations_from_one_address_pass_no_more_than_the_limit(
    services, many_requests_per_address
):
    users = services["user_svc"]
    users.default = Reply(201, {"id": 1}, delay=0.05)

    answers = in_parallel(
        20,
        lambda _: Client().post(REGISTER, b"{}", content_type="application/json").status_code,
    )

    assert answers.count(201) == 2
    assert len(users.received) == 2


def test_successful_logins_do_not_count_as_failed(client, services, many_requests_per_address):
    for _ in range(4):
        response = login(client, "a@example.com")

    assert response.status_code == 200


def test_a_login_body_without_an_email_is_passed_on_and_counted_per_address(client, services):
    response = client.post(LOGIN, b"not json", content_type="application/json")

    assert response.status_code == 200
    assert response["RateLimit-Limit"] == "3"


@pytest.mark.parametrize(
    "body",
    [b'{"email": "\\ud800@example.com", "password": "x"}', b'{"email": "a\\u0000@example.com"}'],
    ids=["lone surrogate", "NUL"],
)
def test_a_login_email_no_counter_could_key_is_passed_on_not_a_500(client, services, body):
    response = client.post(LOGIN, body, content_type="application/json")

    assert response.status_code == 200


def test_a_login_body_nested_too_deep_is_passed_on_not_a_500(client, services):
    response = client.post(LOGIN, b"[" * 100_000, content_type="application/json")

    assert response.status_code == 200


@pytest.mark.parametrize("name", ["anon", "user", "address", "register"])
def test_a_mistyped_rate_names_its_variable(settings, name):
    settings.GATEWAY_LIMITS = {**settings.GATEWAY_LIMITS, name: "5/w"}

    with pytest.raises(ImproperlyConfigured, match=f"RATE_LIMIT_{name.upper()}"):
        limits.rate(name)


def test_a_full_answer_cache_never_pushes_the_counters_out(client, services):
    services["user_svc"].default = WRONG_PASSWORD
    for _ in range(2):
        login(client, "a@example.com")
    for number in range(1000):
        caches["default"].set(f"answer-{number}", b"x" * 100)

    assert login(client, "a@example.com").status_code == 429
