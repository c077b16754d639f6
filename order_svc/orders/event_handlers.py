"""What order_svc does with payment_svc's events, and its periodic job (found by
`shop_common.events`' autodiscovery).

Each handler runs in the transaction that records the event in the inbox, so it is
applied once per event id. Every `payment.*` event updates the order's copy of its
payments (`Payment`, shown in the order admin).
"""

from orders import expiry, services
from orders.models import Payment, PaymentStatus
from shop_common.events import Event, handler, periodic


@handler("payment.succeeded")
def on_payment_succeeded(event: Event) -> None:
    """The order is paid (unless it was paid or cancelled meanwhile: `pay_order`)."""
    payment = Payment.objects.record(event.payload)
    # A success that arrives after its own refund is old news.
    if payment.status == PaymentStatus.SUCCEEDED:
        services.pay_order(order_id=payment.order_id, payment_id=payment.pk)


@handler("payment.failed")
def on_payment_failed(event: Event) -> None:
    """The order stays confirmed, for the customer to pay again; its history says why."""
    payment = Payment.objects.record(event.payload)
    reason = payment.failure_reason or "no reason given"
    services.add_note(order_id=payment.order_id, note=f"payment {payment.pk} failed: {reason}")


@handler("payment.refunded")
def on_payment_refunded(event: Event) -> None:
    payment = Payment.objects.record(event.payload)
    services.add_note(
        order_id=payment.order_id,
        note=f"payment {payment.pk} refunded: {payment.amount} {payment.currency}",
    )


# Often enough that an unpaid order is cancelled well within the contract's "timeout plus
# 30 seconds"; each round is one indexed query when nothing is due.
@periodic(every=5)
def cancel_unpaid_orders() -> None:
    expiry.expire_unpaid_orders()
