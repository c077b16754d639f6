import io

import pytest

from gateway.tests.tokens import bearer
from shop_testing.fake_service import Reply

ROUTED = [
    ("POST", "/api/v1/auth/register/", "user_svc"),
    ("POST", "/api/v1/auth/token/", "user_svc"),
    ("POST", "/api/v1/auth/token/refresh/", "user_svc"),
    ("GET", "/api/v1/auth/jwks/", "user_svc"),
    ("POST", "/api/v1/auth/logout/", "user_svc"),
    ("GET", "/api/v1/users/me/", "user_svc"),
    ("PATCH", "/api/v1/users/me/", "user_svc"),
    ("POST", "/api/v1/users/me/password/", "user_svc"),
    ("GET", "/api/v1/products/", "product_svc"),
    ("GET", "/api/v1/products/3/", "product_svc"),
    ("POST", "/api/v1/products/", "product_svc"),
    ("PUT", "/api/v1/products/3/", "product_svc"),
    ("PATCH", "/api/v1/products/3/", "product_svc"),
    ("DELETE", "/api/v1/products/3/", "product_svc"),
    ("POST", "/api/v1/products/3/images/", "product_svc"),
    ("DELETE", "/api/v1/products/3/images/4/", "product_svc"),
    ("GET", "/media/products/3/a1b2.jpg", "product_svc"),
    ("GET", "/api/v1/categories/", "product_svc"),
    ("POST", "/api/v1/categories/", "product_svc"),
    ("GET", "/api/v1/orders/", "order_svc"),
    ("POST", "/api/v1/orders/", "order_svc"),
    ("GET", "/api/v1/orders/5f0c/", "order_svc"),
    ("POST", "/api/v1/orders/5f0c/cancel/", "order_svc"),
    ("POST", "/api/v1/orders/5f0c/status/", "order_svc"),
    ("GET", "/api/v1/payments/", "payment_svc"),
    ("POST", "/api/v1/payments/", "payment_svc"),
    ("GET", "/api/v1/payments/5f0c/", "payment_svc"),
    ("POST", "/api/v1/payments/webhooks/simulated/", "payment_svc"),
    ("GET", "/api/v1/user_svc/schema/", "user_svc"),
    ("GET", "/api/v1/product_svc/schema/", "product_svc"),
    ("GET", "/api/v1/order_svc/schema/", "order_svc"),
    ("GET", "/api/v1/payment_svc/schema/", "payment_svc"),
]


@pytest.mark.parametrize(("method", "path", "service"), ROUTED)
def test_every_route_and_method_reaches_its_service(client, services, method, path, service):
    response = client.generic(
        method, path, b'{"a": 1}', content_type="application/json", headers=bearer(is_staff=True)
    )

    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True}
    [received] = services[service].received
    assert (received.method, received.path) == (method, path)
    assert all(not other.received for name, other in services.items() if name != service)


@pytest.mark.parametrize(
    "path",
    [
        "/internal/v1/reservations/",
        "/internal/v1/orders/5f0c/",
        "/admin/",
        "/admin/login/",
        "/api/v1/nothing/",
        "/api/v2/products/",
        "/",
        "/api/v1/products",
        "/api/v1/products/../../internal/v1/reservations/",
        "/api/v1/products/./1/",
    ],
)
def test_anything_unrouted_is_a_json_404_that_calls_no_service(client, services, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
    assert not any(fake.received for fake in services.values())


def test_a_providers_webhook_reaches_payment_svc_without_a_token(client, services):
    response = client.post(
        "/api/v1/payments/webhooks/simulated/",
        b"{}",
        content_type="application/json",
        headers={"Payment-Signature": "t=1,v1=ab"},
    )

    assert response.status_code == 200
    [received] = services["payment_svc"].received
    assert received.header("Payment-Signature") == "t=1,v1=ab"


def test_a_method_the_route_does_not_allow_is_a_json_405(client, services):
    response = client.delete("/api/v1/orders/", headers=bearer())

    assert response.status_code == 405
    assert "GET" in response["Allow"]
    assert response.json()["detail"] == "Method DELETE is not allowed here."
    assert not services["order_svc"].received


def test_path_and_query_string_go_unchanged(client, products):
    client.get("/api/v1/products/?search=caf%C3%A9&b=2&a=1&a=0&empty=")

    assert products.received[0].path == "/api/v1/products/?search=caf%C3%A9&b=2&a=1&a=0&empty="


def test_request_headers_pass_except_hop_by_hop_and_forwarded_ones_are_set(
    client, products, settings
):
    settings.GATEWAY_PUBLIC_BASE_URL = "https://shop.example"
    client.post(
        "/api/v1/products/",
        b"{}",
        content_type="application/json",
        headers={
            **bearer(is_staff=True),
            "X-Custom": "kept",
            "Connection": "keep-alive, X-Secret-Hop",
            "X-Secret-Hop": "dropped",
            "Keep-Alive": "timeout=5",
            "Proxy-Authorization": "Basic eA==",
            "X-Forwarded-For": "6.6.6.6",
            "X-Request-ID": "caller-id-1",
        },
    )

    headers = {name.lower(): value for name, value in products.received[0].headers.items()}
    assert headers["x-custom"] == "kept"
    assert headers["authorization"].startswith("Bearer ")
    assert headers["content-type"] == "application/json"
    for dropped in ("x-secret-hop", "keep-alive", "proxy-authorization"):
        assert dropped not in headers
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "https"
    assert headers["x-forwarded-host"] == "shop.example"
    assert headers["x-request-id"] == "caller-id-1"
    assert "python-requests" not in headers.get("user-agent", "")


def test_trusted_proxies_keep_the_forwarded_chain(client, products, settings):
    settings.GATEWAY_TRUSTED_PROXIES = 1

    client.get("/api/v1/products/", headers={"X-Forwarded-For": "1.2.3.4"})

    assert products.received[0].headers["X-Forwarded-For"] == "1.2.3.4, 127.0.0.1"


def test_response_headers_and_status_pass_except_hop_by_hop(client, products):
    products.script(
        Reply(201, {"id": 1}, {"X-Upstream": "yes", "Keep-Alive": "timeout=5", "ETag": '"v1"'})
    )

    response = client.post(
        "/api/v1/products/", b"{}", content_type="application/json", headers=bearer(is_staff=True)
    )

    assert response.status_code == 201
    assert response.json() == {"id": 1}
    assert response["X-Upstream"] == "yes"
    assert response["ETag"] == '"v1"'
    assert not response.has_header("Keep-Alive")
    assert response["X-Request-ID"]


def test_a_service_redirect_points_at_the_public_origin_not_the_service(client, products, settings):
    settings.GATEWAY_PUBLIC_BASE_URL = "https://shop.example"
    products.script(Reply(301, b"", {"Location": f"{products.url}/api/v1/products/3/"}))

    response = client.get("/api/v1/products/3", headers={"Host": "localhost:6666"})

    assert response.status_code == 301
    assert response["Location"] == "https://shop.example/api/v1/products/3/"


def test_a_large_answer_is_streamed_unchanged(client, products, settings):
    settings.GATEWAY_BUFFER_MAX_BYTES = 1000
    body = b"x" * 300_000
    products.script(Reply(200, body, {"Content-Type": "application/octet-stream"}))

    response = client.get("/api/v1/products/export/")

    assert response.streaming
    assert b"".join(response.streaming_content) == body


def test_a_gzipped_answer_passes_still_compressed(client, products):
    products.script(Reply(200, b"\x1f\x8bnot-really", {"Content-Encoding": "gzip"}))

    response = client.get("/api/v1/products/", headers={"Accept-Encoding": "gzip"})

    assert response.content == b"\x1f\x8bnot-really"
    assert response["Content-Encoding"] == "gzip"
    assert products.received[0].headers["Accept-Encoding"] == "gzip"


def test_a_body_over_the_limit_is_refused_with_413_before_any_service(client, products):
    response = client.post(
        "/api/v1/products/",
        b"x" * (10 * 1024 * 1024),
        content_type="application/json",
        headers=bearer(is_staff=True),
    )

    assert response.status_code == 413
    assert "detail" in response.json()
    assert not products.received


def test_an_image_upload_alone_may_send_a_body_of_5_mb(client, products):
    image_sized = b"x" * (5 * 1024 * 1024)
    form = "multipart/form-data; boundary=b"

    upload = client.post(
        "/api/v1/products/3/images/", image_sized, content_type=form, headers=bearer(is_staff=True)
    )
    elsewhere = client.post(
        "/api/v1/products/3/", image_sized, content_type=form, headers=bearer(is_staff=True)
    )
    beyond = client.post(
        "/api/v1/products/3/images/",
        image_sized + b"x" * (64 * 1024 + 1),
        content_type=form,
        headers=bearer(is_staff=True),
    )

    assert upload.status_code == 200
    assert products.received[0].body == image_sized
    assert elsewhere.status_code == 413
    # The contract's 400 for an image over 5 MB, naming the field as product_svc does.
    assert beyond.status_code == 400
    assert list(beyond.json()["errors"]) == ["image"]
    assert len(products.received) == 1


def test_head_passes_the_length_without_a_body(client, products):
    response = client.head("/api/v1/products/")

    assert response.status_code == 200
    assert response.content == b""
    assert products.received[0].method == "HEAD"


def post_chunked(client, body: bytes):
    """As gunicorn hands over a chunked body: no length, a stream that reads what there is."""
    return client.generic(
        "POST",
        "/api/v1/auth/register/",
        body,
        content_type="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(body)},
    )


def test_a_chunked_body_is_read_and_passed_on(client, services):
    response = post_chunked(client, b'{"email": "a@example.com"}')

    assert response.status_code == 200
    assert services["user_svc"].received[0].body == b'{"email": "a@example.com"}'
    assert "RateLimit-Limit" in response


def test_a_chunked_body_over_the_limit_is_refused_with_413(client, services):
    response = post_chunked(client, b"x" * (2 * 1024 * 1024))

    assert response.status_code == 413
    assert response.json()["detail"].startswith("Request body is larger than")
    assert not services["user_svc"].received


def test_an_answer_broken_off_half_way_is_a_json_502(client, services):
    half = Reply(200, b'{"half": ', {"Content-Length": "100", "Connection": "close"})
    services["user_svc"].script(half)

    response = client.get("/api/v1/auth/jwks/")

    assert response.status_code == 502
    assert response.json() == {"detail": "user_svc broke off its answer."}
