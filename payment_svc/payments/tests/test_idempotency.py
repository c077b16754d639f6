"""`Idempotency-Key` on paying: the same key and body answer the same payment."""

import pytest

from payments.models import Payment
from payments.tests.conftest import pay_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/"


def test_a_repeat_with_the_same_key_and_body_answers_the_same_payment(customer, order_svc):
    body = pay_body(order_svc.add())

    first = customer.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    again = customer.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")

    assert (first.status_code, again.status_code) == (201, 201)
    # The very bytes, not only the same JSON: a client may compare, cache or sign them.
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert Payment.objects.count() == 1


def test_another_body_under_the_key_is_a_422(customer, order_svc):
    customer.post(URL, pay_body(order_svc.add()), format="json", HTTP_IDEMPOTENCY_KEY="pay-2")

    other = customer.post(
        URL, pay_body(order_svc.add()), format="json", HTTP_IDEMPOTENCY_KEY="pay-2"
    )

    assert other.status_code == 422
    assert Payment.objects.count() == 1


def test_a_refusal_is_the_keys_answer_too(customer, order_svc):
    body = pay_body(order_svc.add(), token="tok_nope")

    first = customer.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-3")
    again = customer.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-3")

    assert (first.status_code, again.status_code) == (400, 400)
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"


def test_keys_are_per_user(customer, other_customer, order_svc):
    customer.post(URL, pay_body(order_svc.add()), format="json", HTTP_IDEMPOTENCY_KEY="pay-4")

    response = other_customer.post(
        URL, pay_body(order_svc.add(user_id=8)), format="json", HTTP_IDEMPOTENCY_KEY="pay-4"
    )

    assert response.status_code == 201
    assert Payment.objects.count() == 2


def test_a_malformed_key_is_a_400(customer, order_svc):
    response = customer.post(
        URL, pay_body(order_svc.add()), format="json", HTTP_IDEMPOTENCY_KEY=" padded "
    )

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
