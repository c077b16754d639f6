"""payment.* events, written in the transaction of the change they report, and the
order.cancelled events payment_svc consumes."""

import pytest

from payments import event_handlers
from payments.models import CancelledOrder, Payment, Refund
from payments.tests.conftest import event, post_webhook
from shop_common.events import Event
from shop_common.events.inbox import apply_event
from shop_common.events.models import OutboxEvent

pytestmark = pytest.mark.django_db


def published(event_type: str) -> list[dict]:
    return [row.payload for row in OutboxEvent.objects.filter(type=event_type)]


def cancelled(order_id: str) -> Event:
    return Event(
        type="order.cancelled",
        subject=order_id,
        payload={"order_id": order_id, "status": "cancelled", "paid": True},
    )


def test_a_successful_payment_publishes_payment_succeeded_with_its_order(paid):
    payment = paid("tok_visa", total="42.10")

    [payload] = published("payment.succeeded")

    assert payload == {
        "payment_id": payment["id"],
        "order_id": payment["order_id"],
        "user_id": 7,
        "amount": "42.10",
        "currency": "EUR",
        "status": "succeeded",
        "failure_reason": None,
        "provider": "simulated",
    }
    assert OutboxEvent.objects.get().subject == payment["id"]


def test_a_declined_card_publishes_payment_failed_with_the_reason(paid):
    paid("tok_chargeDeclinedInsufficientFunds")

    [payload] = published("payment.failed")

    assert payload["failure_reason"] == "insufficient_funds"
    assert not published("payment.succeeded")


def test_a_pending_payment_publishes_nothing_until_its_webhook(client, paid):
    payment = Payment.objects.get(pk=paid("tok_async")["id"])
    assert not OutboxEvent.objects.exists()

    post_webhook(client, event(payment.provider_reference))

    assert [p["payment_id"] for p in published("payment.succeeded")] == [str(payment.id)]


def test_order_cancelled_refunds_the_paid_payment_and_publishes_payment_refunded(paid):
    payment = paid("tok_visa")
    cancel = cancelled(payment["order_id"])

    assert apply_event(cancel) == "applied"
    assert apply_event(cancel) == "duplicate"

    assert Payment.objects.get(pk=payment["id"]).status == "refunded"
    assert Refund.objects.count() == 1
    [payload] = published("payment.refunded")
    assert (payload["payment_id"], payload["status"]) == (payment["id"], "refunded")


def test_a_payment_that_succeeds_after_the_cancel_is_refunded_and_both_are_published(client, paid):
    payment = Payment.objects.get(pk=paid("tok_async")["id"])
    apply_event(cancelled(str(payment.order_id)))

    post_webhook(client, event(payment.provider_reference))

    assert Payment.objects.get(pk=payment.pk).status == "refunded"
    assert len(published("payment.succeeded")) == len(published("payment.refunded")) == 1


def test_the_periodic_sweep_refunds_what_a_crash_left(paid):
    payment = Payment.objects.get(pk=paid("tok_visa")["id"])
    CancelledOrder.objects.create(order_id=payment.order_id)  # the refund never ran

    event_handlers.refund_payments_of_cancelled_orders()

    assert Payment.objects.get(pk=payment.pk).status == "refunded"


def test_an_order_cancelled_without_payments_is_remembered(pay, order_svc):
    order_id = order_svc.add()

    apply_event(cancelled(str(order_id)))

    assert pay(order_id).status_code == 409
