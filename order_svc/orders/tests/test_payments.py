"""The copy of each order's payments that payment_svc's events keep for the order admin."""

import uuid

import pytest
from django.db import transaction

from orders.models import Payment, PaymentStatus
from orders.states import OrderStatus
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def payment_payload(order, status: str, **changes) -> dict:
    return {
        "payment_id": "pay-1",
        "order_id": str(order.id),
        "user_id": order.user_id,
        "amount": "19.99",
        "currency": "EUR",
        "status": status,
        "failure_reason": None,
        "provider": "simulated",
        **changes,
    }


def record(payload: dict) -> Payment:
    with transaction.atomic():
        return Payment.objects.record(payload)


@pytest.fixture
def order():
    return OrderFactory(status=OrderStatus.CONFIRMED, currency="EUR")


def test_a_payment_is_recorded_with_its_order_amount_and_provider(order):
    payment = record(payment_payload(order, "succeeded"))

    assert (payment.order, payment.status, str(payment.amount)) == (order, "succeeded", "19.99")
    assert (payment.provider, payment.failure_reason) == ("simulated", "")
    assert payment.refunded_at is None


def test_a_failed_payment_keeps_its_reason(order):
    record(payment_payload(order, "pending"))

    payment = record(payment_payload(order, "failed", failure_reason="card_declined"))

    assert (payment.status, payment.failure_reason) == ("failed", "card_declined")
    assert Payment.objects.count() == 1


def test_a_refund_is_dated_and_a_late_success_does_not_undo_it(order):
    record(payment_payload(order, "succeeded"))
    refunded = record(payment_payload(order, "refunded"))

    late = record(payment_payload(order, "succeeded"))

    assert late.status == PaymentStatus.REFUNDED
    assert late.refunded_at == refunded.refunded_at is not None


def test_each_payment_of_an_order_is_kept(order):
    record(payment_payload(order, "failed", failure_reason="insufficient_funds"))
    record(payment_payload(order, "succeeded", payment_id=str(uuid.uuid4())))

    assert sorted(order.payments.values_list("status", flat=True)) == ["failed", "succeeded"]
