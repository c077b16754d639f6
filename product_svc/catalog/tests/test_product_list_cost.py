"""What a page of the product list costs, in queries (not in time: the machine varies),
and that the shortcuts taken for it answer exactly what the long way would."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from rest_framework import serializers
from rest_framework.request import Request

from catalog import selectors, services
from catalog.models import Product, ProductImage
from catalog.serializers import ProductSerializer
from catalog.tests.factories import CategoryFactory, ProductFactory
from shop_common.catalog import bump_catalog_version

URL = "/api/v1/products/"


@pytest.fixture(autouse=True)
def no_page_cache(settings) -> None:
    """These tests hold what rendering a page costs: none is answered from the page cache
    (`test_product_page_cache.py` holds that)."""
    settings.CATALOG_PAGE_CACHE_SECONDS = 0


@pytest.fixture
def shelf() -> None:
    """Three pages of twenty products, a third of them with two images, under a fresh
    catalog version."""
    books = CategoryFactory(slug="books")
    for number in range(60):
        product = ProductFactory(category=books, price=Decimal(number))
        if number % 3 == 0:
            ProductImage.objects.create(product=product, image=f"p{number}.jpg", thumbnail="t.jpg")
            ProductImage.objects.create(
                product=product, image=f"p{number}b.jpg", thumbnail="t.jpg", position=1
            )
    bump_catalog_version()


def page(client, **query):
    response = client.get(URL, {"page_size": 20, **query})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db(transaction=True)
def test_a_page_costs_one_query_once_its_count_is_known(
    shelf, anonymous_client, django_assert_num_queries
):
    with django_assert_num_queries(2):  # the count, the page with its images
        first = page(anonymous_client)
    for query in ({}, {"page": 3}, {"page": 2, "ordering": "-price"}):
        with django_assert_num_queries(1):
            assert page(anonymous_client, **query)["count"] == 60
    page(anonymous_client, category="books")
    with django_assert_num_queries(2):  # the category's tree, the page
        assert page(anonymous_client, category="books", ordering="price")["count"] == 60
    assert first["next"].endswith("page=2&page_size=20")
    assert first["previous"] is None


@pytest.mark.django_db(transaction=True)
def test_the_count_follows_every_committed_catalog_write(shelf, anonymous_client):
    assert page(anonymous_client, in_stock="true")["count"] == 60
    product = ProductFactory(stock=0)
    assert page(anonymous_client)["count"] == 61
    assert page(anonymous_client, in_stock="true")["count"] == 60
    services.update_product(product=product, changes={"stock": 5})
    assert page(anonymous_client, in_stock="true")["count"] == 61
    services.update_product(product=product, changes={"is_active": False})
    assert page(anonymous_client)["count"] == 60


@pytest.mark.django_db(transaction=True)
def test_a_filter_that_matches_nothing_counts_nothing(
    shelf, anonymous_client, django_assert_num_queries
):
    with django_assert_num_queries(1):  # the category's tree: the slug is unknown
        answer = page(anonymous_client, category="no-such-shelf", in_stock="true")
    assert answer["count"] == 0
    assert answer["results"] == []


@pytest.mark.django_db(transaction=True)
def test_staff_and_customers_are_counted_apart(shelf, anonymous_client, staff_client):
    ProductFactory(is_active=False)
    assert page(anonymous_client)["count"] == 60
    assert page(staff_client)["count"] == 61
    assert page(anonymous_client)["count"] == 60


@pytest.mark.django_db(transaction=True)
def test_the_list_counts_in_the_database_while_the_cache_is_down(shelf, anonymous_client, settings):
    settings.CACHES = {
        **settings.CACHES,
        "catalog": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        },
    }
    assert page(anonymous_client, ordering="price")["count"] == 60


@pytest.mark.django_db
def test_a_product_reads_as_its_declared_fields_would_write_it(shelf):
    product = ProductFactory(price=Decimal("7.5"), description="Ünïcode ✓")
    ProductImage.objects.create(
        product=product, image="a.jpg", thumbnail="a-t.jpg", alt="side", position=5
    )
    request = Request(RequestFactory().get(URL, HTTP_HOST="testserver"))
    serializer = ProductSerializer(context={"request": request})

    ProductImage.objects.create(product=product, image="b.jpg", thumbnail="b-t.jpg", position=1)
    listed = selectors.products_visible_to(None).get(pk=product.pk)  # images in its query

    fast = serializer.to_representation(product)

    assert fast == serializers.ModelSerializer.to_representation(serializer, product)
    assert serializer.to_representation(listed) == fast
    assert [image["alt"] for image in fast["images"]] == ["", "side"]
    assert fast["price"] == "7.50"
    assert fast["created_at"].endswith("Z")
    assert fast["images"][1]["url"] == "http://testserver/media/a.jpg"


@pytest.mark.django_db(transaction=True)
def test_a_searched_page_costs_one_query_once_its_count_is_known(
    shelf, anonymous_client, django_assert_num_queries
):
    ProductFactory(name="Steel Kettle", description="Boils water")
    with django_assert_num_queries(2):  # the count, the page
        assert page(anonymous_client, search="steel kettle", ordering="price")["count"] == 1
    with django_assert_num_queries(1):
        assert page(anonymous_client, search="steel kettle", ordering="-name")["count"] == 1


@pytest.mark.django_db
def test_the_search_reads_its_trigram_index_on_postgresql():
    """The index of migration 0005 serves only the expression `SearchedText` writes
    under `icontains`: if either changes alone, PostgreSQL stops using the index and a
    search walks the whole table again."""
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL's")
    searched = Product.objects.active().matching(["laptop", "steel"]).order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the table is tiny in a test
        plan = searched.explain()
    assert "catalog_product_searched_text_trgm" in plan
