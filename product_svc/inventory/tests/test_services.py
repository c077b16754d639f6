import uuid

import pytest
from django.db import OperationalError

from catalog.models import Product
from catalog.tests.factories import ProductFactory
from inventory import services
from inventory.exceptions import (
    InventoryBusy,
    OutOfStock,
    ReservationReleased,
    Shortage,
    UnknownProducts,
)
from inventory.models import Reservation, ReservationLine
from inventory.services import ReservationItem, release, reserve

pytestmark = pytest.mark.django_db


def stock_of(*products: Product) -> list[int]:
    return [Product.objects.get(pk=product.pk).stock for product in products]


def items(*pairs: tuple[Product, int]) -> list[ReservationItem]:
    return [ReservationItem(product.pk, quantity) for product, quantity in pairs]


def test_reserve_takes_every_line_and_copies_name_and_price():
    kettle, mug = ProductFactory(stock=5, name="Kettle"), ProductFactory(stock=3)

    outcome = reserve(reservation_id=uuid.uuid4(), items=items((mug, 3), (kettle, 2)))

    assert outcome.created
    assert stock_of(kettle, mug) == [3, 0]
    lines = list(outcome.reservation.lines.all())
    assert [(line.product_id, line.quantity) for line in lines] == sorted(
        [(kettle.pk, 2), (mug.pk, 3)]
    )
    assert {line.name for line in lines} == {"Kettle", mug.name}
    assert {str(line.unit_price) for line in lines} == {"19.99"}


def test_repeated_reservation_id_answers_the_first_result_and_takes_nothing_more():
    kettle = ProductFactory(stock=5)
    reservation_id = uuid.uuid4()
    reserve(reservation_id=reservation_id, items=items((kettle, 2)))

    again = reserve(reservation_id=reservation_id, items=items((kettle, 4)))

    assert not again.created
    assert [line.quantity for line in again.reservation.lines.all()] == [2]
    assert stock_of(kettle) == [3]


def test_short_stock_names_each_short_product_and_takes_nothing():
    kettle, mug, lamp = ProductFactory(stock=5), ProductFactory(stock=1), ProductFactory(stock=0)
    reservation_id = uuid.uuid4()

    with pytest.raises(OutOfStock) as raised:
        reserve(reservation_id=reservation_id, items=items((kettle, 5), (mug, 2), (lamp, 1)))

    assert raised.value.shortages == [Shortage(mug.pk, 2, 1), Shortage(lamp.pk, 1, 0)]
    assert stock_of(kettle, mug, lamp) == [5, 1, 0]
    assert not Reservation.objects.filter(id=reservation_id).exists()
    # The line of the kettle, taken and written before the others were found short.
    assert not ReservationLine.objects.filter(reservation_id=reservation_id).exists()


def test_unknown_and_inactive_products_are_named_and_nothing_is_taken():
    kettle, retired = ProductFactory(stock=5), ProductFactory(stock=5, is_active=False)

    with pytest.raises(UnknownProducts) as raised:
        reserve(
            reservation_id=uuid.uuid4(),
            items=[*items((kettle, 1), (retired, 1)), ReservationItem(999_999, 1)],
        )

    assert raised.value.product_ids == [retired.pk, 999_999]
    assert stock_of(kettle, retired) == [5, 5]


def test_release_gives_stock_back_once_however_often_it_is_called():
    kettle = ProductFactory(stock=5)
    reservation_id = uuid.uuid4()
    reserve(reservation_id=reservation_id, items=items((kettle, 4)))

    for _ in range(3):
        released = release(reservation_id=reservation_id)

    assert released.state == Reservation.State.RELEASED
    assert stock_of(kettle) == [5]


def test_release_of_an_unknown_id_leaves_a_tombstone_that_stops_a_late_reserve():
    kettle = ProductFactory(stock=5)
    reservation_id = uuid.uuid4()

    tombstone = release(reservation_id=reservation_id)
    with pytest.raises(ReservationReleased):
        reserve(reservation_id=reservation_id, items=items((kettle, 1)))

    assert tombstone.state == Reservation.State.RELEASED
    assert list(tombstone.lines.all()) == []
    assert stock_of(kettle) == [5]


def test_a_released_reservation_cannot_be_reserved_again():
    kettle = ProductFactory(stock=5)
    reservation_id = uuid.uuid4()
    reserve(reservation_id=reservation_id, items=items((kettle, 1)))
    release(reservation_id=reservation_id)

    with pytest.raises(ReservationReleased):
        reserve(reservation_id=reservation_id, items=items((kettle, 1)))

    assert stock_of(kettle) == [5]


def test_reserve_and_release_bump_the_catalog_version_after_commit(
    catalog_bumps, django_capture_on_commit_callbacks
):
    kettle = ProductFactory(stock=5)
    reservation_id = uuid.uuid4()
    catalog_bumps.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reserve(reservation_id=reservation_id, items=items((kettle, 1)))
    with django_capture_on_commit_callbacks(execute=True):
        release(reservation_id=reservation_id)
    with django_capture_on_commit_callbacks(execute=True):
        release(reservation_id=reservation_id)  # nothing changes: no bump

    assert catalog_bumps == ["bump", "bump"]


def test_a_failed_reserve_does_not_bump_the_catalog_version(
    catalog_bumps, django_capture_on_commit_callbacks
):
    kettle = ProductFactory(stock=1)
    catalog_bumps.clear()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(OutOfStock):
        reserve(reservation_id=uuid.uuid4(), items=items((kettle, 2)))

    assert catalog_bumps == []


class FakeDeadlock(Exception):
    sqlstate = "40P01"


def deadlocking(monkeypatch: pytest.MonkeyPatch, times: int) -> None:
    """Make the first `times` stock updates fail the way PostgreSQL's deadlock detector does."""
    take = services._take_lines
    failures = iter(range(times))

    def flaky_take(reservation: Reservation, items: list[ReservationItem]) -> list:
        if next(failures, None) is not None:
            raise OperationalError("deadlock detected") from FakeDeadlock()
        return take(reservation, items)

    monkeypatch.setattr(services, "_take_lines", flaky_take)


def test_a_deadlocked_reserve_is_run_again(monkeypatch):
    kettle = ProductFactory(stock=5)
    deadlocking(monkeypatch, times=2)

    outcome = reserve(reservation_id=uuid.uuid4(), items=items((kettle, 2)))

    assert outcome.created
    assert stock_of(kettle) == [3]


def test_a_reserve_that_keeps_deadlocking_is_busy_not_an_error(monkeypatch):
    kettle = ProductFactory(stock=5)
    deadlocking(monkeypatch, times=services.ATTEMPTS)

    with pytest.raises(InventoryBusy):
        reserve(reservation_id=uuid.uuid4(), items=items((kettle, 2)))

    assert stock_of(kettle) == [5]
