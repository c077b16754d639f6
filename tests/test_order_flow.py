"""The order flow across real processes, through the gateway, with the event relays and
consumers running: a payment pays the order (once), user_svc emails the customer,
cancelling a paid order refunds it, and an unpaid order expires and gives its stock back."""

import email
from pathlib import Path

import pytest
import requests

from shop_testing.harness import System
from shop_testing.shop import Shop, as_json, order_body, wait_for


@pytest.fixture(scope="module")
def shop(system: System) -> Shop:
    return Shop(system)


def gateway(shop: Shop, path: str) -> str:
    return f"{shop.system.url('gateway_svc')}{path}"


def place(shop: Shop, customer: requests.Session, *items: tuple[int, int]) -> dict:
    response = customer.post(gateway(shop, "/api/v1/orders/"), json=order_body(*items), timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def pay(shop: Shop, customer: requests.Session, order_id: str, token: str = "tok_visa") -> dict:
    body = {"order_id": order_id, "payment_method": {"type": "card", "token": token}}
    response = customer.post(gateway(shop, "/api/v1/payments/"), json=body, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def order(shop: Shop, customer: requests.Session, order_id: str) -> dict:
    return as_json(customer.get(gateway(shop, f"/api/v1/orders/{order_id}/"), timeout=10))


def subjects_mailed_to(shop: Shop, customer: requests.Session) -> list[str]:
    """The subjects of the emails user_svc's file backend wrote to the customer."""
    address = customer.get(gateway(shop, "/api/v1/users/me/"), timeout=10).json()["email"]
    folder = Path(shop.system.env["SHOP_VAR_DIR"]) / "mail"
    messages = [email.message_from_bytes(path.read_bytes()) for path in folder.glob("*")]
    return sorted(message["Subject"] for message in messages if message["To"] == address)


def test_a_paid_order_is_paid_within_two_seconds_once_and_the_customer_is_told(shop):
    customer = shop.customer()
    placed = place(shop, customer, (shop.product(price="12.50", stock=5), 2))
    reference = placed["id"][:8].upper()

    payment = pay(shop, customer, placed["id"])

    assert payment["status"] == "succeeded"
    assert wait_for(lambda: order(shop, customer, placed["id"])["status"] == "paid", timeout=2)
    assert wait_for(lambda: len(subjects_mailed_to(shop, customer)) == 2, timeout=15)
    history = order(shop, customer, placed["id"])["history"]
    assert [entry["status"] for entry in history].count("paid") == 1
    assert subjects_mailed_to(shop, customer) == [
        f"Payment received for your order {reference}",
        f"Your order {reference} is confirmed",
    ]


def test_cancelling_a_paid_order_refunds_its_payment(shop):
    customer = shop.customer()
    placed = place(shop, customer, (shop.product(price="7.00", stock=5), 1))
    payment = pay(shop, customer, placed["id"])
    assert wait_for(lambda: order(shop, customer, placed["id"])["status"] == "paid", timeout=5)

    cancelled = customer.post(gateway(shop, f"/api/v1/orders/{placed['id']}/cancel/"), timeout=10)

    assert cancelled.status_code == 200, cancelled.text
    url = gateway(shop, f"/api/v1/payments/{payment['id']}/")
    assert wait_for(
        lambda: customer.get(url, timeout=10).json()["status"] == "refunded", timeout=15
    )
    assert wait_for(
        lambda: any(
            "refunded" in e.get("note", "") for e in order(shop, customer, placed["id"])["history"]
        ),
        timeout=15,
    )


def test_a_payment_whose_answer_was_lost_is_reconciled_and_pays_the_order_once(shop):
    customer = shop.customer()
    placed = place(shop, customer, (shop.product(price="5.00", stock=5), 1))

    payment = pay(shop, customer, placed["id"], "tok_timeout")  # taken, answer lost
    assert payment["status"] == "pending"
    assert not wait_for(lambda: order(shop, customer, placed["id"])["status"] == "paid", 2)

    settled = shop.system.manage("payment_svc", "reconcile_payments", "--older-than", "0")
    assert settled.stdout.strip() == "settled: 1", settled.stderr
    assert wait_for(lambda: order(shop, customer, placed["id"])["status"] == "paid", timeout=10)
    url = gateway(shop, f"/api/v1/payments/{payment['id']}/")
    assert customer.get(url, timeout=10).json()["status"] == "succeeded"
    history = order(shop, customer, placed["id"])["history"]
    assert [entry["status"] for entry in history].count("paid") == 1


def test_an_unpaid_order_expires_after_a_short_timeout_and_its_stock_comes_back(shop, system):
    orders = system.processes["order_svc"]
    orders.stop_events()
    orders.start_events(ORDER_PAYMENT_TIMEOUT="2")
    try:
        product = shop.product(price="3.00", stock=5)
        customer = shop.customer()
        placed = place(shop, customer, (product, 2))
        assert shop.stock(product) == 3

        # The timeout, plus a round of the periodic job and the consumer's start.
        assert wait_for(
            lambda: order(shop, customer, placed["id"])["status"] == "cancelled", timeout=30
        )
        assert (
            "Not paid within 2 seconds"
            in order(shop, customer, placed["id"])["history"][-1]["note"]
        )
        assert wait_for(lambda: shop.stock(product) == 5, timeout=10)
    finally:
        orders.stop_events()
        orders.start_events()
