"""The gateway in front of the real services (see shop_testing.harness): routes, tokens, cache
invalidation through the API and the product admin, limits across two gateway workers,
a service down, Redis down, oversized bodies."""

import http.client
import io
import os
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image

from shop_testing.ports import free_port

PASSWORD = "a-long-enough-pass-phrase-1"
CSRF_COOKIE = "product_svc_csrftoken"


def gateway(system, path: str) -> str:
    return f"{system.url('gateway_svc')}{path}"


def run_python(system, service: str, code: str) -> None:
    result = system.manage(service, "shell", "-c", code)
    assert result.returncode == 0, result.stderr


def sign_in(system, email: str) -> dict[str, str]:
    response = requests.post(
        gateway(system, "/api/v1/auth/token/"),
        json={"email": email, "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access']}"}


@pytest.fixture(scope="module")
def staff(system) -> dict[str, str]:
    email = f"staff-{uuid.uuid4().hex[:8]}@example.com"
    run_python(
        system,
        "user_svc",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_superuser(email={email!r}, password={PASSWORD!r})",
    )
    return sign_in(system, email)


@pytest.fixture(scope="module")
def product(system, staff) -> dict:
    slug = f"cat-{uuid.uuid4().hex[:8]}"
    category = requests.post(
        gateway(system, "/api/v1/categories/"),
        json={"name": slug, "slug": slug},
        headers=staff,
        timeout=10,
    )
    assert category.status_code == 201, category.text
    created = requests.post(
        gateway(system, "/api/v1/products/"),
        json={
            "sku": slug,
            "name": f"Kettle {slug}",
            "price": "19.99",
            "currency": "EUR",
            "category": category.json()["id"],
            "stock": 5,
        },
        headers=staff,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    return created.json()


def test_a_customer_registers_signs_in_and_reads_their_profile(system):
    email = f"c-{uuid.uuid4().hex[:8]}@example.com"
    registered = requests.post(
        gateway(system, "/api/v1/auth/register/"),
        json={"email": email, "password": PASSWORD},
        timeout=10,
    )
    headers = sign_in(system, email)
    me = requests.get(gateway(system, "/api/v1/users/me/"), headers=headers, timeout=10)

    assert registered.status_code == 201, registered.text
    assert me.status_code == 200
    assert me.json()["email"] == email
    assert me.headers["RateLimit-Limit"]
    assert me.headers["X-Request-ID"]


@pytest.mark.parametrize("path", ["/internal/v1/reservations/", "/admin/", "/nothing/"])
def test_internal_admin_and_unknown_paths_are_json_404s(system, path):
    response = requests.get(gateway(system, path), timeout=10)

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"


def test_a_customer_cannot_write_the_catalog(system, product):
    email = f"c-{uuid.uuid4().hex[:8]}@example.com"
    requests.post(
        gateway(system, "/api/v1/auth/register/"),
        json={"email": email, "password": PASSWORD},
        timeout=10,
    )
    response = requests.patch(
        gateway(system, f"/api/v1/products/{product['id']}/"),
        json={"price": "0.01"},
        headers=sign_in(system, email),
        timeout=10,
    )

    assert response.status_code == 403


def test_a_price_change_through_the_api_is_seen_at_once(system, staff, product):
    url = gateway(system, f"/api/v1/products/{product['id']}/")
    requests.get(url, timeout=10)
    assert requests.get(url, timeout=10).headers["X-Cache"] == "HIT"

    changed = requests.patch(url, json={"price": "17.50"}, headers=staff, timeout=10)
    after = requests.get(url, timeout=10)

    assert changed.status_code == 200, changed.text
    assert after.headers["X-Cache"] == "MISS"
    assert after.json()["price"] == "17.50"
    assert requests.get(url, timeout=10).headers["X-Cache"] == "HIT"


def test_an_image_uploaded_through_the_gateway_is_served_at_its_url(system, staff, product):
    noise = Image.frombytes("RGB", (900, 900), os.urandom(900 * 900 * 3))
    output = io.BytesIO()
    noise.save(output, format="PNG")
    content = output.getvalue()
    assert len(content) > 1024 * 1024  # over every other path's body limit
    url = gateway(system, f"/api/v1/products/{product['id']}/")
    requests.get(url, timeout=10)

    uploaded = requests.post(
        f"{url}images/",
        files={"image": ("photo.jpg", content, "image/jpeg")},
        data={"alt": "Noise"},
        headers=staff,
        timeout=30,
    )

    assert uploaded.status_code == 201, uploaded.text
    image = uploaded.json()
    assert image["url"].startswith(f"{system.url('gateway_svc')}/media/")
    assert image["url"].endswith(".png")
    served = requests.get(image["url"], timeout=10)
    assert served.status_code == 200
    assert served.content == content
    with Image.open(io.BytesIO(requests.get(image["thumbnail_url"], timeout=10).content)) as small:
        assert small.size == (400, 400)
    assert requests.get(url, timeout=10).json()["images"] == [image]

    deleted = requests.delete(f"{url}images/{image['id']}/", headers=staff, timeout=10)

    assert deleted.status_code == 204
    assert requests.get(image["url"], timeout=10).status_code == 404
    assert requests.get(url, timeout=10).json()["images"] == []


def admin_session(system) -> requests.Session:
    """Signed in to product_svc's admin with a user_svc staff account (shop_common.staff)."""
    run_python(
        system,
        "user_svc",
        "from accounts.models import User; "
        "User.objects.with_email('gw@example.com').exists() or "
        f"User.objects.create_superuser('gw@example.com', {PASSWORD!r})",
    )
    session = requests.Session()
    login = f"{system.url('product_svc')}/admin/login/"
    session.get(login, timeout=10)
    response = session.post(
        login,
        data={
            "username": "gw@example.com",
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies[CSRF_COOKIE],
            "next": "/admin/",
        },
        headers={"Referer": login},
        timeout=10,
    )
    assert response.url.endswith("/admin/"), response.text[:500]
    return session


def test_a_change_through_the_product_admin_is_seen_at_once(system, product):
    url = gateway(system, f"/api/v1/products/{product['id']}/")
    requests.get(url, timeout=10)
    assert requests.get(url, timeout=10).status_code == 200
    session = admin_session(system)
    changelist = f"{system.url('product_svc')}/admin/catalog/product/"

    done = session.post(
        changelist,
        data={
            "action": "deactivate",
            "_selected_action": [product["id"]],
            "csrfmiddlewaretoken": session.cookies[CSRF_COOKIE],
        },
        headers={"Referer": changelist},
        timeout=10,
    )

    assert done.status_code == 200
    assert requests.get(url, timeout=10).status_code == 404


def test_the_limit_holds_for_the_sum_of_two_gateway_workers(system):
    system.stop("gateway_svc")
    try:
        system.start("gateway_svc", RATE_LIMIT_ANON="10/h")
        path = f"/api/v1/categories/?n={uuid.uuid4().hex}"
        # A new connection per request, so both workers take their share.
        statuses = [
            requests.get(gateway(system, path), headers={"Connection": "close"}, timeout=10)
            for _ in range(16)
        ]
    finally:
        system.stop("gateway_svc")
        system.start("gateway_svc")

    assert [r.status_code for r in statuses] == [200] * 10 + [429] * 6
    assert statuses[-1].headers["Retry-After"]
    assert statuses[-1].json()["detail"].startswith("Too many requests")


def test_a_service_down_is_a_quick_json_503_and_back_when_it_returns(system):
    url = gateway(system, "/api/v1/categories/")
    system.stop("product_svc")
    try:
        started = time.monotonic()
        down = requests.get(url, headers={"Cache-Control": "no-cache"}, timeout=15)
        elapsed = time.monotonic() - started
    finally:
        system.start("product_svc")

    assert down.status_code == 503
    assert down.json()["detail"] == "product_svc is unavailable."
    assert elapsed < 5
    assert requests.get(url, headers={"Cache-Control": "no-cache"}, timeout=10).status_code == 200


def test_with_redis_down_the_gateway_serves_and_says_so(system):
    system.stop("gateway_svc")
    try:
        system.start("gateway_svc", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
        served = requests.get(gateway(system, "/api/v1/categories/"), timeout=10)
        ready = requests.get(gateway(system, "/readyz"), timeout=10)
    finally:
        system.stop("gateway_svc")
        system.start("gateway_svc")

    assert served.status_code == 200
    assert served.headers["X-Cache"] == "MISS"
    assert ready.status_code == 503
    assert ready.json()["shared_cache"]["state"] == "failing open"


def test_a_10_mb_body_is_refused_before_it_is_read(system):
    address = urlsplit(system.url("gateway_svc"))
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.putrequest("POST", "/api/v1/auth/register/")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(10 * 1024 * 1024))
    connection.endheaders(b"{" + b" " * 65536)

    response = connection.getresponse()

    assert response.status == 413
    assert re.search(rb'"detail":', response.read())


@pytest.mark.parametrize(
    ("name", "headers", "status"),
    [
        ("a request line over gunicorn's limit", {}, 414),
        ("more headers than gunicorn takes", {f"X-Filler-{n}": "1" for n in range(120)}, 431),
    ],
)
@pytest.mark.parametrize("service", ["gateway_svc", "product_svc"])
def test_what_gunicorn_refuses_itself_is_refused_in_json(system, service, name, headers, status):
    query = "a" * 5000 if status == 414 else "tea"
    url = f"{system.url(service)}/api/v1/products/?search={query}"

    response = requests.get(url, headers=headers, timeout=10)

    assert response.status_code == status, name
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_metrics_are_served_in_the_prometheus_text_format(system):
    requests.get(gateway(system, "/api/v1/categories/"), timeout=10)

    response = requests.get(gateway(system, "/metrics"), timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert 'http_requests_total{method="GET",route="/api/v1/categories/",status="200"}' in (
        response.text
    )
    assert "gateway_breaker_state" in response.text


@pytest.mark.parametrize("service", ["user_svc", "product_svc", "order_svc", "payment_svc"])
def test_each_services_openapi_schema_is_reached_through_the_gateway(system, service):
    response = requests.get(gateway(system, f"/api/v1/{service}/schema/"), timeout=10)

    assert response.status_code == 200
    assert b"openapi" in response.content


def test_a_chunked_body_reaches_the_service_whole(system):
    email = f"chunked-{uuid.uuid4().hex[:8]}@example.com"
    body = f'{{"email": "{email}", "password": "{PASSWORD}"}}'.encode()

    response = requests.post(
        gateway(system, "/api/v1/auth/register/"),
        data=iter([body[:10], body[10:]]),  # a generator body goes chunked
        headers={"Content-Type": "application/json"},
        timeout=10,
    )

    assert response.status_code == 201, response.text
    assert response.json()["email"] == email


def test_links_the_services_build_name_the_gateway_not_the_service(system, staff, product):
    slug = f"cat-{uuid.uuid4().hex[:8]}"
    created = requests.post(
        gateway(system, "/api/v1/categories/"),
        json={"name": slug, "slug": slug},
        headers=staff,
        timeout=10,
    )
    assert created.status_code == 201, created.text

    page = requests.get(gateway(system, "/api/v1/categories/?page_size=1"), timeout=10).json()

    assert urlsplit(page["next"]).netloc == urlsplit(system.url("gateway_svc")).netloc


@pytest.mark.parametrize(
    "spoofed",
    [
        {"Host": "localhost:6666"},
        {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"},
    ],
    ids=["host", "x-forwarded"],
)
def test_what_a_client_names_its_host_never_reaches_the_links_others_are_served(
    system, staff, product, spoofed
):
    for _ in range(2):
        slug = f"cat-{uuid.uuid4().hex[:8]}"
        requests.post(
            gateway(system, "/api/v1/categories/"),
            json={"name": slug, "slug": slug},
            headers=staff,
            timeout=10,
        ).raise_for_status()
    public = urlsplit(system.url("gateway_svc"))
    page = gateway(system, f"/api/v1/categories/?page_size=1&probe={uuid.uuid4().hex}")

    cold = requests.get(page, headers=spoofed, timeout=10)
    warm = requests.get(page, timeout=10)
    refreshed = requests.get(page, headers={**spoofed, "Cache-Control": "no-cache"}, timeout=10)
    after = requests.get(page, timeout=10)

    assert [cold.headers["X-Cache"], warm.headers["X-Cache"]] == ["MISS", "HIT"]
    assert [refreshed.headers["X-Cache"], after.headers["X-Cache"]] == ["MISS", "HIT"]
    for answer in (cold, warm, refreshed, after):
        link = urlsplit(answer.json()["next"])
        assert (link.scheme, link.netloc) == (public.scheme, public.netloc)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/register/", b'{"\\ud800": 1}'),
        ("/api/v1/auth/token/", b'{"email": "\\ud800@example.com", "password": "x"}'),
        ("/api/v1/auth/register/", b"[" * 100_000),
    ],
    ids=["register surrogate key", "login surrogate email", "deep nesting"],
)
def test_unreadable_bodies_are_quick_json_400s_that_never_open_a_breaker(system, path, body):
    for _ in range(6):  # one more than the breaker's default threshold
        started = time.monotonic()
        response = requests.post(
            gateway(system, path),
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        assert response.status_code == 400, response.text
        assert response.json()["detail"]
        assert time.monotonic() - started < 1.0

    email = f"after-{uuid.uuid4().hex[:8]}@example.com"
    registered = requests.post(
        gateway(system, "/api/v1/auth/register/"),
        json={"email": email, "password": PASSWORD},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text


def wrong_passwords_in_parallel(url: str, email: str, times: int) -> list[int]:
    def attempt(_: int) -> int:
        body = {"email": email, "password": "not-the-password"}
        return requests.post(url, json=body, timeout=20).status_code

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(attempt, range(times)))


def make_user(system, email: str) -> None:
    run_python(
        system,
        "user_svc",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({email!r}, {PASSWORD!r})",
    )


def test_parallel_wrong_passwords_are_checked_no_more_often_than_the_limit(system):
    email = f"guessed-{uuid.uuid4().hex[:8]}@example.com"
    make_user(system, email)
    # Straight to user_svc, whose two workers must count in one cache (the gateway's
    # count is tested in gateway_svc with threads).
    url = f"{system.url('user_svc')}/api/v1/auth/token/"

    statuses = wrong_passwords_in_parallel(url, email, times=40)

    # RATE_LIMIT_LOGIN's default, 10/h.
    assert statuses.count(401) == 10
    assert statuses.count(429) == 30


def test_the_owner_signs_in_while_a_stranger_is_refused(system):
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    make_user(system, email)
    url = f"{system.url('user_svc')}/api/v1/auth/token/"

    def log_in(password: str, address: str) -> int:
        # user_svc believes the last X-Forwarded-For entry: the gateway's.
        body = {"email": email, "password": password}
        headers = {"X-Forwarded-For": address}
        return requests.post(url, json=body, headers=headers, timeout=10).status_code

    stranger = [log_in("not-the-password", "203.0.113.9") for _ in range(11)]

    assert stranger == [401] * 10 + [429]
    assert log_in(PASSWORD, "198.51.100.1") == 200
