"""Orders, their lines and history, and the records that make placing one idempotent.

Lines copy the product's name and unit price at the time of purchase, so a later price
change never rewrites an order. The rules the database can hold are constraints here.
"""

import functools
import math
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import connections, models
from django.db.models import Q
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from orders.states import PLACED, RELEASING, OrderStatus
from shop_common import idempotency

# An order that left `pending` without prices is impossible: these are the ones with none.
UNPRICED = [OrderStatus.PENDING, OrderStatus.REJECTED, OrderStatus.FAILED]


class OrderQuerySet(models.QuerySet["Order"]):
    def visible_to(self, *, user_id: int, is_staff: bool) -> "OrderQuerySet":
        """Staff see every order; a customer sees their own placed orders only."""
        if is_staff:
            return self
        return self.filter(user_id=user_id, status__in=PLACED)

    def unsettled(self, *, before: datetime) -> "OrderQuerySet":
        """Orders left for `reconcile_orders`: still pending, or with stock not given back."""
        stale_pending = Q(status=OrderStatus.PENDING)
        unreleased = Q(status__in=RELEASING, released_at__isnull=True)
        return self.filter(stale_pending | unreleased, updated_at__lt=before)

    def unpaid(self, *, placed_before: datetime) -> "OrderQuerySet":
        """Confirmed orders placed before `placed_before` and still waiting for a payment."""
        return self.filter(status=OrderStatus.CONFIRMED, created_at__lt=placed_before)


class Order(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.BigIntegerField(db_index=True)
    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING, db_index=True
    )
    total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, blank=True)
    shipping_address = models.JSONField()
    tracking_number = models.CharField(max_length=100, blank=True)
    # When product_svc confirmed that this order's reservation was given back (or never
    # taken); rejected, failed and cancelled orders without it are reconciled.
    released_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = (
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="order_status_known"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(status__in=UNPRICED) | ~Q(currency=""),
                name="order_placed_has_currency",
            ),
        )
        indexes = (
            models.Index(fields=["user_id", "-created_at"], name="order_user_newest"),
            # The payment timeout's query: the oldest orders of one status.
            models.Index(fields=["status", "created_at"], name="order_status_oldest"),
        )

    def __str__(self) -> str:
        return f"order {self.id} ({self.status})"

    @property
    def location(self) -> str:
        """The order's path in the API: the `Location` of the answer that placed it."""
        return f"{orders_path(get_script_prefix())}{self.id}/"

    def hold(self, **related: Iterable[models.Model]) -> None:
        """Hold rows just written as the order's `lines` or `history`, the way
        `prefetch_related` holds what it read: the answer and the events built from this
        instance then read none of them back. The rows come in the related model's order."""
        cache = self.__dict__.setdefault("_prefetched_objects_cache", {})
        for name, rows in related.items():
            held = getattr(self, name).all()
            ordering = held.model._meta.ordering
            held._result_cache = sorted(rows, key=partial(_sort_key, ordering))
            held._prefetch_done = True
            cache[name] = held


@functools.lru_cache(maxsize=8)
def orders_path(script_prefix: str) -> str:
    """`/api/v1/orders/` under the script prefix, reversed once per process and prefix
    (`reverse()` reads the same prefix): an order's path is this and its id, as the router
    writes `order-detail` (a test holds the two equal), without a `reverse()` an order."""
    return reverse("order-list")


def _sort_key(ordering: Sequence[str], row: models.Model) -> tuple[Any, ...]:
    """Where `row` comes in `ordering`; a row not yet written (no id) after the rows
    written with the same values, as the id the database gives it will put it."""
    return tuple(math.inf if (value := getattr(row, name)) is None else value for name in ordering)


class OrderLineQuerySet(models.QuerySet["OrderLine"]):
    def write_prices(self, lines: Sequence["OrderLine"]) -> None:
        """Write the lines' names, unit prices and totals in one UPDATE, joined to their
        values by id.

        One UPDATE per line costs a statement a line; `bulk_update` builds a `CASE` per
        column and line, three times the CPU of the UPDATEs it replaces."""
        sql, params = self.prices_update(lines)
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, params)

    def prices_update(
        self, lines: Sequence["OrderLine"], *, when: str | None = None
    ) -> tuple[str, list[Any]]:
        """`write_prices`' UPDATE and its parameters; `when` names a part of the same
        `WITH` statement (`orders.statements`) that must have written a row."""
        connection = connections[self.db]
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        rows = ", ".join(["(%s, %s, %s, %s)"] * len(lines))
        also = f", {quote(when)}" if when is not None else ""
        # A VALUES list names its columns column1, column2... on PostgreSQL and SQLite.
        sql = (
            f"UPDATE {table} SET {quote('name')} = line.column2, "
            f"{quote('unit_price')} = line.column3, {quote('line_total')} = line.column4 "
            f"FROM (VALUES {rows}) AS line{also} WHERE {table}.{quote('id')} = line.column1"
        )
        values = [(line.pk, line.name, line.unit_price, line.line_total) for line in lines]
        return sql, [value for row in values for value in row]


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product_id = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    # Copied from product_svc when the reservation succeeds; empty while pending.
    name = models.CharField(max_length=255, blank=True)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    line_total = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    objects = OrderLineQuerySet.as_manager()

    class Meta:
        ordering = ("id",)
        constraints = (
            models.UniqueConstraint(fields=["order", "product_id"], name="line_product_once"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__isnull=True) | Q(unit_price__gte=0),
                name="line_unit_price_not_negative",
            ),
        )

    def __str__(self) -> str:
        return f"{self.quantity} x product {self.product_id}"


class OrderStatusEvent(models.Model):
    """One entry of an order's history: never changed once written."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=16, choices=OrderStatus.choices)
    note = models.CharField(max_length=500, blank=True)
    # Who moved it: a user id, or null for the shop itself (placement, reconciliation).
    actor_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("at", "id")
        constraints = (
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="event_status_known"
            ),
        )

    def __str__(self) -> str:
        return f"{self.status} at {self.at:%Y-%m-%d %H:%M:%S}"


class PaymentStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


# How far along a payment is: an event that would move it back (a late `payment.succeeded`
# after its `payment.refunded`) changes nothing.
PAYMENT_PROGRESS = {
    PaymentStatus.PENDING: 0,
    PaymentStatus.SUCCEEDED: 1,
    PaymentStatus.FAILED: 1,
    PaymentStatus.REFUNDED: 2,
}


class PaymentQuerySet(models.QuerySet["Payment"]):
    def record(self, payload: dict[str, Any]) -> "Payment":
        """Take in a `payment.*` event's view of a payment; the caller is in a transaction.

        Events may arrive out of order (retries, several consumers): a payment never moves
        back to an earlier state.
        """
        status = PaymentStatus(payload["status"])
        payment, created = self.select_for_update().get_or_create(
            pk=payload["payment_id"],
            defaults={"order_id": payload["order_id"], "status": status},
        )
        if not created and PAYMENT_PROGRESS[status] < PAYMENT_PROGRESS[payment.status]:
            return payment
        payment.status = status
        payment.amount = Decimal(payload["amount"])
        payment.currency = payload["currency"]
        payment.provider = payload.get("provider") or ""
        payment.failure_reason = payload.get("failure_reason") or ""
        if status == PaymentStatus.REFUNDED and payment.refunded_at is None:
            payment.refunded_at = timezone.now()
        payment.save()
        return payment


class Payment(models.Model):
    """An order's payment as payment_svc's events (`payment.*`) describe it: a copy kept
    for the order admin. payment_svc owns payments; nothing here decides anything."""

    # payment_svc's id of the payment.
    id = models.CharField(primary_key=True, max_length=64)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    status = models.CharField(max_length=16, choices=PaymentStatus.choices)
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, blank=True)
    provider = models.CharField(max_length=50, blank=True)
    failure_reason = models.CharField(max_length=100, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ("created_at", "id")
        constraints = (
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="payment_status_known"
            ),
        )

    def __str__(self) -> str:
        return f"payment {self.id} ({self.status})"


class IdempotencyRecord(idempotency.IdempotencyRecord):
    """A key of placing an order; `order` links the order it placed (reconciliation
    answers the key of an order it confirms)."""

    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        constraints = idempotency.IdempotencyRecord.constraints("idempotency")
