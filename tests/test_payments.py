"""Paying for orders through the gateway, on real user_svc, product_svc, order_svc and
payment_svc processes: the amount comes from order_svc, each test token does what the
contract says, and nobody pays for, or reads, someone else's order."""

import uuid

import pytest
import requests

from shop_testing.harness import System
from shop_testing.shop import Shop, as_json, order_body, wait_for


@pytest.fixture(scope="module")
def shop(system: System) -> Shop:
    return Shop(system)


def gateway(shop: Shop, path: str) -> str:
    return f"{shop.system.url('gateway_svc')}{path}"


def place(shop: Shop, customer: requests.Session, total_price: str = "12.34") -> dict:
    product = shop.product(price=total_price, stock=10)
    response = customer.post(gateway(shop, "/api/v1/orders/"), json=order_body((product, 1)))
    assert response.status_code == 201, response.text
    return response.json()


def pay(shop: Shop, customer: requests.Session, order_id: str, token: str, **headers: str):
    body = {"order_id": order_id, "payment_method": {"type": "card", "token": token}}
    return customer.post(gateway(shop, "/api/v1/payments/"), json=body, headers=headers)


def test_tok_visa_pays_the_orders_total(shop):
    customer = shop.customer()
    order = place(shop, customer, "12.34")

    response = pay(shop, customer, order["id"], "tok_visa", **{"Idempotency-Key": "visa-1"})

    assert response.status_code == 201, response.text
    payment = as_json(response)
    assert (payment["status"], payment["amount"], payment["currency"]) == (
        "succeeded",
        "12.34",
        "EUR",
    )
    assert payment["failure_reason"] is None
    read = customer.get(gateway(shop, f"/api/v1/payments/{payment['id']}/"))
    assert read.json()["status"] == "succeeded"
    listed = customer.get(gateway(shop, "/api/v1/payments/"), params={"order_id": order["id"]})
    assert [p["id"] for p in listed.json()["results"]] == [payment["id"]]
    again = pay(shop, customer, order["id"], "tok_visa", **{"Idempotency-Key": "visa-1"})
    assert (again.status_code, again.json()["id"]) == (201, payment["id"])
    assert pay(shop, customer, order["id"], "tok_visa").status_code == 409


def test_a_declined_card_fails_and_the_customer_may_pay_again(shop):
    customer = shop.customer()
    order = place(shop, customer)

    declined = pay(shop, customer, order["id"], "tok_chargeDeclined")
    retried = pay(shop, customer, order["id"], "tok_visa")

    assert declined.status_code == 201
    assert (declined.json()["status"], declined.json()["failure_reason"]) == (
        "failed",
        "card_declined",
    )
    assert (retried.status_code, retried.json()["status"]) == (201, "succeeded")


def test_tok_async_is_pending_then_succeeds_by_the_providers_signed_webhook(shop):
    customer = shop.customer()
    order = place(shop, customer)

    response = pay(shop, customer, order["id"], "tok_async")

    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    url = gateway(shop, f"/api/v1/payments/{response.json()['id']}/")
    # payment_svc's consumer delivers the webhook to the gateway's public URL when due.
    assert wait_for(lambda: customer.get(url).json()["status"] == "succeeded", timeout=30)


def test_someone_elses_or_an_unknown_order_is_a_404(shop):
    owner, stranger = shop.customer(), shop.customer()
    order = place(shop, owner)
    payment = pay(shop, owner, order["id"], "tok_visa").json()

    assert pay(shop, stranger, order["id"], "tok_visa").status_code == 404
    assert pay(shop, stranger, str(uuid.uuid4()), "tok_visa").status_code == 404
    assert stranger.get(gateway(shop, f"/api/v1/payments/{payment['id']}/")).status_code == 404


def test_a_cancelled_order_is_not_awaiting_payment(shop):
    customer = shop.customer()
    order = place(shop, customer)
    cancelled = customer.post(gateway(shop, f"/api/v1/orders/{order['id']}/cancel/"))
    assert cancelled.status_code == 200

    response = pay(shop, customer, order["id"], "tok_visa")

    assert response.status_code == 409
    assert response.json()["order_status"] == "cancelled"


def test_an_unknown_token_is_a_400(shop):
    customer = shop.customer()

    response = pay(shop, customer, place(shop, customer)["id"], "tok_nonsense")

    assert response.status_code == 400
    assert "payment_method" in response.json()["errors"]


def test_paying_needs_a_token_but_a_webhook_does_not(shop):
    anonymous = shop.session()
    body = {"order_id": str(uuid.uuid4()), "payment_method": {"type": "card", "token": "x"}}

    unsigned = anonymous.post(gateway(shop, "/api/v1/payments/webhooks/simulated/"), json={})

    assert anonymous.post(gateway(shop, "/api/v1/payments/"), json=body).status_code == 401
    assert unsigned.status_code == 400
    assert "Payment-Signature" in unsigned.json()["detail"]


def test_the_internal_order_view_is_not_reachable_through_the_gateway(shop):
    customer = shop.customer()
    order = place(shop, customer)

    response = customer.get(gateway(shop, f"/internal/v1/orders/{order['id']}/"))

    assert response.status_code == 404
