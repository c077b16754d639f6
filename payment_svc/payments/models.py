"""Payments, their history and refunds, the provider's webhook events, and what the
simulated provider still has to deliver.

The rules the database can hold are constraints here: at most one pending or succeeded
payment per order (so of two concurrent payments for an order one is refused), one
refund per payment (refunds are in full), each provider event received once.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from payments.states import ACTIVE, PaymentStatus
from shop_common import idempotency


class PaymentQuerySet(models.QuerySet["Payment"]):
    def visible_to(self, *, user_id: int, is_staff: bool) -> "PaymentQuerySet":
        """Staff see every payment; a customer sees their own."""
        return self if is_staff else self.filter(user_id=user_id)


class Payment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order_id = models.UUIDField(db_index=True)
    user_id = models.BigIntegerField(db_index=True)
    # The order's total when the payment was made, from order_svc; never the client's.
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    # The provider's code for a failure, e.g. `card_declined`; empty unless failed.
    failure_reason = models.CharField(max_length=64, blank=True)
    provider = models.CharField(max_length=32)
    # The provider's id of the charge (a Stripe PaymentIntent's `pi_...`); empty until known.
    provider_reference = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        permissions = (("refund_payment", "Can refund a payment"),)
        constraints = (
            models.UniqueConstraint(
                fields=["order_id"],
                condition=Q(status__in=ACTIVE),
                name="payment_one_active_per_order",
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="payment_provider_reference_unique",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="payment_status_known"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(status=PaymentStatus.FAILED) | Q(failure_reason=""),
                name="payment_failure_reason_only_when_failed",
            ),
        )

    def __str__(self) -> str:
        return f"payment {self.id} ({self.status})"

    @property
    def location(self) -> str:
        return reverse("payment-detail", kwargs={"pk": self.id})


class PaymentAttempt(models.Model):
    """One entry of a payment's history (charged, succeeded, failed, refunded): never
    changed once written."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=16, choices=PaymentStatus.choices)
    failure_reason = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.status} at {self.at:%Y-%m-%d %H:%M:%S}"


class Refund(models.Model):
    """A refund, always of the whole payment: one per payment."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="refund")
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=500, blank=True)
    provider_reference = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"refund of {self.amount} {self.currency} ({self.payment_id})"


class ProviderEvent(models.Model):
    """A webhook event received from a provider, kept once per its own id: a replay of it
    is refused, so the event is applied once however often it is delivered."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    # What receiving it did: "applied", or why it changed nothing.
    outcome = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-received_at",)
        constraints = (
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="provider_event_received_once"
            ),
        )

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


class CancelledOrder(models.Model):
    """An order order_svc cancelled (`order.cancelled`): its payment is refunded, and so
    is any payment for it that succeeds later."""

    order_id = models.UUIDField(primary_key=True)
    cancelled_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"order {self.order_id} (cancelled)"


class ScheduledWebhook(models.Model):
    """A webhook the simulated provider still owes (a `tok_async` payment's outcome),
    delivered by a periodic job once due. Kept in the database so that a restart loses
    none; `due_at` also leases a delivery in progress to one process."""

    event_id = models.CharField(max_length=64, unique=True)
    body = models.TextField()
    due_at = models.DateTimeField(db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ("due_at",)

    def __str__(self) -> str:
        return f"webhook {self.event_id}"


class SimulatedCharge(models.Model):
    """A charge as the simulated provider records it on its side: what it answers when
    asked afterwards (`retrieve_charge`), also for a charge whose answer was lost. A
    `tok_async` charge is pending until `settles_at`, when its webhook is due."""

    reference = models.CharField(max_length=64, primary_key=True)
    status = models.CharField(max_length=16)
    failure_reason = models.CharField(max_length=64, blank=True)
    settles_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"simulated charge {self.reference} ({self.status})"


class IdempotencyRecord(idempotency.IdempotencyRecord):
    """A key of making a payment (`shop_common.idempotency`)."""

    class Meta:
        constraints = idempotency.IdempotencyRecord.constraints("payment_idempotency")
