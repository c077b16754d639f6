"""Cancelling confirmed orders whose payment did not come within ORDER_PAYMENT_TIMEOUT.

Run by a periodic job in order_svc's event consumer (`orders.event_handlers`) and by
`manage.py expire_orders`. Any number of them may run at once: each order is cancelled
under its row lock, only while still unpaid, so a payment applied at the same moment
either wins (the order stays paid) or finds the order cancelled (payment_svc refunds it).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from orders import services
from orders.models import Order

logger = logging.getLogger(__name__)

BATCH = 200


def expire_unpaid_orders(*, timeout: timedelta | None = None) -> int:
    """Cancel every order still unpaid `timeout` (ORDER_PAYMENT_TIMEOUT) after it was
    placed, giving its stock back; how many this call cancelled."""
    timeout = timeout or timedelta(seconds=settings.ORDER_PAYMENT_TIMEOUT)
    placed_before = timezone.now() - timeout
    note = f"Not paid within {timeout.total_seconds():g} seconds (ORDER_PAYMENT_TIMEOUT)."
    expired = 0
    while True:
        candidates = list(
            Order.objects.unpaid(placed_before=placed_before)
            .order_by("created_at")
            .values_list("pk", flat=True)[:BATCH]
        )
        cancelled = sum(
            services.expire_order(order_id=order_id, placed_before=placed_before, note=note)
            for order_id in candidates
        )
        expired += cancelled
        # A short batch was the last one; a batch of orders all held elsewhere is left
        # to the processes holding them (and to the next round).
        if len(candidates) < BATCH or not cancelled:
            break
    if expired:
        logger.info("unpaid orders cancelled", extra={"orders": expired})
    return expired
