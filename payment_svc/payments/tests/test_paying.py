"""`POST /api/v1/payments/`: paying for an order with the simulated provider's tokens."""

import uuid

import pytest

from payments.models import Payment, PaymentAttempt
from payments.tests.conftest import CUSTOMER, OTHER_CUSTOMER, pay_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/"


def test_tok_visa_succeeds_with_the_orders_total_and_currency(pay, order_svc):
    order_id = order_svc.add(total="42.10")

    response = pay(order_id, "tok_visa")

    assert response.status_code == 201, response.content
    payment = response.json()
    assert set(payment) >= {"id", "order_id", "status", "amount", "currency", "failure_reason"}
    assert payment["created_at"]
    assert (payment["order_id"], payment["status"]) == (str(order_id), "succeeded")
    assert (payment["amount"], payment["currency"], payment["failure_reason"]) == (
        "42.10",
        "EUR",
        None,
    )
    assert response["Location"] == f"/api/v1/payments/{payment['id']}/"
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.user_id, stored.provider) == (CUSTOMER, "simulated")
    assert stored.provider_reference.startswith("pi_")


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("tok_chargeDeclined", "card_declined"),
        ("tok_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ],
)
def test_declined_cards_fail_with_the_providers_reason(pay, order_svc, token, reason):
    response = pay(order_svc.add(), token)

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["failure_reason"]) == ("failed", reason)


def test_tok_async_answers_pending(pay, order_svc):
    response = pay(order_svc.add(), "tok_async")

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["failure_reason"]) == ("pending", None)


def test_a_failed_payment_lets_the_customer_pay_again(pay, order_svc):
    order_id = order_svc.add()
    assert pay(order_id, "tok_chargeDeclined").json()["status"] == "failed"

    again = pay(order_id, "tok_visa")

    assert again.status_code == 201
    assert again.json()["status"] == "succeeded"
    assert Payment.objects.filter(order_id=order_id).count() == 2


@pytest.mark.parametrize("token", ["tok_visa", "tok_async"])
def test_a_second_payment_while_one_is_pending_or_succeeded_is_a_409(pay, order_svc, token):
    order_id = order_svc.add()
    assert pay(order_id, token).status_code == 201

    again = pay(order_id, "tok_visa")

    assert again.status_code == 409
    assert again.json()["detail"]
    assert Payment.objects.filter(order_id=order_id).count() == 1


def test_the_amount_never_comes_from_the_client(customer, order_svc):
    order_id = order_svc.add(total="19.99")
    body = pay_body(order_id, amount="0.01", currency="USD")

    response = customer.post(URL, body, format="json")

    assert response.status_code == 201
    assert (response.json()["amount"], response.json()["currency"]) == ("19.99", "EUR")


def test_an_unknown_token_is_a_400_and_leaves_no_payment(pay, order_svc):
    order_id = order_svc.add()

    response = pay(order_id, "tok_unknown")

    assert response.status_code == 400
    assert "payment_method" in response.json()["errors"]
    assert not Payment.objects.exists()
    assert pay(order_id, "tok_visa").status_code == 201


@pytest.mark.parametrize("status", ["paid", "cancelled", "shipped", "delivered", "pending"])
def test_an_order_not_awaiting_payment_is_a_409(pay, order_svc, status):
    response = pay(order_svc.add(status=status))

    assert response.status_code == 409
    assert response.json()["order_status"] == status
    assert not Payment.objects.exists()


def test_an_unknown_order_is_a_404(pay, order_svc):
    response = pay(uuid.uuid4())

    assert response.status_code == 404
    assert response.json()["detail"]


def test_someone_elses_order_is_a_404_like_an_unknown_one(pay, order_svc):
    response = pay(order_svc.add(user_id=OTHER_CUSTOMER))

    assert response.status_code == 404
    assert not Payment.objects.exists()


def test_without_a_token_it_is_a_401(client, order_svc):
    response = client.post(URL, pay_body(order_svc.add()), content_type="application/json")

    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "order_id"),
        (
            {"order_id": "not-a-uuid", "payment_method": {"type": "card", "token": "tok_visa"}},
            "order_id",
        ),
        ({"order_id": 12, "payment_method": {"type": "card", "token": "tok_visa"}}, "order_id"),
        ({"order_id": str(uuid.uuid4())}, "payment_method"),
        ({"order_id": str(uuid.uuid4()), "payment_method": "tok_visa"}, "payment_method"),
        (
            {"order_id": str(uuid.uuid4()), "payment_method": {"type": "iban", "token": "x"}},
            "payment_method",
        ),
        (
            {"order_id": str(uuid.uuid4()), "payment_method": {"type": "card", "token": "x" * 300}},
            "payment_method",
        ),
    ],
    ids=[
        "empty",
        "bad-uuid",
        "number-id",
        "no-method",
        "method-string",
        "not-card",
        "token-long",
    ],
)
def test_bad_input_is_a_400_naming_the_field(customer, order_svc, body, field):
    response = customer.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not order_svc.server.received


def test_a_token_that_is_not_a_string_is_an_unknown_token(customer, order_svc):
    body = pay_body(order_svc.add(), token=5)

    response = customer.post(URL, body, format="json")

    assert response.status_code == 400
    assert "payment_method" in response.json()["errors"]


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'"tok_visa"', b"null"])
def test_malformed_or_non_object_json_is_a_400(customer, body):
    response = customer.generic("POST", URL, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"]


def test_an_unreachable_order_service_is_a_503_and_charges_nothing(pay, monkeypatch):
    monkeypatch.setenv("ORDER_SVC_URL", "http://127.0.0.1:9")

    response = pay(uuid.uuid4())

    assert response.status_code == 503
    assert response["Retry-After"]
    assert not Payment.objects.exists()


def test_every_move_is_kept_in_the_payments_history(paid):
    payment = paid("tok_chargeDeclined")

    history = PaymentAttempt.objects.filter(payment_id=payment["id"])

    assert [(a.status, a.failure_reason) for a in history] == [
        ("pending", ""),
        ("failed", "card_declined"),
    ]
