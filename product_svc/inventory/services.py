"""Taking and giving back stock. Each operation is one transaction, all or nothing.

Stock is taken with conditional updates (`stock = stock - q WHERE stock >= q`) in product
id order: the row lock serializes concurrent buyers, the condition keeps stock from going
below zero, and the fixed order keeps two orders holding the same products from
deadlocking each other (on PostgreSQL one statement locks the rows in that order first,
`TAKE_EVERY`). Deadlocks with other writers (admin bulk actions
lock rows in their own order) are retried. Reservation ids are claimed by inserting the
row first, so the primary key decides between concurrent twins with one id.
"""

import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import NoReturn, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.db.models.functions import Now
from django.utils import timezone

from catalog.models import Product
from catalog.services import catalog_changed
from shop_common.serializers import MAX_ORDER_TOTAL

from . import metrics
from .exceptions import (
    InventoryBusy,
    InventoryError,
    OrderTooLarge,
    OutOfStock,
    ReservationReleased,
    Shortage,
    UnknownProducts,
)
from .models import Reservation, ReservationLine

logger = logging.getLogger(__name__)

ATTEMPTS = 5
# deadlock_detected, serialization_failure: the transaction can simply run again.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})

T = TypeVar("T")

# How each refused reserve is counted in `inventory_reservations_total`.
REFUSALS: dict[type[InventoryError], str] = {
    OutOfStock: "short",
    UnknownProducts: "unknown",
    OrderTooLarge: "too_large",
    ReservationReleased: "already_released",
    InventoryBusy: "busy",
}


# What fulfilling a reservation that is no longer reserved finds.
FULFIL_OUTCOMES = {
    Reservation.State.FULFILLED: "already_fulfilled",
    Reservation.State.RELEASED: "released",
}


@dataclass(frozen=True)
class ReservationItem:
    product_id: int
    quantity: int


@dataclass(frozen=True)
class ReserveOutcome:
    reservation: Reservation
    lines: list[ReservationLine]
    created: bool  # False: the id was reserved before and this is that first result


def reserve(*, reservation_id: uuid.UUID, items: Sequence[ReservationItem]) -> ReserveOutcome:
    """Take every item's quantity or nothing. Call outside any transaction: a deadlock
    aborts the whole transaction, and only then can it be run again."""
    try:
        outcome = _retrying(lambda: _reserve_once(reservation_id, items))
    except InventoryError as exc:
        metrics.RESERVATIONS.labels(REFUSALS[type(exc)]).inc()
        raise
    metrics.RESERVATIONS.labels("reserved" if outcome.created else "replayed").inc()
    return outcome


def release(*, reservation_id: uuid.UUID) -> Reservation:
    """Give a reservation's stock back exactly once; for an id never reserved, leave a
    released tombstone so that a reserve arriving late takes nothing."""
    outcome = _retrying(lambda: _release_once(reservation_id))
    metrics.RELEASES.labels(outcome).inc()
    return Reservation.objects.prefetch_related("lines").get(id=reservation_id)


def fulfil(*, reservation_id: uuid.UUID) -> str:
    """The reservation's order has shipped: its stock has left for good, so the
    reservation holds none any more (and can't be released). Idempotent; the outcome:
    fulfilled, already_fulfilled, or released / unknown (nothing was held: logged)."""
    flipped = Reservation.objects.filter(
        id=reservation_id, state=Reservation.State.RESERVED
    ).update(state=Reservation.State.FULFILLED, updated_at=Now())
    state = Reservation.objects.filter(id=reservation_id).values_list("state", flat=True).first()
    outcome = "fulfilled" if flipped else FULFIL_OUTCOMES.get(state, "unknown")
    if outcome in ("released", "unknown"):
        logger.warning(
            "a shipped order's reservation held nothing",
            extra={"reservation_id": str(reservation_id), "outcome": outcome},
        )
    # Counted once the caller's transaction (the event's, with its inbox row) commits.
    transaction.on_commit(metrics.FULFILMENTS.labels(outcome).inc)
    return outcome


def _reserve_once(reservation_id: uuid.UUID, items: Sequence[ReservationItem]) -> ReserveOutcome:
    try:
        outcome = _take_all(reservation_id, items)
    except IntegrityError:
        # The id was claimed before (a twin's uncommitted claim made the insert wait for
        # its outcome). Nothing was taken: the claim comes before any lock or take.
        reservation = Reservation.objects.prefetch_related("lines").filter(id=reservation_id)
        first = reservation.first()
        if first is None:
            raise
        if first.state == Reservation.State.RELEASED:
            raise ReservationReleased(reservation_id) from None
        return ReserveOutcome(first, list(first.lines.all()), created=False)
    logger.info(
        "stock reserved",
        extra={"reservation_id": str(reservation_id), "lines": len(items)},
    )
    return outcome


@transaction.atomic
def _take_all(reservation_id: uuid.UUID, items: Sequence[ReservationItem]) -> ReserveOutcome:
    """Claim the id (its primary key decides between twins) and take every line, in one
    transaction; the claim comes first, so an `IntegrityError` means the id was taken."""
    now = timezone.now()
    reservation = Reservation(
        id=reservation_id, state=Reservation.State.RESERVED, created_at=now, updated_at=now
    )
    items = sorted(items, key=attrgetter("product_id"))  # the fixed lock order
    lines, on_sale = _take_lines(reservation, items)
    if len(lines) < len(items):
        # Whatever was taken and written goes back with the transaction.
        taken = {line.product_id for line in lines}
        _refuse([item for item in items if item.product_id not in taken], on_sale)
    # Checked inside the transaction that took the stock, so a refusal takes none.
    if sum(line.unit_price * line.quantity for line in lines) > MAX_ORDER_TOTAL:
        raise OrderTooLarge(MAX_ORDER_TOTAL)
    catalog_changed()
    return ReserveOutcome(reservation, lines, created=True)


def _take_lines(
    reservation: Reservation, items: Sequence[ReservationItem]
) -> tuple[list[ReservationLine], dict[int, int]]:
    """Write the reservation's row (the claim of its id), then take every item that can be
    taken, in product id order, and write its line; the lines written, and the stock of
    the items' products that are on sale (what `_refuse` tells; read only when an item
    was not taken, and right only for those). Fewer lines than items: some were not
    taken, and the caller's transaction must not commit."""
    if connection.vendor == "postgresql":
        return _take_every(reservation, items)
    reservation.save(force_insert=True)
    lines = _take_each(reservation, items)
    if len(lines) == len(items):
        return lines, {}
    # Read after the updates: the rows we changed are locked, and the others were not
    # taken, so this is the stock the refused items found.
    on_sale = Product.objects.filter(pk__in=[item.product_id for item in items], is_active=True)
    return lines, dict(on_sale.order_by().values_list("id", "stock"))


def _take_each(reservation: Reservation, items: Sequence[ReservationItem]) -> list[ReservationLine]:
    """Take each item in turn (`_take`) and write the lines of those taken: the way for
    databases without data-modifying `WITH` (SQLite, which takes one writer at a time)."""
    sold = [line for line in map(_take, items) if line is not None]
    return ReservationLine.objects.bulk_create(
        ReservationLine(
            reservation=reservation,
            product_id=line.product_id,
            name=line.name,
            unit_price=line.price,
            currency=line.currency,
            quantity=line.quantity,
        )
        for line in sold
    )


# PostgreSQL: claim the id, lock the products in id order (the `MATERIALIZED` lock comes
# out of its sort one row at a time, so every reservation locks in that order), take each
# item's quantity where the product is active and has it, and write a line for each taken:
# one statement, where the claim, a statement per line and one for the lines cost a round
# trip each. The lock waits for the claim (`EXISTS`), so the claim still comes first: a
# twin's uncommitted claim makes this one wait for its outcome, and fail on the primary key
# (`IntegrityError`) before it locks or takes anything. It answers a row per item: the
# product as locked (none when unknown; a lock that waited for another buyer reads the row
# that buyer committed) and the item's line if it was taken, so that a refusal needs no
# second look at the products.
TAKE_EVERY = """
WITH claim AS (
    INSERT INTO inventory_reservation (id, state, created_at, updated_at)
    VALUES (%s, %s, %s, %s) RETURNING id
),
wanted (product_id, quantity) AS (VALUES {values}),
locked AS MATERIALIZED (
    SELECT id, stock, is_active FROM catalog_product
    WHERE id IN (SELECT product_id FROM wanted) AND EXISTS (SELECT FROM claim)
    ORDER BY id FOR UPDATE
),
taken AS (
    UPDATE catalog_product SET stock = catalog_product.stock - wanted.quantity, updated_at = %s
    FROM wanted, locked
    WHERE catalog_product.id = wanted.product_id AND locked.id = wanted.product_id
        AND catalog_product.is_active AND catalog_product.stock >= wanted.quantity
    RETURNING catalog_product.id, wanted.quantity, catalog_product.name,
        catalog_product.price, catalog_product.currency
),
line AS (
    INSERT INTO inventory_reservationline
        (reservation_id, product_id, quantity, name, unit_price, currency)
    SELECT claim.id, taken.id, quantity, name, price, currency FROM taken, claim
    RETURNING id, product_id, quantity, name, unit_price, currency
)
SELECT wanted.product_id, locked.stock, locked.is_active,
    line.id, line.quantity, line.name, line.unit_price, line.currency
FROM wanted
    LEFT JOIN locked ON locked.id = wanted.product_id
    LEFT JOIN line ON line.product_id = wanted.product_id
ORDER BY wanted.product_id
"""


def _take_every(
    reservation: Reservation, items: Sequence[ReservationItem]
) -> tuple[list[ReservationLine], dict[int, int]]:
    """`_take_lines` in one statement (`TAKE_EVERY`)."""
    values = ", ".join(["(%s::bigint, %s::integer)"] * len(items))
    params: list[object] = [
        reservation.id,
        reservation.state,
        reservation.created_at,
        reservation.updated_at,
    ]
    params += [value for item in items for value in (item.product_id, item.quantity)]
    params.append(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(TAKE_EVERY.format(values=values), params)
        rows = cursor.fetchall()
    fields = ("id", "quantity", "name", "unit_price", "currency")
    lines = [
        ReservationLine(
            reservation=reservation, product_id=product_id, **dict(zip(fields, line, strict=True))
        )
        for product_id, _stock, _active, *line in rows
        if line[0] is not None
    ]
    on_sale = {product_id: stock for product_id, stock, active, *_line in rows if active}
    return lines, on_sale


def _refuse(short: list[ReservationItem], on_sale: dict[int, int]) -> NoReturn:
    """Raise why the `short` items could not be taken: unknown or inactive products (not
    `on_sale`) first, then the stock each has."""
    unknown = sorted(item.product_id for item in short if item.product_id not in on_sale)
    if unknown:
        raise UnknownProducts(unknown)
    raise OutOfStock([Shortage(i.product_id, i.quantity, on_sale[i.product_id]) for i in short])


def _release_once(reservation_id: uuid.UUID) -> str:
    """The outcome: released, tombstone or already_released."""
    with transaction.atomic():
        # No reserved row: leave a tombstone. If that insert finds the id taken, a reserve
        # committed meanwhile or a release beat us; look again, once, to tell which.
        if not _mark_released(reservation_id):
            if _claim(reservation_id, Reservation.State.RELEASED) is not None:
                return "tombstone"
            if not _mark_released(reservation_id):
                return "already_released"
        _give_back(reservation_id)
        catalog_changed()
    logger.info("stock released", extra={"reservation_id": str(reservation_id)})
    return "released"


def _claim(reservation_id: uuid.UUID, state: Reservation.State) -> Reservation | None:
    """Insert the reservation row; None when the id exists (the primary key decides, and a
    twin's uncommitted insert makes us wait for its outcome)."""
    try:
        with transaction.atomic():
            return Reservation.objects.create(id=reservation_id, state=state)
    except IntegrityError:
        return None


def _mark_released(reservation_id: uuid.UUID) -> bool:
    """Flip reserved to released; True for the one caller that did it."""
    return bool(
        Reservation.objects.filter(id=reservation_id, state=Reservation.State.RESERVED).update(
            state=Reservation.State.RELEASED, updated_at=Now()
        )
    )


@dataclass(frozen=True)
class Sold:
    """A quantity taken, and the name and price it was taken at (read under the row lock
    of the take)."""

    product_id: int
    quantity: int
    name: str
    price: Decimal
    currency: str


def _take(item: ReservationItem) -> Sold | None:
    """Take the item's quantity if its product is active and has it, and say what it was
    sold as; None when nothing was taken.

    One statement: the ORM's UPDATE cannot return the row, and reading the products after
    the updates cost a query and its model instances for every reservation."""
    table = connection.ops.quote_name(Product._meta.db_table)
    sql = (
        f"UPDATE {table} SET stock = stock - %s, updated_at = %s "
        "WHERE id = %s AND is_active AND stock >= %s RETURNING name, price, currency"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [item.quantity, now, item.product_id, item.quantity])
        row = cursor.fetchone()
    if row is None:
        return None
    name, price, currency = row
    # SQLite hands a decimal column back as a float; str() gives its two places back.
    return Sold(item.product_id, item.quantity, name, Decimal(str(price)), currency)


def _give_back(reservation_id: uuid.UUID) -> None:
    lines = ReservationLine.objects.filter(reservation_id=reservation_id).order_by("product_id")
    for product_id, quantity in lines.values_list("product_id", "quantity"):
        Product.objects.filter(id=product_id).update(stock=F("stock") + quantity, updated_at=Now())


def _retrying(operation: Callable[[], T]) -> T:
    attempt = 1
    while True:
        try:
            return operation()
        except OperationalError as exc:
            sqlstate = getattr(exc.__cause__, "sqlstate", None)
            if sqlstate not in RETRYABLE_SQLSTATES:
                raise
            if attempt == ATTEMPTS:
                raise InventoryBusy() from exc
            logger.warning(
                "inventory transaction retried", extra={"attempt": attempt, "sqlstate": sqlstate}
            )
            time.sleep(random.uniform(0, 0.02 * 2**attempt))
            attempt += 1
