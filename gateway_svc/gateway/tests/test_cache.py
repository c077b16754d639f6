import threading

import pytest

from gateway.cache import ENTRY_PREFIX
from gateway.shared_cache import shared_cache
from gateway.tests.tokens import bearer
from shop_common.catalog import VERSION_KEY, bump_catalog_version, catalog_version
from shop_testing.fake_service import Reply

LIST = "/api/v1/products/"


def test_an_anonymous_catalog_get_is_a_miss_then_a_hit(client, products):
    products.script(Reply(200, {"count": 1, "price": "19.99"}))

    miss = client.get(LIST)
    hit = client.get(LIST)

    assert miss["X-Cache"] == "MISS"
    assert hit["X-Cache"] == "HIT"
    assert hit.json() == miss.json() == {"count": 1, "price": "19.99"}
    assert hit["Content-Type"] == "application/json"
    assert int(hit["Age"]) >= 0
    assert hit["X-Request-ID"] != miss["X-Request-ID"]
    assert len(products.received) == 1


def test_the_query_is_keyed_sorted_and_each_query_is_its_own_entry(client, products):
    client.get(f"{LIST}?b=2&a=1")

    assert client.get(f"{LIST}?a=1&b=2")["X-Cache"] == "HIT"
    assert client.get(f"{LIST}?a=1&b=3")["X-Cache"] == "MISS"
    assert client.get("/api/v1/categories/?a=1&b=2")["X-Cache"] == "MISS"


def test_a_catalog_write_makes_the_next_read_fresh(client, products):
    products.script(Reply(200, {"price": "19.99"}), Reply(200, {"price": "17.50"}))
    client.get(LIST)

    bump_catalog_version()  # what product_svc does once a write has committed
    response = client.get(LIST)

    assert response["X-Cache"] == "MISS"
    assert response.json() == {"price": "17.50"}


def test_no_cache_from_the_client_goes_to_the_service_and_refreshes(client, products):
    products.script(Reply(200, {"v": 1}), Reply(200, {"v": 2}))
    client.get(LIST)

    fresh = client.get(LIST, headers={"Cache-Control": "no-cache"})
    after = client.get(LIST)

    assert fresh["X-Cache"] == "MISS"
    assert fresh.json() == {"v": 2}
    assert after["X-Cache"] == "HIT"
    assert after.json() == {"v": 2}


def test_a_refresh_reads_the_catalog_version_but_not_the_entry_it_replaces(
    client, products, monkeypatch
):
    read = []
    count_and_get = shared_cache.count_and_get

    def recording(operation, windows, reads):
        read.append([key for _, key in reads])
        return count_and_get(operation, windows, reads)

    monkeypatch.setattr(shared_cache, "count_and_get", recording)
    client.get(LIST)
    client.get(LIST, headers={"Cache-Control": "no-cache"})

    [version, entry] = read[0]
    assert (version, entry[: len(ENTRY_PREFIX)]) == (VERSION_KEY, ENTRY_PREFIX)
    assert read[1] == [VERSION_KEY]


@pytest.mark.parametrize("host", ["a b", "127.0.0.1:8000@evil", "x" * 3000, ""])
def test_a_host_outside_allowed_hosts_is_refused_even_where_the_cache_could_answer(
    client, products, host
):
    client.get(LIST)

    refused = client.get(LIST, HTTP_HOST=host)

    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/json"
    assert "X-Cache" not in refused
    assert len(products.received) == 1


def test_signed_in_answers_are_never_cached(client, products):
    client.get(LIST, headers=bearer(1, is_staff=True))
    response = client.get(LIST, headers=bearer(1, is_staff=True))
    anonymous = client.get(LIST)

    assert response["X-Cache"] == "MISS"
    assert anonymous["X-Cache"] == "MISS"
    assert len(products.received) == 3


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, headers={"Cache-Control": "no-store"}),
        Reply(200, headers={"Cache-Control": "private, max-age=60"}),
        Reply(200, headers={"Vary": "Accept, X-Country"}),
        Reply(200, headers={"Set-Cookie": "session=1"}),
        Reply(404, {"detail": "Not found."}),
        Reply(503, {"detail": "down"}),
    ],
    ids=["no-store", "private", "vary", "cookie", "404", "503"],
)
def test_answers_the_service_marks_private_or_that_failed_are_not_kept(client, products, reply):
    products.default = reply

    client.get("/api/v1/products/9/")
    response = client.get("/api/v1/products/9/")

    assert response["X-Cache"] == "MISS"


def test_the_accept_header_is_part_of_the_key(client, products):
    client.get(LIST, headers={"Accept": "application/json"})

    assert client.get(LIST, headers={"Accept": "text/csv"})["X-Cache"] == "MISS"


SPOOFED_ORIGIN = {
    "Host": "localhost:6666",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "https",
    "Forwarded": "host=evil.example;proto=https",
}


@pytest.mark.parametrize("trusted_proxies", [0, 1])
@pytest.mark.parametrize("refresh", [False, True], ids=["cold", "no-cache refresh"])
def test_the_service_learns_the_public_origin_whatever_the_client_names(
    client, products, settings, trusted_proxies, refresh
):
    settings.GATEWAY_PUBLIC_BASE_URL = "http://shop.example:8000"
    settings.GATEWAY_TRUSTED_PROXIES = trusted_proxies
    refreshing = {"Cache-Control": "no-cache"} if refresh else {}
    if refresh:
        client.get(LIST)

    client.get(LIST, headers={**SPOOFED_ORIGIN, **refreshing})

    received = {name.lower(): value for name, value in products.received[-1].headers.items()}
    assert received["x-forwarded-host"] == "shop.example:8000"
    assert received["x-forwarded-proto"] == "http"
    assert "forwarded" not in received


def test_a_cacheable_request_takes_only_its_keyed_headers_to_the_service(client, products):
    sent = {
        "Accept": "application/json",
        "Accept-Language": "de",
        "Cookie": "sessionid=staff-session",
        "X-Custom": "changes-the-answer",
        "User-Agent": "attacker",
        "If-None-Match": '"v1"',
        "X-HTTP-Method-Override": "DELETE",
        "Cache-Control": "no-cache",
    }

    client.get(LIST, headers=sent)

    received = {name.lower(): value for name, value in products.received[0].headers.items()}
    assert received["accept"] == "application/json"
    assert received["accept-language"] == "de"
    for name in ("cookie", "x-custom", "if-none-match", "x-http-method-override", "cache-control"):
        assert name not in received
    assert received.get("user-agent") != "attacker"


def test_every_answer_on_a_cacheable_route_is_marked(client, products):
    write = client.post(LIST, b"{}", content_type="application/json", headers=bearer(is_staff=True))
    refused = client.post(LIST, b"{}", content_type="application/json")

    assert write["X-Cache"] == refused["X-Cache"] == "MISS"
    assert "X-Cache" not in client.get("/api/v1/auth/jwks/")


def test_a_cold_key_sends_one_request_to_the_service_however_many_wait(products, settings):
    from django.test import Client

    settings.GATEWAY_LIMITS = {**settings.GATEWAY_LIMITS, "anon": "1000/m"}
    products.default = Reply(200, {"slow": True}, delay=0.5)
    catalog_version()  # created on first use, and not atomically in the on-disk default
    results: list[str] = []

    def read() -> None:
        results.append(Client().get(LIST)["X-Cache"])

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(products.received) == 1
    assert sorted(results) == ["HIT"] * 7 + ["MISS"]
