"""Payments under real concurrency: real threads, real transactions, PostgreSQL.

SQLite takes one writer at a time, so these races can't happen there; they are skipped.
"""

from collections import Counter

import pytest

from payments.models import Payment, PaymentAttempt, ProviderEvent
from payments.tests.conftest import CUSTOMER, event, pay_body, post_webhook
from shop_testing.concurrency import POSTGRESQL_ONLY, race
from shop_testing.tokens import client_for

pytestmark = [pytest.mark.django_db(transaction=True), POSTGRESQL_ONLY]

URL = "/api/v1/payments/"


def test_two_payments_for_one_order_at_once_give_one_201_and_one_409(order_svc):
    order_id = order_svc.add()

    def pay():
        return client_for(CUSTOMER).post(URL, pay_body(order_id), format="json").status_code

    statuses = race([pay, pay])

    assert sorted(statuses) == [201, 409]
    assert Payment.objects.filter(order_id=order_id).count() == 1


def test_many_payments_for_one_order_at_once_charge_it_once(order_svc):
    order_id = order_svc.add()

    def pay():
        return client_for(CUSTOMER).post(URL, pay_body(order_id), format="json").status_code

    statuses = Counter(race([pay] * 8))

    assert statuses == {201: 1, 409: 7}
    assert Payment.objects.get(order_id=order_id).status == "succeeded"


def test_the_same_webhook_delivered_at_once_is_applied_once(client, paid):
    payment = Payment.objects.get(pk=paid("tok_async")["id"])
    delivered = event(payment.provider_reference)

    def deliver():
        return post_webhook(client_for(CUSTOMER), delivered).status_code

    statuses = Counter(race([deliver] * 6))

    assert statuses == {200: 1, 400: 5}
    assert ProviderEvent.objects.count() == 1
    assert PaymentAttempt.objects.filter(payment=payment, status="succeeded").count() == 1
    payment.refresh_from_db()
    assert payment.status == "succeeded"
