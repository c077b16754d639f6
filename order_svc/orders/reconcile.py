"""Settling what placing or cancelling an order left open, as `reconcile_orders` does.

A pending order older than a minute lost its request (a killed worker, a crash between
reserve and confirm): product_svc is asked what it holds for the order, and the order is
confirmed with that reservation or failed and released. Rejected, failed and cancelled
orders whose release did not get through are released again (release is idempotent).
"""

import logging
from collections import Counter
from datetime import timedelta

from django.utils import timezone

from orders import idempotency, reservations, services
from orders.exceptions import StockUnavailable, Unconfirmable
from orders.models import IdempotencyRecord, Order
from orders.states import OrderStatus

logger = logging.getLogger(__name__)

BATCH = 500


def reconcile(*, older_than: timedelta) -> Counter[str]:
    """Settle every order left open for longer than `older_than`; count the outcomes."""
    before = timezone.now() - older_than
    outcomes: Counter[str] = Counter()
    for order in Order.objects.unsettled(before=before).order_by("updated_at")[:BATCH]:
        try:
            outcomes[settle(order)] += 1
        except StockUnavailable:
            outcomes["unreachable"] += 1
        except Exception:
            # One order that cannot be settled must not stall the others: it is logged,
            # sent to the back of the queue, and tried again in a later round.
            logger.exception("order not settled", extra={"order": str(order.id)})
            Order.objects.filter(pk=order.pk).update(updated_at=timezone.now())
            outcomes["errors"] += 1
    outcomes["keys_purged"] = idempotency.keys.purge(stale_before=before)
    outcomes = +outcomes  # only what happened: an idle round logs nothing
    if outcomes:
        logger.info("orders reconciled", extra=dict(outcomes))
    return outcomes


def settle(order: Order) -> str:
    """Settle one order with product_svc; the outcome's name. Raises `StockUnavailable`."""
    if order.status != OrderStatus.PENDING:
        released = services.release_reservation(order).released_at is not None
        return "released" if released else "unreachable"
    reservation = reservations.find_reservation(order.id)
    note = "Not completed in time; nothing was sold."
    if reservation is not None and reservation.is_held:
        try:
            confirmed = services.confirm_order(order.id, reservation)
        except Unconfirmable as exc:
            note = exc.detail
        else:
            _answer_key(confirmed)
            return "confirmed"
    # Failing releases the id: a tombstone when nothing was taken, so a late reserve with
    # it takes nothing either.
    services.fail_order(order.id, note=note)
    IdempotencyRecord.objects.filter(order=order).delete()
    return "failed"


def _answer_key(order: Order) -> None:
    """Store the answer the lost request would have given, for a retry with its key."""
    for record in IdempotencyRecord.objects.filter(order=order):
        idempotency.keys.finish(record, idempotency.placed_answer(order))
