"""A shipped order's reservation is fulfilled: it stops counting as reserved, its stock
stays taken, and an `order.shipped` delivered again changes nothing."""

import uuid

import pytest

from catalog.models import Product
from catalog.tests.factories import ProductFactory
from inventory.models import Reservation
from inventory.selectors import with_reserved_stock
from inventory.services import ReservationItem, fulfil, release, reserve
from shop_common.events import Event
from shop_common.events.inbox import Outcome, apply_event
from shop_common.events.models import InboxEvent

pytestmark = pytest.mark.django_db


def reserved_and_stock(product: Product) -> tuple[int, int]:
    annotated = with_reserved_stock(Product.objects.filter(pk=product.pk)).get()
    return annotated.reserved, annotated.stock


def reserved_order(product: Product, quantity: int) -> uuid.UUID:
    order_id = uuid.uuid4()
    reserve(reservation_id=order_id, items=[ReservationItem(product.pk, quantity)])
    return order_id


def shipped(order_id: uuid.UUID) -> Event:
    return Event(type="order.shipped", subject=str(order_id), payload={"order_id": str(order_id)})


def test_a_shipped_orders_reservation_holds_no_stock_and_the_stock_stays_taken():
    kettle = ProductFactory(stock=5)
    order_id = reserved_order(kettle, 2)
    assert reserved_and_stock(kettle) == (2, 3)

    assert fulfil(reservation_id=order_id) == "fulfilled"

    assert reserved_and_stock(kettle) == (0, 3)
    assert Reservation.objects.get(pk=order_id).state == "fulfilled"


def test_fulfilling_again_changes_nothing():
    kettle = ProductFactory(stock=5)
    order_id = reserved_order(kettle, 2)
    fulfil(reservation_id=order_id)

    assert fulfil(reservation_id=order_id) == "already_fulfilled"
    assert reserved_and_stock(kettle) == (0, 3)


def test_a_fulfilled_reservation_gives_nothing_back_when_released():
    kettle = ProductFactory(stock=5)
    order_id = reserved_order(kettle, 2)
    fulfil(reservation_id=order_id)

    assert release(reservation_id=order_id).state == "fulfilled"
    assert reserved_and_stock(kettle) == (0, 3)


def test_a_released_or_unknown_reservation_is_left_as_it_is():
    kettle = ProductFactory(stock=5)
    order_id = reserved_order(kettle, 2)
    release(reservation_id=order_id)
    never = uuid.uuid4()

    assert fulfil(reservation_id=order_id) == "released"
    assert fulfil(reservation_id=never) == "unknown"
    assert Reservation.objects.get(pk=order_id).state == "released"
    assert not Reservation.objects.filter(pk=never).exists()
    assert reserved_and_stock(kettle) == (0, 5)


@pytest.mark.django_db(transaction=True)
def test_order_shipped_fulfils_the_reservation_once_however_often_it_comes():
    kettle, mug = ProductFactory(stock=5), ProductFactory(stock=4)
    order_id = reserved_order(kettle, 2)
    other = reserved_order(mug, 1)
    event = shipped(order_id)

    assert apply_event(event) == Outcome.APPLIED
    assert apply_event(event) == Outcome.DUPLICATE

    assert reserved_and_stock(kettle) == (0, 3)
    assert reserved_and_stock(mug) == (1, 3)  # another order's reservation still holds
    assert Reservation.objects.get(pk=other).state == "reserved"
    assert InboxEvent.objects.filter(event_id=event.id, consumer="product_svc").count() == 1
