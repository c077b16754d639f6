"""What payment_svc does with other services' events, and its periodic jobs (run by
`manage.py consume_events`, `shop_common.events`)."""

import uuid
from datetime import timedelta

from django.conf import settings

from payments import idempotency, services
from payments.providers.simulated import deliver_due_webhooks
from shop_common.events import Event, handler, periodic


@handler("order.cancelled")
def on_order_cancelled(event: Event) -> None:
    """Refund what was paid for the order, and refund at once any payment that succeeds
    for it later (a `tok_async` payment overtaken by the cancel)."""
    services.cancel_order(uuid.UUID(str(event.payload["order_id"])))


@periodic(every=1.0)
def deliver_simulated_webhooks() -> None:
    """The simulated provider's webhooks that are due (`tok_async` outcomes)."""
    deliver_due_webhooks()


@periodic(every=60.0)
def refund_payments_of_cancelled_orders() -> None:
    """What a crash between a payment's success and its refund left: refunded now."""
    services.refund_cancelled_orders()


@periodic(every=30.0)
def reconcile_pending_payments() -> None:
    """Payments pending past PAYMENT_RECONCILE_AFTER_SECONDS: settled by what the
    provider says of them now."""
    age = timedelta(seconds=settings.PAYMENT_RECONCILE_AFTER_SECONDS)
    services.reconcile_pending_payments(older_than=age)


@periodic(every=3600.0)
def purge_expired_idempotency_keys() -> None:
    idempotency.keys.purge_expired()
