"""Refunds: of a cancelled order's payment, in full, once; and of a payment that
succeeds after its order was cancelled."""

import uuid

import pytest

from payments import services
from payments.exceptions import InvalidPaymentMove
from payments.models import CancelledOrder, Payment, Refund
from payments.tests.conftest import event, post_webhook

pytestmark = pytest.mark.django_db


def test_cancelling_an_order_refunds_its_payment_in_full_once(paid):
    payment = paid("tok_visa", total="25.50")
    order_id = uuid.UUID(payment["order_id"])

    services.cancel_order(order_id)
    services.cancel_order(order_id)

    stored = Payment.objects.get(pk=payment["id"])
    assert stored.status == "refunded"
    [refund] = Refund.objects.all()
    assert (refund.payment_id, str(refund.amount), refund.currency) == (stored.id, "25.50", "EUR")
    assert refund.provider_reference.startswith("re_")
    assert list(stored.history.values_list("status", flat=True)) == [
        "pending",
        "succeeded",
        "refunded",
    ]


def test_a_refunded_payment_reads_refunded(customer, paid):
    payment = paid("tok_visa")

    services.cancel_order(uuid.UUID(payment["order_id"]))

    assert customer.get(f"/api/v1/payments/{payment['id']}/").json()["status"] == "refunded"


def test_cancelling_an_order_without_a_successful_payment_refunds_nothing(paid):
    payment = paid("tok_chargeDeclined")

    services.cancel_order(uuid.UUID(payment["order_id"]))

    assert Payment.objects.get(pk=payment["id"]).status == "failed"
    assert not Refund.objects.exists()
    assert CancelledOrder.objects.filter(order_id=payment["order_id"]).exists()


def test_a_payment_that_succeeds_after_its_order_was_cancelled_is_refunded_at_once(client, paid):
    payment = Payment.objects.get(pk=paid("tok_async")["id"])
    services.cancel_order(payment.order_id)
    assert Payment.objects.get(pk=payment.pk).status == "pending"

    assert post_webhook(client, event(payment.provider_reference)).status_code == 200

    payment.refresh_from_db()
    assert payment.status == "refunded"
    assert Refund.objects.filter(payment=payment).count() == 1


def test_a_cancelled_order_takes_no_new_payment(pay, order_svc):
    order_id = order_svc.add()
    services.cancel_order(order_id)

    response = pay(order_id)

    assert response.status_code == 409
    assert response.json()["order_status"] == "cancelled"


def test_only_a_succeeded_payment_can_be_refunded(paid):
    payment = paid("tok_chargeDeclined")

    with pytest.raises(InvalidPaymentMove):
        services.refund_payment(payment_id=payment["id"], reason="test")
