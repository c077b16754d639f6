"""Reservations: stock taken for an order, all lines at once, given back at most once."""

from django.db import models
from django.db.models import Q


class Reservation(models.Model):
    """Stock held for one order. The id is the caller's (order_svc uses the order id), so a
    retried request finds the first result instead of taking stock twice. A reservation
    released before it was ever made is a tombstone: released, no lines, and it makes a
    late reserve with that id take nothing. Once its order ships it is fulfilled: the
    stock it took has left the warehouse, and it no longer holds any."""

    class State(models.TextChoices):
        RESERVED = "reserved"
        RELEASED = "released"
        FULFILLED = "fulfilled"

    id = models.UUIDField(primary_key=True)
    state = models.CharField(max_length=16, choices=State.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        indexes = (models.Index(fields=["created_at"], name="inventory_res_created_idx"),)

    def __str__(self) -> str:
        return f"{self.id} ({self.state})"


class ReservationLine(models.Model):
    """One product of a reservation, with the name and price it was reserved at."""

    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="lines")
    # PROTECT: a product that was ever reserved is deactivated, not deleted, so that a
    # release can always give its stock back and the history stays whole.
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="reservation_lines"
    )
    name = models.CharField(max_length=200)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    quantity = models.IntegerField()

    class Meta:
        ordering = ("product_id",)
        constraints = (
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="inventory_line_quantity_positive"
            ),
            models.UniqueConstraint(
                fields=["reservation", "product"], name="inventory_line_one_per_product"
            ),
        )

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"
