import base64
import json
import time

import pytest

from gateway.tests.tokens import bearer
from shop_testing.tokens import make_access_token, sign_for_tests


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def alg_none_token(**claims: object) -> str:
    return (
        f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({'user_id': 1, 'is_staff': True, **claims})}."
    )


def tampered_token() -> str:
    header, payload, signature = make_access_token(7).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"{header}.{b64({**claims, 'is_staff': True})}.{signature}"


BAD_AUTHORIZATION = {
    "missing": None,
    "empty bearer": "Bearer ",
    "other scheme": "Basic dXNlcjpwYXNz",
    "garbage": "Bearer not-a-jwt",
    "expired": f"Bearer {make_access_token(7, exp=int(time.time()) - 3600)}",
    "tampered payload": f"Bearer {tampered_token()}",
    "alg none": f"Bearer {alg_none_token()}",
}


@pytest.mark.parametrize("case", BAD_AUTHORIZATION)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/users/me/"),
        ("GET", "/api/v1/orders/"),
        ("POST", "/api/v1/products/"),
        ("POST", "/api/v1/payments/"),
    ],
)
def test_a_route_that_needs_a_user_refuses_a_bad_token_with_401_before_any_service(
    client, services, case, method, path
):
    value = BAD_AUTHORIZATION[case]
    headers = {"Authorization": value} if value else {}

    response = client.generic(method, path, headers=headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]
    assert not any(fake.received for fake in services.values())


def test_a_host_outside_allowed_hosts_is_a_400_before_the_token_is_looked_at(client, services):
    response = client.get("/api/v1/orders/", HTTP_HOST="127.0.0.1:8000@evil")

    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_token_signed_for_another_audience_is_refused(client, services):
    response = client.get("/api/v1/orders/", headers=bearer(aud="shop-internal"))

    assert response.status_code == 401
    assert not services["order_svc"].received


def test_a_token_with_a_foreign_key_id_is_refused(client, services):
    token = sign_for_tests({"user_id": 7, "is_staff": True}, headers={"kid": "someone-else"})

    response = client.get("/api/v1/orders/", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert not services["order_svc"].received


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/api/v1/products/1/", "/api/v1/categories/1/"])
def test_a_customer_writing_the_catalog_gets_403_before_any_service(client, products, method, path):
    response = client.generic(
        method, path, b"{}", content_type="application/json", headers=bearer()
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Only staff may change this resource."}
    assert not products.received


def test_staff_may_write_the_catalog(client, products):
    response = client.patch(
        "/api/v1/products/1/", b"{}", content_type="application/json", headers=bearer(is_staff=True)
    )

    assert response.status_code == 200
    assert products.received[0].headers["Authorization"].startswith("Bearer ")


def test_anyone_may_read_the_catalog_but_a_bad_token_there_is_still_refused(client, products):
    assert client.get("/api/v1/products/").status_code == 200
    assert client.get("/api/v1/products/", headers=bearer()).status_code == 200

    response = client.get(
        "/api/v1/products/", headers={"Authorization": f"Bearer {alg_none_token()}"}
    )

    assert response.status_code == 401
    assert len(products.received) == 2


def test_open_routes_ignore_tokens_so_an_expired_one_does_not_block_a_login(client, services):
    expired = make_access_token(7, exp=int(time.time()) - 3600)

    response = client.post(
        "/api/v1/auth/token/",
        b'{"email": "a@example.com", "password": "x"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {expired}"},
    )

    assert response.status_code == 200
    assert services["user_svc"].received
