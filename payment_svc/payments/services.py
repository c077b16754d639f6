"""What changes payments: paying for an order, settling the provider's answer (at once or
by webhook), refunding, and remembering cancelled orders.

A charge talks to the provider, so paying is never one database transaction: the
payment is written as `pending` first (the partial unique constraint lets only one
pending or succeeded payment per order in), then charged with an idempotency key derived
from its id, then settled. A charge whose answer was lost stays pending until
`reconcile_pending_payments` asks the provider what became of it. Every status change
goes through `_move`, under the payment's row lock, with an entry in its history.
"""

import logging
import uuid
from collections.abc import Mapping
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from payments import metrics, orders, providers
from payments.exceptions import (
    InvalidPaymentMethod,
    InvalidWebhook,
    OrderNotAwaitingPayment,
    OrderNotFound,
    PaymentInProgress,
    ProviderUnavailable,
    UnknownProvider,
)
from payments.models import (
    CancelledOrder,
    Payment,
    PaymentAttempt,
    ProviderEvent,
    Refund,
)
from payments.providers import Charge, WebhookEvent
from payments.states import EVENT_TYPES, PaymentStatus, check_move
from shop_common.events import publish

logger = logging.getLogger(__name__)

# What a failure is called when the provider gives no code of its own.
UNSPECIFIED_FAILURE = "payment_failed"
# A stale pending payment the provider never heard of: nothing was charged.
NOT_CHARGED = "not_charged"
CANCELLED_NOTE = "order cancelled"
NO_ANSWER = "the provider did not answer; to be reconciled"
RECONCILED = "reconciled with the provider"
# Stale pending payments looked up per round: each is one call to the provider.
RECONCILE_BATCH = 100
APPLIED = "applied"


def pay_order(
    *,
    user_id: int,
    order_id: uuid.UUID,
    token: str,
) -> Payment:
    """Charge the order's total, as order_svc states it, to the card `token` stands for.

    Raises `OrderNotFound` (not the caller's), `OrderNotAwaitingPayment`,
    `PaymentInProgress` (another payment is pending or succeeded), `InvalidPaymentMethod`
    (nothing charged, no payment kept) or `OrdersUnavailable`. A provider that does not
    answer leaves the payment pending, for `reconcile_pending_payments`.
    """
    order = orders.find_order(order_id)
    if order is None or order.user_id != user_id:
        raise OrderNotFound()
    if CancelledOrder.objects.filter(order_id=order.id).exists():
        raise OrderNotAwaitingPayment("cancelled")
    if order.status != orders.AWAITING_PAYMENT:
        raise OrderNotAwaitingPayment(order.status)
    provider = providers.configured()
    payment = _create_pending(order, provider.name)
    try:
        charge = provider.charge(
            amount=payment.amount,
            currency=payment.currency,
            token=token,
            idempotency_key=charge_key(payment.id),
            metadata={"payment_id": str(payment.id), "order_id": str(order.id)},
        )
    except InvalidPaymentMethod:
        # Nothing was charged: the attempt leaves no payment behind to block the next one.
        Payment.objects.filter(pk=payment.pk).delete()
        raise
    except ProviderUnavailable:
        # The charge may or may not have been taken: only the provider knows, later.
        PaymentAttempt.objects.create(payment=payment, status=PaymentStatus.PENDING, note=NO_ANSWER)
        logger.warning("the provider did not answer a charge", extra={"payment": str(payment.id)})
        return payment
    return settle_charge(payment.id, charge)


def charge_key(payment_id: uuid.UUID) -> str:
    """The idempotency key of a payment's charge: one charge per payment, however asked."""
    return f"charge-{payment_id}"


def _create_pending(order: orders.Order, provider: str) -> Payment:
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                order_id=order.id,
                user_id=order.user_id,
                amount=order.total,
                currency=order.currency,
                provider=provider,
            )
            PaymentAttempt.objects.create(
                payment=payment, status=PaymentStatus.PENDING, note="charge requested"
            )
    except IntegrityError:
        raise PaymentInProgress() from None
    return payment


def settle_charge(
    payment_id: uuid.UUID, charge: Charge, *, note: str = "charge answered"
) -> Payment:
    """Record the provider's answer to the charge; a pending one waits for its webhook."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        payment.provider_reference = charge.reference or payment.provider_reference
        if charge.status == PaymentStatus.PENDING or payment.status != PaymentStatus.PENDING:
            # Pending, or a webhook was quicker than this answer: only the reference is new.
            payment.save(update_fields=["provider_reference", "updated_at"])
        else:
            failure = charge.failure_reason or UNSPECIFIED_FAILURE
            _move(payment, charge.status, failure_reason=failure, note=note)
    return refund_if_cancelled(payment)


def reconcile_pending_payments(*, older_than: timedelta) -> int:
    """Settle payments pending for longer than `older_than` (a charge whose answer was
    lost, a webhook that never came) by what the provider says of them now; one the
    provider never heard of fails as `not_charged`, so the customer can pay again. A
    periodic job; how many were settled."""
    provider = providers.configured()
    stale = Payment.objects.filter(
        status=PaymentStatus.PENDING,
        provider=provider.name,
        created_at__lt=timezone.now() - older_than,
    ).order_by("created_at")
    settled = 0
    for payment in stale[:RECONCILE_BATCH]:
        try:
            charge = provider.retrieve_charge(
                reference=payment.provider_reference, idempotency_key=charge_key(payment.id)
            )
        except ProviderUnavailable:
            logger.warning(
                "the provider did not answer; reconciling later",
                extra={"payment": str(payment.id)},
            )
            break
        if charge is None:
            charge = Charge(reference="", status=PaymentStatus.FAILED, failure_reason=NOT_CHARGED)
        if charge.status != PaymentStatus.PENDING:
            settle_charge(payment.id, charge, note=RECONCILED)
            settled += 1
    return settled


def _move(payment: Payment, status: str, *, failure_reason: str = "", note: str = "") -> None:
    """Save the new status and add it to the history. The caller holds the row lock."""
    check_move(payment.status, status)
    payment.status = status
    payment.failure_reason = failure_reason if status == PaymentStatus.FAILED else ""
    payment.save()
    PaymentAttempt.objects.create(
        payment=payment, status=status, failure_reason=payment.failure_reason, note=note
    )
    transaction.on_commit(metrics.PAYMENT_MOVES.labels(status).inc)
    if status in EVENT_TYPES:
        publish(EVENT_TYPES[status], subject=payment.id, payload=event_payload(payment))
    logger.info(
        "payment moved",
        extra={"payment": str(payment.id), "order": str(payment.order_id), "status": status},
    )


def event_payload(payment: Payment) -> dict[str, object]:
    """What `payment.*` events say (docs/asyncapi.yaml)."""
    return {
        "payment_id": payment.id,
        "order_id": payment.order_id,
        "user_id": payment.user_id,
        "amount": payment.amount,
        "currency": payment.currency,
        "status": payment.status,
        "failure_reason": payment.failure_reason or None,
        "provider": payment.provider,
    }


def refund_if_cancelled(payment: Payment) -> Payment:
    """A payment that succeeded for an order cancelled meanwhile is refunded at once."""
    if (
        payment.status == PaymentStatus.SUCCEEDED
        and CancelledOrder.objects.filter(order_id=payment.order_id).exists()
    ):
        return refund_payment(payment_id=payment.id, reason=CANCELLED_NOTE)
    return payment


def refund_payment(*, payment_id: uuid.UUID, reason: str) -> Payment:
    """Refund a succeeded payment in full; a refunded one stays as it is. The provider is
    asked with a key derived from the payment, so asking twice refunds once."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status == PaymentStatus.REFUNDED:
        return payment
    check_move(payment.status, PaymentStatus.REFUNDED)
    reference = providers.configured().refund(
        reference=payment.provider_reference,
        amount=payment.amount,
        currency=payment.currency,
        idempotency_key=f"refund-{payment.id}",
    )
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status != PaymentStatus.REFUNDED:
            Refund.objects.create(
                payment=payment,
                amount=payment.amount,
                currency=payment.currency,
                reason=reason,
                provider_reference=reference,
            )
            _move(payment, PaymentStatus.REFUNDED, note=reason)
    return payment


def refund_cancelled_orders() -> int:
    """Refund succeeded payments of cancelled orders that a crash left unrefunded (a
    periodic job); how many were refunded."""
    stranded = Payment.objects.filter(
        status=PaymentStatus.SUCCEEDED,
        order_id__in=CancelledOrder.objects.values("order_id"),
    )
    return len([refund_payment(payment_id=p.id, reason=CANCELLED_NOTE) for p in stranded])


@transaction.atomic
def cancel_order(order_id: uuid.UUID) -> list[Payment]:
    """Remember the order as cancelled and refund what was paid for it."""
    CancelledOrder.objects.get_or_create(order_id=order_id)
    paid = Payment.objects.filter(order_id=order_id, status=PaymentStatus.SUCCEEDED)
    return [refund_payment(payment_id=payment.id, reason=CANCELLED_NOTE) for payment in paid]


def receive_webhook(
    *, provider_name: str, body: bytes, headers: Mapping[str, str]
) -> ProviderEvent:
    """Verify a webhook and apply its event once: a replayed event id is `InvalidWebhook`,
    and two concurrent deliveries of one event meet at its unique row."""
    provider = providers.provider_named(provider_name)
    if provider is None:
        raise UnknownProvider()
    try:
        event = provider.verify_webhook(body=body, headers=headers)
        with transaction.atomic():
            received = _receive_once(provider.name, event)
            payment, received.outcome = _apply(provider.name, event)
            received.save(update_fields=["outcome"])
    except InvalidWebhook:
        metrics.WEBHOOKS.labels("refused").inc()
        raise
    metrics.WEBHOOKS.labels("applied" if received.outcome == APPLIED else "ignored").inc()
    if payment is not None:
        refund_if_cancelled(payment)
    return received


def _receive_once(provider: str, event: WebhookEvent) -> ProviderEvent:
    try:
        with transaction.atomic():
            return ProviderEvent.objects.create(
                provider=provider, event_id=event.id, type=event.type, payload=event.payload
            )
    except IntegrityError:
        raise InvalidWebhook("This event was already received.", extra={"replayed": True}) from None


def _apply(provider: str, event: WebhookEvent) -> tuple[Payment | None, str]:
    """Apply an event's outcome to its payment; the payment and what was done."""
    if event.status is None:
        return None, f"ignored: {event.type} says nothing of a charge's outcome"
    payments = Payment.objects.select_for_update().filter(provider=provider)
    payment = payments.filter(provider_reference=event.reference).first()
    if payment is None and event.payment_id is not None:
        payment = payments.filter(pk=event.payment_id).first()
    if payment is None:
        return None, "ignored: no such payment"
    if payment.status != PaymentStatus.PENDING:
        return payment, f"ignored: the payment is already {payment.status}"
    payment.provider_reference = event.reference
    failure = event.failure_reason or UNSPECIFIED_FAILURE
    _move(payment, event.status, failure_reason=failure, note=f"webhook {event.id}")
    return payment, APPLIED
