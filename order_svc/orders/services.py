"""What changes orders: placing, confirming, cancelling, moving along the state machine.

Placing an order talks to product_svc, so it is never one database transaction: the
order is written as `pending` first, then the stock is reserved under the order's id, then
the order is settled. Whatever happens in between (a lost answer, a killed worker) leaves
a pending order or an unreleased reservation id that `reconcile_orders` can settle.
"""

import logging
import uuid
from contextlib import nullcontext
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from orders import metrics, reservations
from orders.exceptions import (
    InvalidMove,
    MixedCurrencies,
    OrderTooLarge,
    OutOfStock,
    StockUnavailable,
    Unconfirmable,
    UnknownProducts,
)
from orders.idempotency import KEY_CONSTRAINT, keys, placed_answer
from orders.models import IdempotencyRecord, Order, OrderLine, OrderStatusEvent
from orders.serializers import order_event
from orders.statements import Writes
from orders.states import EVENT_TYPES, PAID_FOR, Actor, OrderStatus, check_move
from shop_common.events import publish
from shop_common.events.outbox import outbox_event
from shop_common.idempotency import KeyRequest, KeyTaken, StoredAnswer, answer_columns
from shop_common.serializers import MAX_ORDER_TOTAL

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")


def place_order(
    *,
    user_id: int,
    items: list[dict[str, int]],
    shipping_address: dict[str, str],
    idempotency_key: KeyRequest[IdempotencyRecord] | None = None,
) -> Order:
    """Write the order as pending, reserve its stock, and confirm it with the server's prices.

    The `Idempotency-Key` is claimed in the pending order's transaction: `KeyTaken` when a
    twin has it, and then nothing was written.

    Raises `OutOfStock`/`UnknownProducts` (the order is rejected, nothing taken) or
    `StockUnavailable`/`Unconfirmable` (the order failed; its reservation id is released).
    """
    order, lines, pending = _create_pending(user_id, items, shipping_address, idempotency_key)
    try:
        reservation = reservations.reserve(order.id, items)
        confirmed = _confirm_placed(order, lines, pending, reservation, idempotency_key)
    except (StockUnavailable, Unconfirmable) as exc:
        fail_order(order.id, note=exc.detail)
        metrics.ORDERS_PLACED.labels("failed").inc()
        raise
    except (OutOfStock, UnknownProducts) as exc:
        # Rejected by product_svc: nothing was taken. The reservation id is still released
        # later by reconciliation, in case a retried reserve were still on its way.
        _reject_placed(order, exc, idempotency_key)
        logger.info("order rejected", extra={"order": str(order.id), "reason": exc.detail})
        metrics.ORDERS_PLACED.labels("rejected").inc()
        raise
    metrics.ORDERS_PLACED.labels("confirmed").inc()
    return confirmed


def _create_pending(
    user_id: int,
    items: list[dict[str, int]],
    shipping_address: dict[str, str],
    idempotency_key: KeyRequest[IdempotencyRecord] | None,
) -> tuple[Order, list[OrderLine], OrderStatusEvent]:
    """Write the order as pending; the order, its lines and its history entry, as written
    (held by the order only if it is confirmed: a refused order reads none of them)."""
    order = Order(user_id=user_id, shipping_address=shipping_address)
    lines = [
        OrderLine(order=order, product_id=item["product_id"], quantity=item["quantity"])
        for item in items
    ]
    pending = OrderStatusEvent(order=order, status=OrderStatus.PENDING, actor_id=user_id)
    if connection.vendor == "postgresql":
        _write_pending(order, lines, pending, idempotency_key)
    else:
        _save_pending(order, lines, pending, idempotency_key)
    return order, lines, pending


def _write_pending(
    order: Order,
    lines: list[OrderLine],
    pending: OrderStatusEvent,
    idempotency_key: KeyRequest[IdempotencyRecord] | None,
) -> None:
    """Write the key's claim, the order, its lines and its history in one statement, one
    transaction with no `BEGIN` or `COMMIT` of its own. A key someone else claimed fails
    the whole statement (a twin's uncommitted claim makes it wait for its outcome first):
    `KeyTaken`, and nothing was written."""
    writes = Writes()
    record = None
    if idempotency_key is not None:
        record = keys.new_claim(idempotency_key, order_id=order.id)
        writes.insert("claim", [record])
    writes.insert("placed", [order])
    writes.insert("line", lines)
    writes.insert("entry", [pending])
    in_transaction = connection.in_atomic_block  # a test's: keep it usable after a refusal
    try:
        with transaction.atomic() if in_transaction else nullcontext():
            writes.run()
    except IntegrityError as exc:
        diag = getattr(exc.__cause__, "diag", None)
        if diag is not None and diag.constraint_name == KEY_CONSTRAINT:
            raise KeyTaken() from exc
        raise
    if idempotency_key is not None:
        idempotency_key.record = record


@transaction.atomic
def _save_pending(
    order: Order,
    lines: list[OrderLine],
    pending: OrderStatusEvent,
    idempotency_key: KeyRequest[IdempotencyRecord] | None,
) -> None:
    """`_write_pending` through the ORM, in a transaction (SQLite)."""
    if idempotency_key is not None:
        # First, so that a twin waits here and then rolls back having written nothing. The
        # record names the order before the order's row exists: the foreign key is
        # checked at commit (Django declares it DEFERRABLE INITIALLY DEFERRED).
        keys.claim(idempotency_key, order_id=order.id)
    order.save(force_insert=True)
    OrderLine.objects.bulk_create(lines)
    pending.save(force_insert=True)


def _confirm_placed(
    order: Order,
    lines: list[OrderLine],
    pending: OrderStatusEvent,
    reservation: reservations.Reservation,
    idempotency_key: KeyRequest[IdempotencyRecord] | None,
) -> Order:
    """Confirm the order `_create_pending` wrote, from the rows it wrote (`lines`, its
    history's `pending` entry): nothing is read back, and the answer kept for the key
    commits with the confirmation."""
    order.hold(lines=lines)
    if connection.vendor == "postgresql":
        _write_confirmation(order, pending, reservation, idempotency_key)
        return order
    with transaction.atomic():
        confirmed = _confirm(order, reservation)
        order.hold(history=[pending, confirmed])
        if idempotency_key is not None:
            keys.keep(idempotency_key, placed_answer(order))
    return order


def _write_confirmation(
    order: Order,
    pending: OrderStatusEvent,
    reservation: reservations.Reservation,
    idempotency_key: KeyRequest[IdempotencyRecord] | None,
) -> None:
    """`_confirm` and `keys.keep` in one statement (`orders.statements`): the lines'
    prices, the move from pending, its history entry, its `order.confirmed` event and the
    answer kept for the key are written only if the order was still pending, and commit
    together."""
    lines, changes = _priced(order, reservation)
    previous, now = order.status, timezone.now()
    moved = {"status": OrderStatus.CONFIRMED, "updated_at": now, **changes}
    for name, value in moved.items():
        setattr(order, name, value)
    entry = OrderStatusEvent(order=order, status=OrderStatus.CONFIRMED, at=now)
    order.hold(history=[pending, entry])
    writes = _moving(order.pk, previous, moved)
    writes.add("priced", *OrderLine.objects.prices_update(lines, when="moved"))
    writes.insert("entry", [entry], when="moved")
    event = outbox_event(
        EVENT_TYPES[OrderStatus.CONFIRMED],
        subject=order.id,
        payload=_event_payload(order, previous=previous, note=""),
    )
    writes.insert("event", [event], when="moved")
    answer = placed_answer(order) if _claimed(idempotency_key) else None
    _run_move(writes, order.pk, OrderStatus.CONFIRMED, idempotency_key, answer)
    logger.info("order confirmed", extra={"order": str(order.id), "total": str(order.total)})


def _reject_placed(
    order: Order,
    refusal: OutOfStock | UnknownProducts,
    idempotency_key: KeyRequest[IdempotencyRecord] | None,
) -> None:
    """Reject the order `_create_pending` wrote, from the row it holds (nothing is read
    back), and keep the refusal, the view's answer, for the key in the same transaction."""
    check_move(order.status, OrderStatus.REJECTED, Actor.SYSTEM)
    answer = StoredAnswer.refusal(refusal) if _claimed(idempotency_key) else None
    if connection.vendor != "postgresql":
        with transaction.atomic():
            _apply(order, OrderStatus.REJECTED, note=refusal.detail)
            if answer is not None:
                keys.keep(idempotency_key, answer)
        return
    now = timezone.now()
    writes = _moving(order.pk, order.status, {"status": OrderStatus.REJECTED, "updated_at": now})
    entry = OrderStatusEvent(order=order, status=OrderStatus.REJECTED, note=refusal.detail, at=now)
    writes.insert("entry", [entry], when="moved")
    _run_move(writes, order.pk, OrderStatus.REJECTED, idempotency_key, answer)


def _claimed(idempotency_key: KeyRequest[IdempotencyRecord] | None) -> bool:
    return idempotency_key is not None and idempotency_key.record is not None


def _moving(order_id: uuid.UUID, previous: str, moved: dict[str, Any]) -> Writes:
    """A statement (`orders.statements`) that moves the order from `previous`, writing the
    columns `moved`; its other parts are made to write only if it did (`when="moved"`)."""
    writes = Writes()
    writes.update("moved", Order, order_id, moved, where={"status": previous})
    return writes


def _run_move(
    writes: Writes,
    order_id: uuid.UUID,
    target: str,
    idempotency_key: KeyRequest[IdempotencyRecord] | None,
    answer: StoredAnswer | None,
) -> None:
    """Send `_moving`'s statement, keeping `answer` for the claimed key with the move.
    `InvalidMove` when the order had moved meanwhile: then nothing was written."""
    if idempotency_key is not None and answer is not None:
        record = idempotency_key.record
        writes.update("kept", IdempotencyRecord, record.pk, answer_columns(answer), when="moved")
    if not writes.run(counted="moved"):
        current = Order.objects.values_list("status", flat=True).get(pk=order_id)
        raise InvalidMove(current=current, target=target)
    if idempotency_key is not None:
        idempotency_key.kept = answer


@transaction.atomic
def confirm_order(order_id: uuid.UUID, reservation: reservations.Reservation) -> Order:
    """Confirm a pending order with what product_svc holds for it (reconciliation)."""
    # The lines come with the locked row and stay cached on it: the prices written into
    # them are what the event and the answer read, with no second query.
    order = Order.objects.select_for_update().prefetch_related("lines").get(pk=order_id)
    _confirm(order, reservation)
    return order


def _confirm(order: Order, reservation: reservations.Reservation) -> OrderStatusEvent:
    """Copy the reserved names and prices into the lines and confirm the order; the
    history entry of the move."""
    lines, changes = _priced(order, reservation)
    OrderLine.objects.write_prices(lines)
    confirmed = _apply(order, OrderStatus.CONFIRMED, changes=changes)
    logger.info("order confirmed", extra={"order": str(order.id), "total": str(order.total)})
    return confirmed


def _priced(
    order: Order, reservation: reservations.Reservation
) -> tuple[list[OrderLine], dict[str, Any]]:
    """The order's lines with the reserved names and prices copied in, and the order's
    total and currency.

    Only a reservation product_svc holds confirms an order; a reservation that does not
    match the lines (a broken answer) or mixes currencies raises instead.
    """
    check_move(order.status, OrderStatus.CONFIRMED, Actor.SYSTEM)
    reserved = {item.product_id: item for item in reservation.items}
    lines = list(order.lines.all())
    if not reservation.is_held or any(
        line.product_id not in reserved or reserved[line.product_id].quantity != line.quantity
        for line in lines
    ):
        raise StockUnavailable()
    currencies = {item.currency for item in reservation.items}
    if len(currencies) != 1:
        raise MixedCurrencies()
    for line in lines:
        item = reserved[line.product_id]
        line.name, line.unit_price = item.name, item.unit_price
        line.line_total = (item.unit_price * line.quantity).quantize(CENT)
    total = sum((line.line_total for line in lines), Decimal("0.00"))
    # product_svc refuses such a reservation; checked again before the total column is.
    if total > MAX_ORDER_TOTAL:
        raise OrderTooLarge(MAX_ORDER_TOTAL)
    return lines, {"total": total, "currency": currencies.pop()}


def fail_order(order_id: uuid.UUID, *, note: str) -> Order:
    """Mark a pending order failed and give back whatever its reservation id may hold."""
    order = _move(order_id, OrderStatus.FAILED, actor=Actor.SYSTEM, note=note)
    logger.warning("order failed", extra={"order": str(order_id), "reason": note})
    # A quick attempt only: the caller is waiting for its 503, and reconciliation retries.
    return release_reservation(order, quick=True)


def release_reservation(order: Order, *, quick: bool = False) -> Order:
    """Ask product_svc to release the order's reservation; remember that it did.

    When product_svc can't be reached, `released_at` stays empty and reconciliation
    tries again later. Releasing is idempotent there, so asking twice takes nothing twice.
    """
    if order.released_at is not None:
        return order
    try:
        reservations.release(order.id, quick=quick)
    except StockUnavailable:
        logger.warning("release postponed to reconciliation", extra={"order": str(order.id)})
        return order
    now = timezone.now()
    Order.objects.filter(pk=order.pk, released_at__isnull=True).update(released_at=now)
    order.released_at = now
    return order


def cancel_order(
    *, order_id: uuid.UUID, actor: Actor, actor_id: int | None, note: str = "", **changes: Any
) -> Order:
    """Cancel and give the stock back. Cancelling a cancelled order changes nothing more.

    A paid order's `order.cancelled` says it was paid: payment_svc refunds it.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        cancelling = order.status != OrderStatus.CANCELLED
        if cancelling:
            check_move(order.status, OrderStatus.CANCELLED, actor)
            _apply(order, OrderStatus.CANCELLED, actor_id=actor_id, note=note, changes=changes)
    if cancelling:
        return _cancelled(order, actor)
    return release_reservation(order)


def expire_order(*, order_id: uuid.UUID, placed_before: datetime, note: str) -> bool:
    """Cancel an order on the shop's behalf if it is still confirmed (unpaid) and was placed
    before `placed_before`; whether it was.

    An order another process holds (its payment being applied, another replica expiring
    it) is skipped on PostgreSQL rather than waited for: a later round looks again.
    """
    with transaction.atomic():
        order = (
            Order.objects.unpaid(placed_before=placed_before)
            .select_for_update(skip_locked=True)
            .filter(pk=order_id)
            .first()
        )
        if order is None:
            return False
        check_move(order.status, OrderStatus.CANCELLED, Actor.SYSTEM)
        _apply(order, OrderStatus.CANCELLED, note=note)
    _cancelled(order, Actor.SYSTEM)
    return True


def _cancelled(order: Order, actor: Actor) -> Order:
    """What follows a committed cancel: count it, give the stock back."""
    metrics.ORDERS_CANCELLED.labels(str(actor.name).lower()).inc()
    return release_reservation(order)


def pay_order(*, order_id: uuid.UUID, payment_id: str) -> Order:
    """Move a confirmed order to paid for its succeeded payment (a `payment.succeeded`).

    Any other status stays as it is: a paid order was paid already (by staff, say), and an
    order cancelled meanwhile stays cancelled (payment_svc refunds a payment that succeeds
    for a cancelled order).
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status == OrderStatus.CONFIRMED:
            check_move(order.status, OrderStatus.PAID, Actor.SYSTEM)
            _apply(order, OrderStatus.PAID, note=f"payment {payment_id}")
        else:
            logger.info(
                "payment left the order as it was",
                extra={"order": str(order_id), "payment": payment_id, "status": order.status},
            )
    return order


@transaction.atomic
def add_note(*, order_id: uuid.UUID, note: str) -> OrderStatusEvent:
    """An entry in the order's history that changes nothing (a failed payment, a refund)."""
    order = Order.objects.select_for_update().get(pk=order_id)
    return OrderStatusEvent.objects.create(order=order, status=order.status, note=note[:500])


def change_status(
    *, order_id: uuid.UUID, status: str, actor_id: int | None, note: str = "", **changes: Any
) -> Order:
    """A staff move along the state machine (`tracking_number` may come with it)."""
    if status == OrderStatus.CANCELLED:
        return cancel_order(
            order_id=order_id, actor=Actor.STAFF, actor_id=actor_id, note=note, **changes
        )
    return _move(order_id, status, actor=Actor.STAFF, actor_id=actor_id, note=note, **changes)


@transaction.atomic
def _move(
    order_id: uuid.UUID,
    status: str,
    *,
    actor: Actor,
    actor_id: int | None = None,
    note: str = "",
    **changes: Any,
) -> Order:
    order = Order.objects.select_for_update().get(pk=order_id)
    check_move(order.status, status, actor)
    _apply(order, status, actor_id=actor_id, note=note, changes=changes)
    return order


def _apply(
    order: Order,
    status: str,
    *,
    actor_id: int | None = None,
    note: str = "",
    changes: dict[str, Any] | None = None,
) -> OrderStatusEvent:
    """Save the new status (and changed fields), add it to the history, and publish
    `order.<status>` (`EVENT_TYPES`) for a placed order, all in the caller's transaction;
    the history entry.

    The caller has checked the move from the status it read. The UPDATE moves the order
    only from that status, so it is safe without the row lock too: an order that moved
    meanwhile raises `InvalidMove`, as `check_move` would have under the lock.
    """
    changes = changes or {}
    previous = order.status
    now = timezone.now()
    moved = Order.objects.filter(pk=order.pk, status=previous).update(
        status=status, updated_at=now, **changes
    )
    if not moved:
        current = Order.objects.values_list("status", flat=True).get(pk=order.pk)
        raise InvalidMove(current=current, target=status)
    for name, value in changes.items():
        setattr(order, name, value)
    order.status, order.updated_at = status, now
    entry = OrderStatusEvent.objects.create(
        order=order, status=status, note=note, actor_id=actor_id
    )
    if status in EVENT_TYPES:
        # Read once for the event and the caller's answer alike.
        prefetch_related_objects([order], "lines")
        payload = _event_payload(order, previous=previous, note=note)
        publish(EVENT_TYPES[status], subject=order.id, payload=payload)
    return entry


def _event_payload(order: Order, *, previous: str, note: str) -> dict[str, Any]:
    """What `order.<status>` says of the order's move from `previous` to its status."""
    return {
        **order_event(order),
        "previous_status": previous,
        "note": note,
        # Whether a payment was taken: for a cancellation, whether it must be refunded.
        "paid": order.status in PAID_FOR or previous in PAID_FOR,
    }
