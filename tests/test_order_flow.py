"""The order flow across real processes, through the gateway, with the event relays and
consumers running: a payment pays the order (once), user_svc emails the customer,
cancelling a paid order refunds it, and an unpaid order expires and gives its stock back.
With RabbitMQ cut, orders and payments still answer, and once it is back every order is
paid exactly once; the envelopes the flow sent match docs/asyncapi.yaml."""

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from shop_testing.asyncapi import validate_envelope
from shop_testing.harness import System
from shop_testing.mailbox import read_mailbox
from shop_testing.metrics import metric_value
from shop_testing.shop import Shop, as_json, order_body, wait_for
from shop_testing.tcp_proxy import TCPProxy

AMQP_URL = os.environ.get("AMQP_URL", "")
needs_rabbitmq = pytest.mark.skipif(not AMQP_URL, reason="cuts RabbitMQ (AMQP_URL unset)")


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
    return sorted(
        message["Subject"] for message in read_mailbox(folder) if message["To"] == address
    )


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


def test_a_shipped_orders_stock_stops_counting_as_reserved(shop):
    customer = shop.customer()
    product = shop.product(price="6.00", stock=5)
    placed = place(shop, customer, (product, 2))
    reservation = (
        "from inventory.models import Reservation; "
        f"print(json.dumps(Reservation.objects.get(pk='{placed['id']}').state))"
    )
    assert query(shop, "product_svc", reservation) == "reserved"
    pay(shop, customer, placed["id"])
    assert wait_for(lambda: order(shop, customer, placed["id"])["status"] == "paid", timeout=10)

    url = gateway(shop, f"/api/v1/orders/{placed['id']}/status/")
    moved = shop.staff.post(url, json={"status": "shipped", "tracking_number": "T-1"}, timeout=10)

    assert moved.status_code == 200, moved.text
    assert wait_for(lambda: query(shop, "product_svc", reservation) == "fulfilled", timeout=30)
    assert shop.stock(product) == 3  # the stock stays taken: it has left


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


@pytest.fixture(scope="module")
def outage(tmp_path_factory) -> Iterator[tuple[Shop, TCPProxy]]:
    """A system of its own whose relays and consumers reach RabbitMQ through a proxy the
    test can cut: the server other tests and people use keeps running."""
    target = urlsplit(AMQP_URL)
    with TCPProxy((target.hostname or "127.0.0.1", target.port or 5672)) as proxy:
        netloc = target.netloc.rpartition("@")[0] + f"@127.0.0.1:{proxy.port}"
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("AMQP_URL", urlunsplit(target._replace(netloc=netloc)))
            system = System(tmp_path_factory.mktemp("outage"))
        try:
            system.start_all()
            yield Shop(system), proxy
        finally:
            system.close()


def query(shop: Shop, service: str, code: str) -> Any:
    """What `code` (Django shell code printing one JSON value) prints in `service`."""
    result = shop.system.manage(service, "shell", "--no-imports", "-c", f"import json; {code}")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


INBOX = (
    "from shop_common.events.models import InboxEvent; "
    "print(json.dumps([[e.type, str(e.event_id), e.duplicates] "
    "for e in InboxEvent.objects.all()]))"
)
OUTBOX = (
    "from django.conf import settings; from shop_common.events.models import OutboxEvent; "
    "print(json.dumps([json.loads(row.event(source=settings.SERVICE_NAME).encode()) "
    "for row in OutboxEvent.objects.all()]))"
)


def outbox_waiting(shop: Shop, service: str) -> float:
    text = requests.get(f"{shop.system.url(service)}/metrics", timeout=10).text
    samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
    return metric_value(samples, "shop_events_outbox_waiting")


@needs_rabbitmq
def test_with_rabbitmq_cut_orders_and_payments_answer_and_each_is_paid_once_it_is_back(outage):
    shop, proxy = outage
    product = shop.product(price="4.00", stock=20)
    # The relays and consumers are connected: the flow goes through before the cut.
    first = shop.customer()
    warm = place(shop, first, (product, 1))
    pay(shop, first, warm["id"])
    assert wait_for(lambda: order(shop, first, warm["id"])["status"] == "paid", timeout=30)
    # ... and its order.paid published too, so what waits below is only what the cut held.
    assert wait_for(lambda: outbox_waiting(shop, "order_svc") == 0, timeout=15)

    proxy.cut()
    try:
        paid = []
        for token in ("tok_visa", "tok_visa", "tok_async", "tok_visa"):
            customer = shop.customer()
            placed = place(shop, customer, (product, 2))  # 201, confirmed
            paid.append((customer, placed, pay(shop, customer, placed["id"], token)))  # 201

        # The payments are taken (the tok_async one by its webhook, which needs no broker),
        # but order_svc can't learn of them: the events wait in payment_svc's outbox.
        assert [payment["status"] for _, _, payment in paid] == [
            "succeeded",
            "succeeded",
            "pending",
            "succeeded",
        ]
        assert wait_for(lambda: outbox_waiting(shop, "payment_svc") == len(paid), timeout=15)
        assert outbox_waiting(shop, "order_svc") == len(paid)  # their order.confirmed
        assert all(order(shop, c, o["id"])["status"] == "confirmed" for c, o, _ in paid)
    finally:
        proxy.restore()  # the queues are deleted through it at the end
    assert wait_for(
        lambda: all(order(shop, c, o["id"])["status"] == "paid" for c, o, _ in paid), timeout=60
    )
    for customer, placed, _ in paid:
        history = [entry["status"] for entry in order(shop, customer, placed["id"])["history"]]
        assert history.count("paid") == 1
    # Each payment.succeeded was applied once by order_svc, and each order email written
    # once by user_svc, whatever the relays sent again across the cut.
    succeeded = {
        envelope["id"]
        for envelope in query(shop, "payment_svc", OUTBOX)
        if envelope["type"] == "payment.succeeded"
    }
    assert len(succeeded) == len(paid) + 1
    applied = [event_id for _, event_id, _ in query(shop, "order_svc", INBOX)]
    assert sorted(applied) == sorted(succeeded)
    for customer, placed, _ in paid:
        reference = placed["id"][:8].upper()
        expected = [
            f"Payment received for your order {reference}",
            f"Your order {reference} is confirmed",
        ]
        assert wait_for(lambda c=customer, e=expected: subjects_mailed_to(shop, c) == e, 30)


@needs_rabbitmq
def test_the_envelopes_the_flow_sent_match_the_asyncapi_document(outage):
    shop, _ = outage
    customer = shop.customer()
    placed = place(shop, customer, (shop.product(price="2.50", stock=3), 1))
    pay(shop, customer, placed["id"])
    assert wait_for(lambda: order(shop, customer, placed["id"])["status"] == "paid", timeout=30)
    url = gateway(shop, f"/api/v1/orders/{placed['id']}/cancel/")
    assert customer.post(url, timeout=10).status_code == 200

    envelopes = query(shop, "order_svc", OUTBOX) + query(shop, "payment_svc", OUTBOX)
    sent = {envelope["type"] for envelope in envelopes}
    assert {"order.confirmed", "order.paid", "order.cancelled", "payment.succeeded"} <= sent
    for envelope in envelopes:
        validate_envelope(envelope)
