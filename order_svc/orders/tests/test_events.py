"""order_svc's side of the events: each move of a placed order is published in its own
transaction, and payment_svc's events pay orders (once), note failures and refunds, and
keep the order's copy of its payments."""

import uuid

import pytest
from django.db import transaction

from orders import services
from orders.event_handlers import cancel_unpaid_orders
from orders.models import Order, Payment
from orders.states import Actor, OrderStatus
from orders.tests.conftest import order_body
from shop_common.events import Event
from shop_common.events.inbox import Outcome, apply_event
from shop_common.events.models import OutboxEvent
from shop_common.events.registry import periodic_jobs
from shop_testing.asyncapi import validate_envelope

pytestmark = pytest.mark.django_db


def published(event_type: str) -> list[dict]:
    return [row.payload for row in OutboxEvent.objects.filter(type=event_type).order_by("pk")]


def payment_event(order_id, event_type: str, *, payment_id: str = "pay-1", **changes) -> Event:
    status = event_type.removeprefix("payment.")
    payload = {
        "payment_id": payment_id,
        "order_id": str(order_id),
        "user_id": 7,
        "amount": "39.98",
        "currency": "EUR",
        "status": status,
        "failure_reason": None,
        "provider": "simulated",
        **changes,
    }
    return Event(type=event_type, subject=payment_id, payload=payload)


@pytest.fixture
def order_id(place):
    return place((1, 2)).json()["id"]


def history(order_id) -> list[tuple[str, str]]:
    return list(Order.objects.get(pk=order_id).history.values_list("status", "note"))


def test_placing_an_order_publishes_it_confirmed_with_its_lines(order_id):
    [payload] = published("order.confirmed")

    assert payload == {
        "order_id": order_id,
        "user_id": 7,
        "status": "confirmed",
        "total": "39.98",
        "currency": "EUR",
        "tracking_number": "",
        "items": [
            {
                "product_id": 1,
                "name": "Teapot",
                "unit_price": "19.99",
                "quantity": 2,
                "line_total": "39.98",
            }
        ],
        "previous_status": "pending",
        "note": "",
        "paid": False,
    }
    assert OutboxEvent.objects.get(type="order.confirmed").subject == order_id


def test_each_later_move_is_published_with_what_it_says(order_id, staff):
    for status, extra in (("paid", {}), ("shipped", {"tracking_number": "TRK-1"})):
        staff.post(f"/api/v1/orders/{order_id}/status/", {"status": status, **extra}, format="json")
    staff.post(f"/api/v1/orders/{order_id}/status/", {"status": "delivered"}, format="json")

    [paid], [shipped], [delivered] = (
        published(f"order.{s}") for s in ("paid", "shipped", "delivered")
    )
    assert (paid["previous_status"], paid["paid"]) == ("confirmed", True)
    assert (shipped["tracking_number"], shipped["status"]) == ("TRK-1", "shipped")
    assert delivered["previous_status"] == "shipped"


def test_every_order_event_matches_the_asyncapi_document(order_id, staff):
    for status in ("paid", "shipped", "delivered"):
        staff.post(f"/api/v1/orders/{order_id}/status/", {"status": status}, format="json")
    cancelled = staff.post("/api/v1/orders/", order_body((2, 1)), format="json").json()["id"]
    staff.post(f"/api/v1/orders/{cancelled}/cancel/")

    rows = OutboxEvent.objects.all()
    assert sorted({row.type for row in rows}) == [
        f"order.{s}" for s in ("cancelled", "confirmed", "delivered", "paid", "shipped")
    ]
    for row in rows:
        validate_envelope(row.event(source="order_svc").envelope())


def test_a_cancelled_order_says_whether_it_was_paid(place, customer, staff):
    unpaid, paid = place((2, 1)).json()["id"], place((2, 1)).json()["id"]
    staff.post(f"/api/v1/orders/{paid}/status/", {"status": "paid"}, format="json")

    for order in (unpaid, paid):
        customer.post(f"/api/v1/orders/{order}/cancel/")
    customer.post(f"/api/v1/orders/{paid}/cancel/")  # again: nothing more is published

    cancelled = {payload["order_id"]: payload["paid"] for payload in published("order.cancelled")}
    assert cancelled == {unpaid: False, paid: True}


def test_a_move_that_rolls_back_publishes_nothing(order_id):
    def cancel_then_fail() -> None:
        with transaction.atomic():
            services.cancel_order(order_id=order_id, actor=Actor.OWNER, actor_id=7)
            raise RuntimeError("the transaction fails after the move")

    with pytest.raises(RuntimeError):
        cancel_then_fail()

    assert Order.objects.get(pk=order_id).status == OrderStatus.CONFIRMED
    assert published("order.cancelled") == []


def test_a_succeeded_payment_pays_the_order_once(order_id):
    event = payment_event(order_id, "payment.succeeded")

    assert apply_event(event) == Outcome.APPLIED
    assert apply_event(event) == Outcome.DUPLICATE
    apply_event(payment_event(order_id, "payment.succeeded"))  # another delivery, new id

    order = Order.objects.get(pk=order_id)
    assert order.status == OrderStatus.PAID
    paid = order.history.filter(status=OrderStatus.PAID)
    assert [(entry.note, entry.actor_id) for entry in paid] == [("payment pay-1", None)]
    assert len(published("order.paid")) == 1
    assert Payment.objects.get(pk="pay-1").status == "succeeded"


def test_a_payment_for_a_cancelled_order_leaves_it_cancelled(order_id, customer):
    customer.post(f"/api/v1/orders/{order_id}/cancel/")

    apply_event(payment_event(order_id, "payment.succeeded"))

    assert Order.objects.get(pk=order_id).status == OrderStatus.CANCELLED
    assert published("order.paid") == []
    assert Payment.objects.get(pk="pay-1").order_id == uuid.UUID(order_id)


def test_a_failed_payment_leaves_the_order_confirmed_with_a_note(order_id):
    apply_event(payment_event(order_id, "payment.failed", failure_reason="card_declined"))

    assert Order.objects.get(pk=order_id).status == OrderStatus.CONFIRMED
    assert history(order_id)[-1] == ("confirmed", "payment pay-1 failed: card_declined")
    assert Payment.objects.get(pk="pay-1").failure_reason == "card_declined"
    assert OutboxEvent.objects.exclude(type="order.confirmed").count() == 0


def test_a_refund_is_noted_and_shown_with_the_payment(order_id, customer):
    apply_event(payment_event(order_id, "payment.succeeded"))
    customer.post(f"/api/v1/orders/{order_id}/cancel/")

    apply_event(payment_event(order_id, "payment.refunded"))

    assert history(order_id)[-1] == ("cancelled", "payment pay-1 refunded: 39.98 EUR")
    payment = Payment.objects.get(pk="pay-1")
    assert payment.status == "refunded"
    assert payment.refunded_at is not None
    assert published("order.cancelled")[0]["paid"] is True


def test_unpaid_orders_are_expired_every_few_seconds():
    [job] = [job for job in periodic_jobs() if job.run is cancel_unpaid_orders]

    assert job.every <= 10
