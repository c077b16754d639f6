"""Payments left pending are settled by asking the provider: a charge whose answer was
lost (`tok_timeout`), a webhook that never came, a charge that never reached it."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from payments.models import Payment
from payments.providers.simulated import deliver_due_webhooks
from payments.services import reconcile_pending_payments
from shop_common.events.models import OutboxEvent

pytestmark = pytest.mark.django_db

NOW = timedelta(0)


def history(payment_id: str) -> list[tuple[str, str]]:
    return list(Payment.objects.get(pk=payment_id).history.values_list("status", "note"))


def test_a_charge_whose_answer_was_lost_answers_pending_and_is_reconciled_as_taken(paid):
    payment = paid("tok_timeout")
    assert payment["status"] == "pending"
    assert not OutboxEvent.objects.exists()

    assert reconcile_pending_payments(older_than=NOW) == 1

    stored = Payment.objects.get(pk=payment["id"])
    assert stored.status == "succeeded"
    assert stored.provider_reference.startswith("pi_")
    assert [status for status, _ in history(payment["id"])] == ["pending", "pending", "succeeded"]
    assert history(payment["id"])[-1][1] == "reconciled with the provider"
    (event,) = OutboxEvent.objects.all()
    assert (event.type, event.payload["order_id"]) == ("payment.succeeded", payment["order_id"])


def test_a_second_round_changes_nothing(paid):
    paid("tok_timeout")
    assert reconcile_pending_payments(older_than=NOW) == 1

    assert reconcile_pending_payments(older_than=NOW) == 0
    assert OutboxEvent.objects.count() == 1


def test_a_payment_the_provider_never_heard_of_fails_and_the_order_can_be_paid(pay, order_svc):
    order_id = order_svc.add()
    # A crash between writing the payment and asking the provider: nothing was charged.
    stranded = Payment.objects.create(
        order_id=order_id, user_id=7, amount="19.99", currency="EUR", provider="simulated"
    )

    assert reconcile_pending_payments(older_than=NOW) == 1

    stranded.refresh_from_db()
    assert (stranded.status, stranded.failure_reason) == ("failed", "not_charged")
    assert OutboxEvent.objects.get().type == "payment.failed"
    assert pay(order_id, "tok_visa").json()["status"] == "succeeded"


def test_an_async_payment_whose_webhook_never_came_succeeds_and_the_late_webhook_is_ignored(
    paid, settings, live_server
):
    settings.SIMULATED_WEBHOOK_DELAY_SECONDS = 0
    settings.SIMULATED_WEBHOOK_URL = f"{live_server.url}/api/v1/payments/webhooks/simulated/"
    payment = paid("tok_async")

    assert reconcile_pending_payments(older_than=NOW) == 1
    assert deliver_due_webhooks() == 1  # delivered, and found the payment settled

    assert Payment.objects.get(pk=payment["id"]).status == "succeeded"
    assert OutboxEvent.objects.filter(type="payment.succeeded").count() == 1


def test_young_payments_and_charges_still_processing_are_left_pending(paid, settings):
    young = paid("tok_timeout")
    settings.SIMULATED_WEBHOOK_DELAY_SECONDS = 600
    processing = paid("tok_async")

    assert reconcile_pending_payments(older_than=timedelta(minutes=5)) == 0
    assert reconcile_pending_payments(older_than=NOW) == 1

    assert Payment.objects.get(pk=young["id"]).status == "succeeded"
    assert Payment.objects.get(pk=processing["id"]).status == "pending"


def test_the_command_runs_one_round(paid, capsys):
    payment = paid("tok_timeout")

    call_command("reconcile_payments", "--older-than", "0")

    assert capsys.readouterr().out.strip() == "settled: 1"
    assert Payment.objects.get(pk=payment["id"]).status == "succeeded"
