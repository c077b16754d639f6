"""Reads of orders that need thought: who may see which order."""

import uuid

from django.http import Http404

from orders.models import Order, OrderQuerySet
from shop_common.auth import TokenUser


def orders_visible_to(user: TokenUser, *, status: str | None = None) -> OrderQuerySet:
    """The caller's own placed orders (staff: everyone's), newest first, lines and history
    fetched in two more queries however long the page."""
    orders = Order.objects.visible_to(user_id=user.id, is_staff=user.is_staff)
    if status:
        orders = orders.filter(status=status)
    return orders.prefetch_related("lines", "history")


def order_visible_to(user: TokenUser, order_id: uuid.UUID) -> Order:
    """One order, or 404 when it is not the caller's: never 403, so ids don't leak.

    Lines and history are read when serialized, not prefetched: for one order that costs
    the same two queries, and a cancel or move, which serializes the order it locked
    instead, does not pay for them twice."""
    try:
        return Order.objects.visible_to(user_id=user.id, is_staff=user.is_staff).get(pk=order_id)
    except Order.DoesNotExist:
        raise Http404("No order with this id.") from None
