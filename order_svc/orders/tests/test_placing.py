import time
from datetime import timedelta
from decimal import Decimal

import pytest

from orders import reservations
from orders.models import Order, OrderStatusEvent
from orders.reconcile import reconcile
from orders.states import OrderStatus
from orders.tests.conftest import ADDRESS, order_body
from orders.tests.factories import OrderFactory
from shop_common.events.models import OutboxEvent
from shop_common.serializers import MAX_ORDER_TOTAL

pytestmark = pytest.mark.django_db


def test_an_order_is_confirmed_with_the_servers_prices_to_the_cent(place, product_svc):
    response = place((1, 3), (2, 7))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == f"/api/v1/orders/{body['id']}/"
    assert body["status"] == "confirmed"
    assert body["items"] == [
        {
            "product_id": 1,
            "name": "Teapot",
            "unit_price": "19.99",
            "quantity": 3,
            "line_total": "59.97",
        },
        {
            "product_id": 2,
            "name": "Cup",
            "unit_price": "4.35",
            "quantity": 7,
            "line_total": "30.45",
        },
    ]
    assert body["total"] == "90.42"
    assert body["currency"] == "EUR"
    assert body["shipping_address"] == {**ADDRESS, "line2": ""}
    assert [event["status"] for event in body["history"]] == ["pending", "confirmed"]
    assert product_svc.inventory.stock(1) == 7
    assert product_svc.inventory.stock(2) == 93


def test_prices_sent_by_the_client_are_ignored(customer, product_svc):
    body = order_body((1, 1))
    body["items"][0]["unit_price"] = "0.01"
    body["total"] = "0.01"

    response = customer.post("/api/v1/orders/", body, format="json")

    assert response.json()["total"] == "19.99"


def test_a_later_price_change_does_not_rewrite_the_order(place, customer, product_svc):
    order_id = place((1, 1)).json()["id"]
    product_svc.inventory.products[1].price = "99.00"

    assert customer.get(f"/api/v1/orders/{order_id}/").json()["total"] == "19.99"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (order_body(), "items"),
        (order_body((1, 0)), "items"),
        (order_body((1, -2)), "items"),
        (order_body((1, 1), (1, 2)), "items"),
        (order_body((0, 1)), "items"),
        (order_body((2**63, 1)), "items"),
        (order_body((1, 100_001)), "items"),
        (order_body(items=[{"product_id": "x", "quantity": 1}]), "items"),
        (order_body(items=[{"product_id": 1, "quantity": 1.5}]), "items"),
        (order_body(items=[{"product_id": 1}]), "items"),
        (order_body(items="teapot"), "items"),
        (order_body(items=[{"product_id": i, "quantity": 1} for i in range(1, 102)]), "items"),
        ({"items": [{"product_id": 1, "quantity": 1}]}, "shipping_address"),
        (order_body((1, 1), shipping_address={**ADDRESS, "city": ""}), "shipping_address"),
        (order_body((1, 1), shipping_address="home"), "shipping_address"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_creates_nothing(
    customer, product_svc, body, field
):
    response = customer.post("/api/v1/orders/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["detail"]
    assert not Order.objects.exists()
    assert product_svc.calls == []


@pytest.mark.parametrize("raw", ["[]", "not json", '"text"', "null"])
def test_a_body_that_is_not_an_order_is_a_400(customer, product_svc, raw):
    response = customer.post("/api/v1/orders/", raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_repeated_product_is_named(place):
    response = place((2, 1), (1, 1), (2, 3))

    assert response.status_code == 400
    assert "repeated: 2" in response.json()["detail"]


def test_an_unknown_product_is_a_400_naming_it_and_takes_nothing(place, customer, product_svc):
    response = place((1, 1), (99, 1))

    assert response.status_code == 400
    assert response.json()["unknown_products"] == [99]
    assert response.json()["errors"]["items"][1] == {"product_id": ["Unknown or inactive product."]}
    assert product_svc.inventory.stock(1) == 10
    assert Order.objects.get().status == OrderStatus.REJECTED
    assert customer.get("/api/v1/orders/").json()["count"] == 0


DEAREST = "99999999.99"  # the most product_svc's price column holds


def test_an_order_worth_more_than_the_total_column_fails_with_a_400_and_gives_stock_back(
    place, product_svc
):
    """Even from a product_svc that took the stock: the total is checked before saving."""
    for product_id in range(10, 21):
        product_svc.add(product_id, "Crown jewel", DEAREST, stock=100_000)

    response = place(*[(product_id, 100_000) for product_id in range(10, 21)])

    assert response.status_code == 400, response.json()
    assert response.json()["max_total"] == str(MAX_ORDER_TOTAL)
    assert "items" in response.json()["errors"]
    order = Order.objects.get()
    assert (order.status, order.released_at is not None) == (OrderStatus.FAILED, True)
    assert [product_svc.inventory.stock(pid) for pid in range(10, 21)] == [100_000] * 11


def test_the_total_column_holds_the_most_an_order_may_be_worth():
    order = OrderFactory(total=MAX_ORDER_TOTAL)

    order.refresh_from_db()

    assert order.total == MAX_ORDER_TOTAL


def test_a_very_large_order_that_fits_the_total_column_is_confirmed(place, product_svc):
    product_svc.add(10, "Crown jewel", DEAREST, stock=2_000_000)
    product_svc.add(11, "Polish", "0.01", stock=100)

    response = place((10, 100_000), (11, 1))

    assert response.status_code == 201, response.json()
    assert response.json()["total"] == "9999999999000.01"


def test_short_stock_is_a_409_naming_each_short_product_and_takes_nothing(place, product_svc):
    response = place((1, 2), (3, 5))

    assert response.status_code == 409
    assert response.json()["short"] == [{"product_id": 3, "requested": 5, "available": 1}]
    assert product_svc.inventory.stock(1) == 10
    assert Order.objects.get().status == OrderStatus.REJECTED


def test_without_product_svc_the_order_fails_with_503_and_nothing_stays_reserved(
    place, product_svc
):
    product_svc.close()

    started = time.monotonic()
    response = place((1, 1))

    assert response.status_code == 503
    assert response["Retry-After"]
    assert time.monotonic() - started < 3
    order = Order.objects.get()
    assert order.status == OrderStatus.FAILED
    assert order.released_at is None  # left to reconciliation


def test_a_hanging_product_svc_is_a_503_within_a_few_seconds_and_the_id_is_released(
    place, product_svc, settings
):
    settings.INVENTORY_READ_TIMEOUT = 0.5
    settings.INVENTORY_QUICK_TIMEOUT = 0.5
    product_svc.mode, product_svc.hang_seconds = "hang", 0.7

    started = time.monotonic()
    response = place((1, 1))

    assert response.status_code == 503
    assert time.monotonic() - started < 2
    assert Order.objects.get().status == OrderStatus.FAILED
    time.sleep(0.8)  # the hanging reserve finishes, then reconciliation releases it
    product_svc.mode = "ok"
    reconcile(older_than=timedelta(0))
    assert product_svc.inventory.stock(1) == 10


def test_an_error_answer_from_product_svc_fails_the_order_and_releases_it(place, product_svc):
    product_svc.mode = "error"

    response = place((1, 1))

    assert response.status_code == 503
    product_svc.mode = "ok"
    assert Order.objects.get().status == OrderStatus.FAILED


@pytest.mark.parametrize(
    "refusal",
    [
        (409, {"detail": "Short.", "short": [{"id": 1}]}),
        (409, {"detail": "Short.", "short": ["1"]}),
        (400, {"detail": "Unknown.", "unknown_products": ["one"]}),
    ],
    ids=["short-without-product-id", "short-not-objects", "unknown-not-ids"],
)
def test_a_refusal_product_svc_garbled_fails_the_order_with_a_json_503(
    place, product_svc, monkeypatch, refusal
):
    monkeypatch.setattr(product_svc, "answer", lambda *args: refusal)

    response = place((1, 1))

    assert response.status_code == 503
    assert response.json()["detail"]
    assert Order.objects.get().status == OrderStatus.FAILED


def test_a_lost_answer_is_retried_under_the_same_id_and_takes_stock_once(place, product_svc):
    product_svc.mode = "drop-answer-once"

    response = place((1, 4))

    assert response.status_code == 201, response.json()
    assert product_svc.inventory.stock(1) == 6
    posts = [call for call in product_svc.calls if call == ("POST", "/internal/v1/reservations/")]
    assert len(posts) == 2


def test_products_in_two_currencies_fail_the_order_and_give_the_stock_back(place, product_svc):
    product_svc.add(4, "Mug", "5.00", stock=5, currency="USD")

    response = place((1, 1), (4, 1))

    assert response.status_code == 409
    assert product_svc.inventory.stock(1) == 10
    assert product_svc.inventory.stock(4) == 5


def test_a_refused_service_token_is_renewed_once(place, product_svc):
    product_svc.TOKEN = "Bearer another"

    response = place((1, 1))

    assert response.status_code == 503
    assert reservations.credential.invalidated >= 1


def test_anonymous_callers_get_401(client):
    response = client.post("/api/v1/orders/", order_body((1, 1)), content_type="application/json")

    assert response.status_code == 401
    assert response.json()["detail"]


def test_every_step_is_in_the_history(place):
    place((1, 1))

    assert list(OrderStatusEvent.objects.values_list("status", flat=True)) == [
        "pending",
        "confirmed",
    ]
    assert Order.objects.get().total == Decimal("19.99")


def test_an_order_settled_while_its_stock_was_reserved_is_not_confirmed_again(
    place, product_svc, monkeypatch
):
    reserve = reservations.reserve

    def reserve_while_reconciliation_fails_it(order_id, items):
        reservation = reserve(order_id, items)
        Order.objects.filter(pk=order_id).update(status=OrderStatus.FAILED)
        return reservation

    monkeypatch.setattr(reservations, "reserve", reserve_while_reconciliation_fails_it)

    response = place((1, 1))

    # The confirmation holds no lock on the order it wrote: its UPDATE moves it only
    # from pending, and an order moved meanwhile is answered as the move's refusal.
    assert response.status_code == 409
    assert response.json()["status"] == OrderStatus.FAILED
    assert Order.objects.get().status == OrderStatus.FAILED
    assert not OutboxEvent.objects.exists()
