import uuid
from decimal import Decimal

import pytest

from catalog.models import Product
from catalog.tests.factories import ProductFactory
from conftest import bearer_client
from inventory.exceptions import InventoryBusy
from inventory.models import Reservation
from shop_common.serializers import MAX_ORDER_TOTAL
from shop_testing.tokens import make_service_token

pytestmark = pytest.mark.django_db

URL = "/internal/v1/reservations/"


def body(*lines: tuple[int, int], reservation_id: uuid.UUID | None = None) -> dict:
    return {
        "reservation_id": str(reservation_id or uuid.uuid4()),
        "items": [{"product_id": pid, "quantity": qty} for pid, qty in lines],
    }


def test_reserve_answers_201_with_names_and_unit_prices(service_client):
    kettle = ProductFactory(name="Kettle", price="39.90", currency="EUR", stock=5)
    request = body((kettle.pk, 2))

    response = service_client.post(URL, request, format="json")

    assert response.status_code == 201
    data = response.json()
    assert data["reservation_id"] == request["reservation_id"]
    assert data["state"] == "reserved"
    assert data["items"] == [
        {
            "product_id": kettle.pk,
            "name": "Kettle",
            "unit_price": "39.90",
            "currency": "EUR",
            "quantity": 2,
        }
    ]
    assert data["created_at"]
    assert Product.objects.get(pk=kettle.pk).stock == 3


def test_the_same_reservation_id_again_answers_200_with_the_first_result(service_client):
    kettle = ProductFactory(stock=5)
    first = service_client.post(URL, body((kettle.pk, 2)), format="json")
    repeat = body((kettle.pk, 1), reservation_id=first.json()["reservation_id"])

    again = service_client.post(URL, repeat, format="json")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert Product.objects.get(pk=kettle.pk).stock == 3


def test_short_stock_is_409_naming_each_short_product(service_client):
    kettle, mug = ProductFactory(stock=1), ProductFactory(stock=0)

    response = service_client.post(URL, body((kettle.pk, 2), (mug.pk, 1)), format="json")

    assert response.status_code == 409
    assert response.json()["short"] == [
        {"product_id": kettle.pk, "requested": 2, "available": 1},
        {"product_id": mug.pk, "requested": 1, "available": 0},
    ]
    assert response.json()["detail"]
    assert Product.objects.get(pk=kettle.pk).stock == 1


def test_unknown_or_inactive_products_are_400_naming_them(service_client):
    kettle, retired = ProductFactory(), ProductFactory(is_active=False)

    response = service_client.post(
        URL, body((kettle.pk, 1), (retired.pk, 1), (424242, 1)), format="json"
    )

    assert response.status_code == 400
    data = response.json()
    assert data["unknown_products"] == [retired.pk, 424242]
    assert data["errors"]["items"]
    assert str(retired.pk) in data["detail"]


def test_items_worth_more_than_an_order_may_be_are_400_and_take_nothing(service_client):
    dearest = [ProductFactory(price=Decimal("99999999.99"), stock=100_000) for _ in range(11)]

    response = service_client.post(
        URL, body(*[(product.pk, 100_000) for product in dearest]), format="json"
    )

    assert response.status_code == 400
    assert response.json()["max_total"] == str(MAX_ORDER_TOTAL)
    assert "items" in response.json()["errors"]
    assert {p.stock for p in Product.objects.filter(pk__in=[d.pk for d in dearest])} == {100_000}
    assert not Reservation.objects.exists()


def test_items_worth_up_to_the_most_an_order_may_be_are_reserved(service_client):
    dearest = ProductFactory(price=Decimal("99999999.99"), stock=100_000)
    change = ProductFactory(price=MAX_ORDER_TOTAL - Decimal("9999999999000.00"), stock=1)

    response = service_client.post(URL, body((dearest.pk, 100_000), (change.pk, 1)), format="json")

    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"items": [{"product_id": 1, "quantity": 1}]}, "reservation_id"),
        (
            {"reservation_id": "not-a-uuid", "items": [{"product_id": 1, "quantity": 1}]},
            "reservation_id",
        ),
        ({"reservation_id": str(uuid.uuid4()), "items": []}, "items"),
        ({"reservation_id": str(uuid.uuid4())}, "items"),
        ({"reservation_id": str(uuid.uuid4()), "items": "kettle"}, "items"),
        (
            {"reservation_id": str(uuid.uuid4()), "items": [{"product_id": 1, "quantity": 0}]},
            "items",
        ),
        (
            {"reservation_id": str(uuid.uuid4()), "items": [{"product_id": 1, "quantity": 1.5}]},
            "items",
        ),
        (
            {"reservation_id": str(uuid.uuid4()), "items": [{"product_id": "x", "quantity": 1}]},
            "items",
        ),
        (
            {"reservation_id": str(uuid.uuid4()), "items": [{"product_id": 2**70, "quantity": 1}]},
            "items",
        ),
        ({"reservation_id": str(uuid.uuid4()), "items": [{"quantity": 1}]}, "items"),
        (
            {
                "reservation_id": str(uuid.uuid4()),
                "items": [{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 2}],
            },
            "items",
        ),
    ],
)
def test_malformed_reserve_bodies_are_400_naming_the_field(service_client, payload, field):
    response = service_client.post(URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["detail"]


def test_a_body_that_is_not_json_is_400(service_client):
    response = service_client.post(URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_release_answers_200_released_and_gives_stock_back(service_client):
    kettle = ProductFactory(stock=5)
    reserved = service_client.post(URL, body((kettle.pk, 5)), format="json").json()

    response = service_client.post(f"{URL}{reserved['reservation_id']}/release/")
    again = service_client.post(f"{URL}{reserved['reservation_id']}/release/")

    assert response.status_code == again.status_code == 200
    assert response.json()["reservation_id"] == reserved["reservation_id"]
    assert response.json()["state"] == "released"
    assert Product.objects.get(pk=kettle.pk).stock == 5


def test_release_before_reserve_makes_the_late_reserve_410(service_client):
    kettle = ProductFactory(stock=5)
    reservation_id = uuid.uuid4()

    released = service_client.post(f"{URL}{reservation_id}/release/")
    late = service_client.post(
        URL, body((kettle.pk, 1), reservation_id=reservation_id), format="json"
    )

    assert released.status_code == 200
    assert released.json()["state"] == "released"
    assert late.status_code == 410
    assert late.json()["state"] == "released"
    assert late.json()["detail"]
    assert Product.objects.get(pk=kettle.pk).stock == 5


def test_get_answers_the_reservation_or_404(service_client):
    kettle = ProductFactory(stock=5)
    reserved = service_client.post(URL, body((kettle.pk, 1)), format="json").json()

    found = service_client.get(f"{URL}{reserved['reservation_id']}/")
    missing = service_client.get(f"{URL}{uuid.uuid4()}/")
    not_an_id = service_client.get(f"{URL}kettle/")

    assert found.status_code == 200
    assert found.json() == reserved
    assert missing.status_code == not_an_id.status_code == 404
    assert missing.json()["detail"]
    assert not_an_id["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", URL),
        ("get", f"{URL}{uuid.UUID(int=1)}/"),
        ("post", f"{URL}{uuid.UUID(int=1)}/release/"),
    ],
)
def test_only_services_may_call_the_internal_api(
    anonymous_client, customer_client, staff_client, method, path
):
    bad_token = anonymous_client.__class__()
    bad_token.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")

    assert getattr(anonymous_client, method)(path).status_code == 401
    assert getattr(bad_token, method)(path).status_code == 401
    assert getattr(customer_client, method)(path).status_code == 403
    assert getattr(staff_client, method)(path).status_code == 403
    assert not Reservation.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", URL),
        ("get", f"{URL}{uuid.UUID(int=1)}/"),
        ("post", f"{URL}{uuid.UUID(int=1)}/release/"),
    ],
)
def test_a_service_token_without_the_reservations_scope_gets_403(method, path):
    product = ProductFactory(stock=5)
    gateway = bearer_client(make_service_token("gateway_svc"))

    response = getattr(gateway, method)(path, body((product.id, 1)), format="json")

    assert response.status_code == 403
    assert "'inventory.reservations' scope" in response.json()["detail"]
    assert not Reservation.objects.exists()
    product.refresh_from_db()
    assert product.stock == 5


def test_a_reserve_the_database_keeps_aborting_is_503_with_retry_after(service_client, monkeypatch):
    def busy(*args, **kwargs):
        raise InventoryBusy("deadlocks")

    monkeypatch.setattr("inventory.services._retrying", busy)

    response = service_client.post(URL, body((ProductFactory().pk, 1)), format="json")

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["detail"]
