import pytest
from django_ratelimit.core import get_usage

from gateway.tests.tokens import bearer
from gateway.tests.upstream import Reply

LOGIN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def small_limits(settings):
    # Hours, so that a test never straddles the end of a window.
    settings.GATEWAY_LIMITS = {"anon": "3/h", "user": "4/h", "login": "2/h"}


def login(client, email: str, **extra):
    body = f'{{"email": "{email}", "password": "wrong"}}'.encode()
    return client.post(LOGIN, body, content_type="application/json", **extra)


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
    assert client.get("/api/v1/products/", headers=bearer(2))["RateLimit-Remaining"] == "3"
    assert client.get("/api/v1/products/")["RateLimit-Remaining"] == "2"


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


def test_failed_logins_are_counted_per_email_from_any_address(client, services, settings):
    settings.GATEWAY_LIMITS = {**settings.GATEWAY_LIMITS, "anon": "100/h"}
    users = services["user_svc"]
    users.default = Reply(401, {"detail": "No active account found with the given credentials"})

    first = login(client, "a@example.com", REMOTE_ADDR="192.0.2.1")
    login(client, "A@Example.com ", REMOTE_ADDR="192.0.2.2")
    refused = login(client, "a@example.com", REMOTE_ADDR="192.0.2.3")
    other_account = login(client, "b@example.com", REMOTE_ADDR="192.0.2.3")

    assert first.status_code == 401
    assert first["RateLimit-Limit"] == "2"
    assert first["RateLimit-Remaining"] == "1"
    assert refused.status_code == 429
    assert "failed logins" in refused.json()["detail"]
    assert refused["Retry-After"]
    assert other_account.status_code == 401
    assert len(users.received) == 3


def test_successful_logins_do_not_count_as_failed(client, services, settings):
    settings.GATEWAY_LIMITS = {**settings.GATEWAY_LIMITS, "anon": "100/h"}
    for _ in range(4):
        response = login(client, "a@example.com")

    assert response.status_code == 200


def test_a_login_body_without_an_email_is_passed_on_and_counted_per_address(client, services):
    response = client.post(LOGIN, b"not json", content_type="application/json")

    assert response.status_code == 200
    assert response["RateLimit-Limit"] == "3"


def test_the_count_is_the_one_django_ratelimit_reads(client, products, rf):
    client.get("/api/v1/products/")
    client.get("/api/v1/products/")

    found = get_usage(
        rf.get("/"), group="gateway.anon", key=lambda *_: "address:127.0.0.1", rate="3/h"
    )

    assert found["count"] == 2
    assert found["limit"] == 3


def test_a_login_body_nested_too_deep_is_passed_on_not_a_500(client, services):
    response = client.post(LOGIN, b"[" * 100_000, content_type="application/json")

    assert response.status_code == 200
