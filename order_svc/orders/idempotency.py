"""`Idempotency-Key` for placing orders (`shop_common.idempotency`), with what is the
order's own: the key is claimed in the pending order's transaction (`services.place_order`),
a key whose order is still pending stays taken, and claims without an order (written
before claims shared the order's transaction) are purged by reconciliation."""

from datetime import datetime

from orders.models import IdempotencyRecord, Order
from orders.serializers import order_answer
from orders.states import OrderStatus
from shop_common.idempotency import IdempotencyKeys, IdempotencyState, StoredAnswer

# The unique constraint on a user's key: a claim that breaks it found the key taken.
KEY_CONSTRAINT = "idempotency_key_per_user"


class OrderKeys(IdempotencyKeys[IdempotencyRecord]):
    def abandon(self, record: IdempotencyRecord) -> None:
        """Give the key back, unless its order is still pending: that order may yet be
        confirmed by reconciliation, which then stores its answer for the key."""
        IdempotencyRecord.objects.filter(pk=record.pk).exclude(
            order__status=OrderStatus.PENDING
        ).delete()

    def purge(self, *, stale_before: datetime) -> int:
        """Delete expired records, and claims abandoned before their order was even written."""
        orphans = IdempotencyRecord.objects.filter(
            state=IdempotencyState.PROCESSING, order__isnull=True, created_at__lt=stale_before
        ).delete()[0]
        return self.purge_expired() + orphans


keys = OrderKeys(IdempotencyRecord)


def placed_answer(order: Order) -> StoredAnswer:
    """What placing `order` answers, and what its key replays: 201, the order, its
    Location."""
    return StoredAnswer(201, order_answer(order), {"Location": order.location})
