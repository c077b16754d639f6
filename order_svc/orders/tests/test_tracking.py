import uuid

import pytest

from orders.models import Order
from orders.states import OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(place):
    """A confirmed order of the customer: 2 teapots."""
    return place((1, 2)).json()


def move(staff, order_id, status, **fields):
    return staff.post(f"/api/v1/orders/{order_id}/status/", {"status": status, **fields}, "json")


def test_the_list_shows_the_callers_placed_orders_newest_first(place, customer, product_svc):
    first, second = place((1, 1)).json()["id"], place((2, 1)).json()["id"]
    place((3, 9))  # rejected: not a placed order

    page = customer.get("/api/v1/orders/").json()

    assert page["count"] == 2
    assert [o["id"] for o in page["results"]] == [second, first]
    assert page["results"][0]["items"][0]["name"] == "Cup"


def test_the_list_is_paginated(place, customer):
    for _ in range(3):
        place((2, 1))

    page = customer.get("/api/v1/orders/?page_size=2&page=2").json()

    assert page["count"] == 3
    assert len(page["results"]) == 1
    assert page["previous"]


def test_another_users_order_is_invisible(order, other_customer):
    assert other_customer.get("/api/v1/orders/").json()["count"] == 0
    for path in ("", "cancel/"):
        method = other_customer.post if path else other_customer.get
        response = method(f"/api/v1/orders/{order['id']}/{path}")
        assert response.status_code == 404
        assert response.json()["detail"]
    assert Order.objects.get().status == OrderStatus.CONFIRMED


@pytest.mark.parametrize("order_id", [uuid.uuid4(), "not-a-uuid", "123"])
def test_an_unknown_order_is_a_json_404(customer, order_id):
    response = customer.get(f"/api/v1/orders/{order_id}/")

    assert response.status_code == 404
    assert response.json()["detail"]


def test_staff_see_every_order_and_filter_by_status(order, place, staff, product_svc):
    place((3, 9))

    everything = staff.get("/api/v1/orders/").json()
    rejected = staff.get("/api/v1/orders/?status=rejected").json()

    assert everything["count"] == 2
    assert [o["status"] for o in rejected["results"]] == ["rejected"]
    assert staff.get(f"/api/v1/orders/{order['id']}/").status_code == 200


def test_an_unknown_status_filter_is_a_400(staff):
    response = staff.get("/api/v1/orders/?status=lost")

    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_cancelling_gives_the_stock_back_once_however_often_it_is_asked(
    order, customer, product_svc
):
    first = customer.post(f"/api/v1/orders/{order['id']}/cancel/")
    second = customer.post(f"/api/v1/orders/{order['id']}/cancel/")

    assert first.status_code == second.status_code == 200
    assert second.json()["status"] == "cancelled"
    assert product_svc.inventory.stock(1) == 10
    releases = [c for c in product_svc.calls if c[1].endswith("/release/")]
    assert len(releases) == 1
    assert [e["status"] for e in second.json()["history"]] == ["pending", "confirmed", "cancelled"]


def test_a_cancel_while_product_svc_is_down_is_kept_and_released_later(
    order, customer, product_svc
):
    product_svc.mode = "error"

    response = customer.post(f"/api/v1/orders/{order['id']}/cancel/")

    assert response.json()["status"] == "cancelled"
    assert Order.objects.get().released_at is None
    product_svc.mode = "ok"
    customer.post(f"/api/v1/orders/{order['id']}/cancel/")
    assert product_svc.inventory.stock(1) == 10


def test_staff_move_an_order_along_and_every_move_is_recorded(order, staff, customer):
    move(staff, order["id"], "paid")
    move(staff, order["id"], "shipped", tracking_number="1Z999", note="DHL")
    response = move(staff, order["id"], "delivered")

    assert response.status_code == 200
    body = customer.get(f"/api/v1/orders/{order['id']}/").json()
    assert body["status"] == "delivered"
    assert body["tracking_number"] == "1Z999"
    assert [(e["status"], e["note"]) for e in body["history"]][2:] == [
        ("paid", ""),
        ("shipped", "DHL"),
        ("delivered", ""),
    ]


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ([], "shipped"),
        ([], "delivered"),
        ([], "pending"),
        ([], "confirmed"),
        (["paid", "shipped"], "cancelled"),
        (["paid", "shipped"], "paid"),
        (["cancelled"], "paid"),
    ],
)
def test_any_other_move_is_a_409_and_changes_nothing(order, staff, path, target):
    for status in path:
        move(staff, order["id"], status)

    response = move(staff, order["id"], target)

    assert response.status_code == 409
    assert "cannot move" in response.json()["detail"]
    assert len(Order.objects.get().history.all()) == 2 + len(path)


def test_a_shipped_order_cannot_be_cancelled_by_its_owner(order, staff, customer, product_svc):
    move(staff, order["id"], "paid")
    move(staff, order["id"], "shipped")

    response = customer.post(f"/api/v1/orders/{order['id']}/cancel/")

    assert response.status_code == 409
    assert product_svc.inventory.stock(1) == 8


def test_staff_cancel_through_the_status_endpoint_gives_the_stock_back(order, staff, product_svc):
    response = move(staff, order["id"], "cancelled", note="customer called")

    assert response.json()["status"] == "cancelled"
    assert product_svc.inventory.stock(1) == 10


def test_customers_may_not_move_orders(order, customer):
    assert move(customer, order["id"], "paid").status_code == 403


@pytest.mark.parametrize("body", [{}, {"status": "lost"}, {"status": "paid", "note": "x" * 501}])
def test_a_bad_status_move_is_a_400(order, staff, body):
    response = staff.post(f"/api/v1/orders/{order['id']}/status/", body, "json")

    assert response.status_code == 400
    assert response.json()["errors"]


@pytest.mark.parametrize("orders", [1, 5])
def test_a_page_of_orders_costs_four_queries_however_long(
    place, customer, orders, django_assert_num_queries
):
    for _ in range(orders):
        place((2, 1))

    with django_assert_num_queries(4):
        assert customer.get("/api/v1/orders/").json()["count"] == orders


def test_a_move_reads_lines_and_history_once(order, staff, django_assert_num_queries):
    # Visibility check, then in a savepoint: lock, update, history row, the lines (for the
    # event and the answer alike), the event in the outbox; then the answer's history.
    with django_assert_num_queries(9):
        assert move(staff, order["id"], "paid").status_code == 200


def test_reading_one_order_costs_three_queries(order, customer, django_assert_num_queries):
    with django_assert_num_queries(3):
        assert customer.get(f"/api/v1/orders/{order['id']}/").status_code == 200
