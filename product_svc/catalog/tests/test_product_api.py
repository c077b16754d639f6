import pytest
from rest_framework.validators import UniqueValidator

from catalog.models import Product
from catalog.tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/products/"
# The contract's fields (shared/API.md), written out apart from the serializer's list.
DESCRIBING = {"id", "sku", "name", "slug", "description", "price", "currency", "category"}
FIELDS = DESCRIBING | {"stock", "is_active", "images", "created_at", "updated_at"}


def new_product(**overrides) -> dict:
    category = CategoryFactory()
    return {
        "sku": "KET-100",
        "name": "Steel Kettle",
        "slug": "steel-kettle",
        "description": "Boils water.",
        "price": "39.90",
        "currency": "EUR",
        "category": category.pk,
        "stock": 12,
        **overrides,
    }


def test_list_is_paginated_with_the_contract_fields(anonymous_client):
    ProductFactory.create_batch(3)

    response = anonymous_client.get(URL)

    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] == 3
    assert set(data["results"][0]) == FIELDS
    assert data["results"][0]["price"] == "19.99"


def test_inactive_products_are_listed_and_shown_to_staff_only(
    anonymous_client, customer_client, staff_client
):
    retired = ProductFactory(is_active=False)
    ProductFactory()

    for client in (anonymous_client, customer_client):
        assert client.get(URL).json()["count"] == 1
        assert client.get(f"{URL}{retired.pk}/").status_code == 404
    assert staff_client.get(URL).json()["count"] == 2
    assert staff_client.get(f"{URL}{retired.pk}/").json()["is_active"] is False


def test_detail_answers_one_product_or_a_json_404(anonymous_client):
    kettle = ProductFactory()

    assert anonymous_client.get(f"{URL}{kettle.pk}/").json()["sku"] == kettle.sku
    for path in (f"{URL}999999/", f"{URL}kettle/", f"{URL}{2**70}/"):
        response = anonymous_client.get(path)
        assert response.status_code == 404
        assert response.json()["detail"]


def test_staff_create_a_product(staff_client):
    response = staff_client.post(URL, new_product(), format="json")

    assert response.status_code == 201
    assert response.json()["sku"] == "KET-100"
    assert response.json()["price"] == "39.90"
    assert Product.objects.get(sku="KET-100").stock == 12


def test_a_product_without_slug_gets_one_from_its_name(staff_client):
    data = new_product()
    del data["slug"]

    response = staff_client.post(URL, data, format="json")

    assert response.status_code == 201
    assert response.json()["slug"] == "steel-kettle"


def test_staff_update_and_delete_a_product(staff_client):
    kettle = ProductFactory()

    put = staff_client.put(f"{URL}{kettle.pk}/", new_product(), format="json")
    patch = staff_client.patch(f"{URL}{kettle.pk}/", {"price": "35.00"}, format="json")
    delete = staff_client.delete(f"{URL}{kettle.pk}/")

    assert put.status_code == 200
    assert put.json()["name"] == "Steel Kettle"
    assert patch.status_code == 200
    assert patch.json()["price"] == "35.00"
    assert delete.status_code == 204
    assert not Product.objects.filter(pk=kettle.pk).exists()


def test_a_price_change_keeps_stock_taken_since_the_product_was_read(staff_client):
    kettle = ProductFactory(stock=10)
    stale = Product.objects.get(pk=kettle.pk)
    Product.objects.filter(pk=kettle.pk).update(stock=7)  # a reservation in between

    from catalog.services import update_product

    update_product(product=stale, changes={"price": "25.00"})

    assert Product.objects.get(pk=kettle.pk).stock == 7


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_need_a_staff_token(anonymous_client, customer_client, method):
    kettle = ProductFactory()
    path = URL if method == "post" else f"{URL}{kettle.pk}/"

    anonymous = getattr(anonymous_client, method)(path, new_product(), format="json")
    customer = getattr(customer_client, method)(path, new_product(), format="json")

    assert anonymous.status_code == 401
    assert customer.status_code == 403
    assert customer.json()["detail"]
    assert Product.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price": "-1.00"}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": "1.999"}, "price"),
        ({"price": None}, "price"),
        ({"stock": -1}, "stock"),
        ({"stock": "many"}, "stock"),
        ({"stock": 10**12}, "stock"),
        ({"sku": ""}, "sku"),
        ({"sku": "has space"}, "sku"),
        ({"slug": "Not a slug!"}, "slug"),
        ({"name": ""}, "name"),
        ({"currency": "euro"}, "currency"),
        ({"category": 999999}, "category"),
        ({"category": "kitchen"}, "category"),
        ({"is_active": "perhaps"}, "is_active"),
    ],
)
def test_invalid_products_are_400_naming_the_field(staff_client, overrides, field):
    response = staff_client.post(URL, new_product(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["detail"]


@pytest.mark.parametrize("field", ["sku", "slug"])
def test_a_duplicate_sku_or_slug_is_400_naming_it(staff_client, field):
    taken = ProductFactory(sku="TAKEN-1", slug="taken")

    create = staff_client.post(URL, new_product(**{field: getattr(taken, field)}), format="json")
    other = ProductFactory()
    update = staff_client.patch(f"{URL}{other.pk}/", {field: getattr(taken, field)}, format="json")

    for response in (create, update):
        assert response.status_code == 400
        assert list(response.json()["errors"]) == [field]
        assert "already exists" in response.json()["detail"]


def test_a_unique_race_lost_in_the_database_is_still_a_400_naming_the_field(
    staff_client, monkeypatch
):
    ProductFactory(sku="KET-100")
    # As if the twin request committed between the serializer's check and our insert.
    monkeypatch.setattr(UniqueValidator, "__call__", lambda *args: None)

    response = staff_client.post(URL, new_product(slug="other"), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"sku": ["Product with this SKU already exists."]}


def test_bad_json_and_non_object_bodies_are_400(staff_client):
    broken = staff_client.post(URL, "{oops", content_type="application/json")
    a_list = staff_client.post(URL, [1, 2], format="json")

    assert broken.status_code == a_list.status_code == 400
    assert broken.json()["detail"]
    assert a_list.json()["detail"]


def test_a_reserved_product_cannot_be_deleted_only_deactivated(staff_client):
    import uuid

    from inventory.services import ReservationItem, reserve

    kettle = ProductFactory()
    reserve(reservation_id=uuid.uuid4(), items=[ReservationItem(kettle.pk, 1)])

    response = staff_client.delete(f"{URL}{kettle.pk}/")

    assert response.status_code == 409
    assert "Deactivate" in response.json()["detail"]
    assert Product.objects.filter(pk=kettle.pk).exists()


def test_every_write_bumps_the_catalog_version_after_commit(
    staff_client, catalog_bumps, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = staff_client.post(URL, new_product(), format="json").json()
    catalog_bumps.clear()  # the category made for the body counts too

    for call in (
        lambda: staff_client.patch(f"{URL}{created['id']}/", {"stock": 3}, format="json"),
        lambda: staff_client.put(f"{URL}{created['id']}/", new_product(), format="json"),
        lambda: staff_client.delete(f"{URL}{created['id']}/"),
    ):
        before = len(catalog_bumps)
        with django_capture_on_commit_callbacks(execute=True):
            assert call().status_code < 300
        assert len(catalog_bumps) > before


def test_the_catalog_version_changes_in_the_shared_cache(
    staff_client, django_capture_on_commit_callbacks
):
    from shop_common.catalog import catalog_version

    kettle = ProductFactory()
    before = catalog_version()

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.patch(f"{URL}{kettle.pk}/", {"price": "1.00"}, format="json")

    assert catalog_version() != before
