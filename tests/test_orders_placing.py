"""Placing, reading and moving orders across real user_svc, product_svc and order_svc."""

import threading
import uuid

import pytest
import requests

from shop_testing.harness import System
from shop_testing.shop import Shop, as_json, order_body


@pytest.fixture(scope="module")
def shop(system: System) -> Shop:
    return Shop(system)


def test_an_order_is_confirmed_with_catalog_prices_and_totals_to_the_cent(shop):
    teapot, tea, cup = (shop.product(price=p, stock=50) for p in ("19.99", "0.10", "4.35"))
    customer = shop.customer()

    response = shop.place(customer, (teapot, 3), (tea, 7), (cup, 1))

    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "confirmed"
    assert [(i["product_id"], i["unit_price"], i["line_total"]) for i in order["items"]] == [
        (teapot, "19.99", "59.97"),
        (tea, "0.10", "0.70"),
        (cup, "4.35", "4.35"),
    ]
    assert (order["total"], order["currency"]) == ("65.02", "EUR")
    assert order["items"][0]["name"].startswith("Tea ")
    assert [shop.stock(p) for p in (teapot, tea, cup)] == [47, 43, 49]
    assert customer.get(shop.orders(f"{order['id']}/")).json() == order


@pytest.mark.parametrize(
    ("make_body", "field"),
    [
        (lambda p: order_body(), "items"),
        (lambda p: order_body((p, 0)), "items"),
        (lambda p: order_body((p, -1)), "items"),
        (lambda p: order_body((p, 1), (p, 2)), "items"),
        (lambda p: order_body((p, "two")), "items"),
        (lambda p: {**order_body(), "items": "x"}, "items"),
        (lambda p: {"items": [{"product_id": p, "quantity": 1}]}, "shipping_address"),
        (lambda p: {**order_body((p, 1)), "shipping_address": {"name": "A"}}, "shipping_address"),
    ],
    ids=[
        "empty",
        "zero",
        "negative",
        "repeated",
        "not-a-number",
        "not-a-list",
        "no-address",
        "half-an-address",
    ],
)
def test_bad_input_is_a_json_400_naming_the_field_and_takes_nothing(shop, make_body, field):
    product = shop.product(price="1.00", stock=5)

    response = shop.customer().post(shop.orders(), json=make_body(product), timeout=10)

    assert response.status_code == 400
    assert field in as_json(response)["errors"]
    assert shop.stock(product) == 5


def test_unknown_and_inactive_products_are_a_400_naming_them_and_take_nothing(shop):
    good, retired = shop.product(price="1.00", stock=5), shop.product(price="1.00", stock=5)
    url = f"{shop.system.url('product_svc')}/api/v1/products/{retired}/"
    assert shop.staff.patch(url, json={"is_active": False}, timeout=10).status_code == 200
    customer = shop.customer()

    response = shop.place(customer, (good, 1), (retired, 1), (987654, 1))

    assert response.status_code == 400, response.text
    assert sorted(response.json()["unknown_products"]) == sorted([retired, 987654])
    assert response.json()["errors"]["items"][0] == {}
    assert shop.stock(good) == 5
    assert customer.get(shop.orders()).json()["count"] == 0


@pytest.mark.parametrize(
    ("body", "headers"),
    [("{not json", {}), ("[]", {}), ("x=1", {"Content-Type": "application/x-www-form-urlencoded"})],
)
def test_a_body_that_is_not_an_order_is_a_json_4xx(shop, body, headers):
    headers = {"Content-Type": "application/json", **headers}

    response = shop.customer().post(shop.orders(), data=body, headers=headers, timeout=10)

    assert response.status_code in (400, 415)
    assert as_json(response)["detail"]


def test_without_a_valid_token_the_answer_is_401(shop):
    for token in (None, "not-a-token"):
        response = shop.session(token).post(shop.orders(), json=order_body((1, 1)), timeout=10)
        assert response.status_code == 401
        assert as_json(response)["detail"]


def test_short_stock_is_a_409_naming_each_short_product_and_takes_nothing(shop):
    plenty, scarce = shop.product(price="2.00", stock=10), shop.product(price="3.00", stock=2)

    response = shop.place(shop.customer(), (plenty, 1), (scarce, 3))

    assert response.status_code == 409
    assert response.json()["short"] == [{"product_id": scarce, "requested": 3, "available": 2}]
    assert [shop.stock(plenty), shop.stock(scarce)] == [10, 2]


def test_concurrent_replays_of_one_key_create_one_order(shop):
    product = shop.product(price="5.00", stock=100)
    customer, key = shop.customer(), f"checkout-{uuid.uuid4()}"
    answers: list[tuple[int, str]] = []

    def post() -> None:
        session = shop.session(customer.headers["Authorization"].split()[1])
        response = shop.place(session, (product, 2), **{"Idempotency-Key": key})
        answers.append((response.status_code, response.json().get("id", "")))

    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {status for status, _ in answers} == {201}
    assert len({order_id for _, order_id in answers}) == 1
    assert shop.stock(product) == 98
    assert customer.get(shop.orders()).json()["count"] == 1


def test_the_same_key_with_another_body_is_a_422(shop):
    product, customer = shop.product(price="5.00", stock=10), shop.customer()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    assert shop.place(customer, (product, 1), **key).status_code == 201

    response = shop.place(customer, (product, 2), **key)

    assert response.status_code == 422
    assert shop.stock(product) == 9


def test_cancelling_twice_gives_the_stock_back_once(shop):
    product, customer = shop.product(price="5.00", stock=10), shop.customer()
    other_order = shop.place(shop.customer(), (product, 1)).json()
    order = shop.place(customer, (product, 4)).json()

    first = customer.post(shop.orders(f"{order['id']}/cancel/"), timeout=10)
    second = customer.post(shop.orders(f"{order['id']}/cancel/"), timeout=10)

    assert first.status_code == second.status_code == 200
    assert second.json()["status"] == "cancelled"
    assert shop.stock(product) == 9
    assert other_order["status"] == "confirmed"


def test_another_users_order_is_invisible(shop):
    product = shop.product(price="5.00", stock=10)
    order = shop.place(shop.customer(), (product, 1)).json()
    stranger = shop.customer()

    assert stranger.get(shop.orders(f"{order['id']}/"), timeout=10).status_code == 404
    assert stranger.post(shop.orders(f"{order['id']}/cancel/"), timeout=10).status_code == 404
    assert stranger.get(shop.orders(), timeout=10).json()["count"] == 0
    assert shop.stock(product) == 9


def test_staff_move_an_order_to_delivered_and_a_shipped_order_cannot_be_cancelled(shop):
    product, customer = shop.product(price="5.00", stock=10), shop.customer()
    order_id = shop.place(customer, (product, 1)).json()["id"]
    status_url = shop.orders(f"{order_id}/status/")
    for status in ("paid", "shipped"):
        assert shop.staff.post(status_url, json={"status": status}, timeout=10).status_code == 200

    cancel = customer.post(shop.orders(f"{order_id}/cancel/"), timeout=10)
    back = shop.staff.post(status_url, json={"status": "paid"}, timeout=10)
    delivered = shop.staff.post(status_url, json={"status": "delivered", "note": "signed"})

    assert (cancel.status_code, back.status_code, delivered.status_code) == (409, 409, 200)
    history = customer.get(shop.orders(f"{order_id}/")).json()["history"]
    assert [e["status"] for e in history] == [
        "pending",
        "confirmed",
        "paid",
        "shipped",
        "delivered",
    ]
    assert customer.post(status_url, json={"status": "paid"}).status_code == 403
    assert shop.stock(product) == 9


def test_through_the_gateway_a_replayed_key_answers_the_same_order_once(shop):
    product, customer = shop.product(price="2.50", stock=5), shop.customer()
    url, key = f"{shop.system.url('gateway_svc')}/api/v1/orders/", str(uuid.uuid4())

    first = customer.post(url, json=order_body((product, 2)), headers={"Idempotency-Key": key})
    again = customer.post(url, json=order_body((product, 2)), headers={"Idempotency-Key": key})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert shop.stock(product) == 3


def test_answers_are_json_with_a_request_id(shop):
    response = requests.get(shop.orders(str(uuid.uuid4()) + "/"), timeout=10)

    assert response.status_code == 401
    assert response.headers["X-Request-ID"]


def test_an_order_worth_more_than_the_total_column_is_a_400_that_takes_no_stock(shop):
    dearest = [shop.product(price="99999999.99", stock=100_000) for _ in range(11)]
    customer = shop.customer()

    response = shop.place(customer, *[(product, 100_000) for product in dearest])
    after = shop.place(customer, (dearest[0], 1))

    assert response.status_code == 400, response.text
    assert response.json()["max_total"] == "9999999999999.99"
    assert "items" in response.json()["errors"]
    assert after.status_code == 201, after.text
    assert [shop.stock(product) for product in dearest] == [99_999] + [100_000] * 10
