"""The catalog's page cache (`catalog.page_cache`): a kept page costs no query, and no page
is ever served after a committed write, to a signed-in caller, or in place of an error."""

import uuid
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.test import RequestFactory

from catalog import page_cache, services
from catalog.models import Product
from catalog.page_cache import canonical_query, page_key
from catalog.tests.factories import CategoryFactory, ProductFactory
from inventory.services import ReservationItem, reserve
from shop_common.catalog import bump_catalog_version

URL = "/api/v1/products/"


@pytest.fixture
def shelf() -> list[Product]:
    """Thirty products under a fresh catalog version: no page of an earlier test is current."""
    books = CategoryFactory(slug="books")
    products = [ProductFactory(category=books, price=Decimal(n + 1)) for n in range(30)]
    bump_catalog_version()
    return products


def get(client, url=URL, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, response.content
    return response


@pytest.mark.django_db(transaction=True)
def test_a_kept_page_is_answered_without_a_query(
    shelf, anonymous_client, django_assert_num_queries
):
    first = get(anonymous_client, URL + "?page_size=20")
    with django_assert_num_queries(0):
        again = get(anonymous_client, URL + "?page_size=20")
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert again["Allow"] == first["Allow"]
    assert again.json()["count"] == 30
    product = shelf[0]
    get(anonymous_client, f"{URL}{product.pk}/")
    with django_assert_num_queries(0):
        assert get(anonymous_client, f"{URL}{product.pk}/").json()["id"] == product.pk


@pytest.mark.django_db(transaction=True)
def test_no_page_outlives_a_committed_price_or_stock_change(shelf, anonymous_client):
    product = shelf[-1]  # the newest: first on the default page
    detail = f"{URL}{product.pk}/"
    for url in (URL, detail):
        get(anonymous_client, url)
    services.update_product(product=product, changes={"price": Decimal("99.95")})
    assert get(anonymous_client, URL).json()["results"][0]["price"] == "99.95"
    assert get(anonymous_client, detail).json()["price"] == "99.95"
    reserve(reservation_id=uuid.uuid4(), items=[ReservationItem(product.pk, 4)])
    assert get(anonymous_client, URL).json()["results"][0]["stock"] == 6
    assert get(anonymous_client, detail).json()["stock"] == 6


@pytest.mark.django_db(transaction=True)
def test_a_write_committed_while_a_page_renders_is_never_hidden_by_it(
    shelf, anonymous_client, monkeypatch
):
    """The page is rendered from the old price, then the write commits and bumps before
    the page is stored: it is stored under the version read before rendering, which the
    bump has replaced, so the next caller gets the new price."""
    product = shelf[-1]
    keep = page_cache.may_keep

    def write_then_keep(response):
        services.update_product(product=product, changes={"price": Decimal("42.00")})
        return keep(response)

    monkeypatch.setattr(page_cache, "may_keep", write_then_keep)
    assert get(anonymous_client).json()["results"][0]["price"] == "30.00"
    monkeypatch.setattr(page_cache, "may_keep", keep)
    assert get(anonymous_client).json()["results"][0]["price"] == "42.00"


@pytest.mark.django_db(transaction=True)
def test_signed_in_callers_neither_read_nor_fill_the_cache(
    shelf, anonymous_client, staff_client, customer_client, django_assert_num_queries
):
    ProductFactory(is_active=False)
    bump_catalog_version()
    assert get(anonymous_client).json()["count"] == 30
    assert get(staff_client).json()["count"] == 31  # inactive products too
    with django_assert_num_queries(0):  # the anonymous page is still the kept one
        assert get(anonymous_client).json()["count"] == 30
    for client in (staff_client, customer_client):
        with django_assert_num_queries(1):  # the page, rendered for this caller
            get(client)
    bad_token = anonymous_client.get(URL, HTTP_AUTHORIZATION="Bearer not-a-token")
    assert bad_token.status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_refused_filter_is_refused_every_time(shelf, anonymous_client, settings):
    for _ in range(2):
        refused = anonymous_client.get(URL, {"min_price": "abc"})
        assert refused.status_code == 400
        assert "min_price" in refused.json()["errors"]
    pages = caches[settings.CATALOG_PAGE_CACHE]
    assert pages.get(page_key(RequestFactory().get(URL, {"min_price": "abc"}))) is None
    get(anonymous_client, URL, data={"min_price": "1"})
    assert pages.get(page_key(RequestFactory().get(URL, {"min_price": "1"}))) is not None
    past_the_end = anonymous_client.get(URL, {"page": 9})
    assert past_the_end.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_links_name_the_forwarded_host_of_each_caller(shelf, anonymous_client):
    one = get(anonymous_client, URL, HTTP_X_FORWARDED_HOST="localhost")
    other = get(anonymous_client, URL, HTTP_X_FORWARDED_HOST="127.0.0.1")
    assert one.json()["next"].startswith("http://localhost/")
    assert other.json()["next"].startswith("http://127.0.0.1/")
    secure = get(anonymous_client, URL, HTTP_X_FORWARDED_PROTO="https")
    assert secure.json()["next"].startswith("https://testserver")


@pytest.mark.django_db(transaction=True)
def test_spellings_of_one_query_share_a_page(shelf, anonymous_client, django_assert_num_queries):
    get(anonymous_client, URL + "?ordering=price&page_size=5")
    with django_assert_num_queries(0):
        answer = get(anonymous_client, URL + "?page_size=5&ordering=price").json()
    assert [p["price"] for p in answer["results"]] == ["1.00", "2.00", "3.00", "4.00", "5.00"]
    # One name spelt two ways is one parameter: its last value counts, so no reordering.
    assert get(anonymous_client, URL + "?page_size=5&page=1&p%61ge=2").json()["previous"]
    assert get(anonymous_client, URL + "?page_size=5&p%61ge=2&page=1").json()["previous"] is None


def test_the_canonical_query_keeps_each_names_values_in_order():
    assert canonical_query("b=2&a=1&b=1") == "a=1&b=2&b=1"
    assert canonical_query("page=1&p%61ge=2") == "page=1&p%61ge=2"
    assert canonical_query("p%61ge=2&page=1") == "p%61ge=2&page=1"
    assert canonical_query("") == ""


@pytest.mark.django_db(transaction=True)
def test_the_page_is_rendered_while_the_cache_is_down(
    shelf, anonymous_client, settings, monkeypatch
):
    settings.CACHES = {
        **settings.CACHES,
        "catalog": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        },
    }
    settings.CATALOG_PAGE_CACHE = "catalog"
    monkeypatch.setattr(page_cache, "_paused_until", 0.0)
    asked = []
    monkeypatch.setattr(page_cache, "version_and_page", record(asked, page_cache.version_and_page))
    for _ in range(2):
        assert get(anonymous_client).json()["count"] == 30
    assert len(asked) == 1  # then it rendered without asking again, for a pause
    monkeypatch.setattr(page_cache, "_paused_until", 0.0)  # the pause is over
    get(anonymous_client)
    assert len(asked) == 2


def record(calls, function):
    def recorded(*args):
        calls.append(args)
        return function(*args)

    return recorded


@pytest.mark.django_db
def test_a_request_inside_a_transaction_reads_the_database(
    shelf, anonymous_client, django_assert_num_queries
):
    """Its own writes are not in the catalog version until they commit."""
    get(anonymous_client)
    Product.objects.filter(pk=shelf[-1].pk).update(price=Decimal("5.55"))
    assert get(anonymous_client).json()["results"][0]["price"] == "5.55"
