"""The order's state machine: every status an order can have and every move between them.

All status changes go through `check_move`, so the rules live here and nowhere else; the
views, the admin and `reconcile_orders` only ask for a move and answer what it says.
"""

from enum import Flag, auto

from django.db import models

from orders.exceptions import InvalidMove


class OrderStatus(models.TextChoices):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    FAILED = "failed"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Actor(Flag):
    """Who asks for a move: the shop itself (placement, reconciliation, a payment event,
    the payment timeout), the owner, or staff."""

    SYSTEM = auto()
    OWNER = auto()
    STAFF = auto()


S = OrderStatus
TRANSITIONS: dict[tuple[OrderStatus, OrderStatus], Actor] = {
    (S.PENDING, S.CONFIRMED): Actor.SYSTEM,
    (S.PENDING, S.REJECTED): Actor.SYSTEM,
    (S.PENDING, S.FAILED): Actor.SYSTEM,
    # A succeeded payment (an event), or staff for a payment made outside the shop.
    (S.CONFIRMED, S.PAID): Actor.SYSTEM | Actor.STAFF,
    (S.PAID, S.SHIPPED): Actor.STAFF,
    (S.SHIPPED, S.DELIVERED): Actor.STAFF,
    # The shop cancels an order unpaid after ORDER_PAYMENT_TIMEOUT.
    (S.CONFIRMED, S.CANCELLED): Actor.OWNER | Actor.STAFF | Actor.SYSTEM,
    # Before shipping a paid order can still be cancelled: payment_svc refunds it.
    (S.PAID, S.CANCELLED): Actor.OWNER | Actor.STAFF,
}

# Other services learn of every move of a placed order, as an event of this type. Written
# out (not built from the status) so that the catalogue test finds every type published.
EVENT_TYPES: dict[OrderStatus, str] = {
    S.CONFIRMED: "order.confirmed",
    S.PAID: "order.paid",
    S.SHIPPED: "order.shipped",
    S.DELIVERED: "order.delivered",
    S.CANCELLED: "order.cancelled",
}
# The customer's view of orders: the ones that were placed, whose moves are published.
# Pending, rejected and failed orders are attempts that never became a purchase; only
# staff see them.
PLACED = frozenset(EVENT_TYPES)
# Orders a payment was taken for: cancelling one of them refunds it (payment_svc).
PAID_FOR = frozenset({S.PAID, S.SHIPPED, S.DELIVERED})
# Orders whose reservation must be given back to product_svc (once it has said so, the
# order records `released_at`).
RELEASING = frozenset({S.REJECTED, S.FAILED, S.CANCELLED})


def check_move(current: str, target: str, actor: Actor) -> None:
    """Raise `InvalidMove` unless `actor` may move an order from `current` to `target`."""
    allowed = TRANSITIONS.get((OrderStatus(current), OrderStatus(target)))
    if allowed is None or not allowed & actor:
        raise InvalidMove(current=current, target=target)
