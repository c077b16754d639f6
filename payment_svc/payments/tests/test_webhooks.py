"""`POST /api/v1/payments/webhooks/<provider>/`: signed events, applied once."""

import json
import time

import pytest
from django.conf import settings

from payments.models import Payment, PaymentAttempt, ProviderEvent, ScheduledWebhook
from payments.providers import signing
from payments.providers.simulated import deliver_due_webhooks
from payments.tests.conftest import WEBHOOK_URL, event, post_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(paid):
    """A `tok_async` payment, still pending: its stored row."""
    return Payment.objects.get(pk=paid("tok_async")["id"])


def test_a_signed_success_event_moves_a_pending_payment_to_succeeded(client, pending):
    response = post_webhook(client, event(pending.provider_reference))

    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "applied"
    pending.refresh_from_db()
    assert pending.status == "succeeded"


def test_a_failure_event_fails_it_with_the_providers_code(client, pending):
    failure = event(
        pending.provider_reference,
        event_type="payment_intent.payment_failed",
        last_payment_error={"code": "card_declined"},
    )

    assert post_webhook(client, failure).status_code == 200
    pending.refresh_from_db()
    assert (pending.status, pending.failure_reason) == ("failed", "card_declined")


def test_a_replayed_event_id_is_a_400_and_changes_nothing(client, pending):
    delivered = event(pending.provider_reference)
    assert post_webhook(client, delivered).status_code == 200

    again = post_webhook(client, delivered)

    assert again.status_code == 400
    assert again.json()["replayed"] is True
    assert ProviderEvent.objects.count() == 1
    assert PaymentAttempt.objects.filter(payment=pending, status="succeeded").count() == 1


@pytest.mark.parametrize(
    "signed",
    [
        pytest.param({"signature": ""}, id="missing"),
        pytest.param({"secret": "not-the-secret"}, id="wrong-secret"),
        pytest.param({"timestamp": int(time.time()) - 400}, id="stale"),
        pytest.param({"timestamp": int(time.time()) + 400}, id="future"),
        pytest.param({"signature": "t=1,v1="}, id="malformed"),
        pytest.param({"signature": "v1=abc"}, id="no-timestamp"),
    ],
)
def test_a_bad_signature_is_a_400_and_changes_nothing(client, pending, signed):
    response = post_webhook(client, event(pending.provider_reference), **signed)

    assert response.status_code == 400
    assert response.json()["detail"]
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert not ProviderEvent.objects.exists()


def test_a_signature_over_other_bytes_is_refused(client, pending):
    """The raw body is what is signed: the same JSON spaced otherwise is another body."""
    body = event(pending.provider_reference)

    signature = signing.sign(settings.PAYMENT_WEBHOOK_SECRET, json.dumps(body).encode())
    spaced = json.dumps(body, indent=2).encode()

    response = post_webhook(client, spaced, signature=signature)

    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"id": "evt_1"}',
        b'{"id": 5, "type": "x", "data": {"object": {"id": "pi"}}}',
    ],
    ids=["not-json", "a-list", "no-type", "id-not-a-string"],
)
def test_a_signed_but_unreadable_event_is_a_400(client, body):
    response = post_webhook(client, body)

    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()


def test_an_event_of_an_unknown_payment_or_kind_is_received_and_ignored(client, pending):
    unknown = post_webhook(client, event("pi_unknown"))
    other_kind = post_webhook(
        client, event(pending.provider_reference, event_type="charge.updated")
    )

    assert (unknown.status_code, other_kind.status_code) == (200, 200)
    assert unknown.json()["outcome"].startswith("ignored")
    assert other_kind.json()["outcome"].startswith("ignored")
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_a_late_event_for_a_settled_payment_changes_nothing(client, paid):
    payment = Payment.objects.get(pk=paid("tok_visa")["id"])

    failure = event(payment.provider_reference, event_type="payment_intent.payment_failed")
    response = post_webhook(client, failure)

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == "succeeded"


def test_an_unknown_provider_is_a_404(client):
    response = client.post("/api/v1/payments/webhooks/stripe/", {}, content_type="application/json")

    assert response.status_code == 404
    assert response.json()["detail"]


def test_a_webhook_needs_no_token_and_ignores_a_bad_one(client, pending):
    body = event(pending.provider_reference)
    raw = json.dumps(body).encode()

    response = client.generic(
        "POST",
        WEBHOOK_URL,
        raw,
        content_type="application/json",
        headers={
            signing.HEADER: signing.sign(settings.PAYMENT_WEBHOOK_SECRET, raw),
            "Authorization": "Bearer not-a-token",
        },
    )

    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_tok_async_succeeds_by_a_webhook_delivered_to_the_real_url(
    pay, order_svc, live_server, settings
):
    settings.SIMULATED_WEBHOOK_URL = f"{live_server.url}{WEBHOOK_URL}"
    settings.SIMULATED_WEBHOOK_DELAY_SECONDS = 0
    payment_id = pay(order_svc.add(), "tok_async").json()["id"]
    assert ScheduledWebhook.objects.filter(delivered_at__isnull=True).count() == 1

    assert deliver_due_webhooks() == 1
    assert deliver_due_webhooks() == 0

    assert Payment.objects.get(pk=payment_id).status == "succeeded"
    [webhook] = ScheduledWebhook.objects.all()
    assert (webhook.attempts, webhook.delivered_at is not None) == (1, True)


def test_a_webhook_not_delivered_is_tried_again_later(pay, order_svc, settings):
    settings.SIMULATED_WEBHOOK_URL = "http://127.0.0.1:9/nowhere/"
    settings.SIMULATED_WEBHOOK_DELAY_SECONDS = 0
    pay(order_svc.add(), "tok_async")

    assert deliver_due_webhooks() == 0

    [webhook] = ScheduledWebhook.objects.all()
    assert webhook.delivered_at is None
    assert webhook.attempts == 1
    assert webhook.last_error
    assert deliver_due_webhooks() == 0  # not due again yet
    assert ScheduledWebhook.objects.get().attempts == 1
