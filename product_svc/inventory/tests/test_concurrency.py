"""Reservations under real concurrency: real threads, real transactions, PostgreSQL.

SQLite takes one writer at a time, so these races can't happen there; they are skipped.
"""

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import OperationalError, connection, transaction
from django.db.models import F

from catalog.models import Product
from catalog.tests.factories import ProductFactory
from conftest import bearer_client
from inventory.models import Reservation
from inventory.tests.test_internal_api import URL, body
from inventory.tests.test_services import stock_of
from shop_testing.concurrency import POSTGRESQL_ONLY, race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    POSTGRESQL_ONLY,
]


@pytest.fixture
def service_token() -> str:
    from shop_common.scopes import ServiceScope
    from shop_testing.tokens import make_service_token

    return make_service_token("order_svc", ServiceScope.RESERVATIONS)


def reserve_call(token: str, reservation_id: uuid.UUID, lines: list[tuple[int, int]]):
    request = body(*lines, reservation_id=reservation_id)
    return lambda: bearer_client(token).post(URL, request, format="json")


def test_threads_racing_for_the_last_units_in_both_orders_never_oversell(service_token):
    kettle, mug = ProductFactory(stock=10), ProductFactory(stock=10)
    forward, backward = [(kettle.pk, 1), (mug.pk, 1)], [(mug.pk, 1), (kettle.pk, 1)]
    calls = [
        reserve_call(service_token, uuid.uuid4(), forward if n % 2 else backward) for n in range(24)
    ]

    responses = race(calls)

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 10, 409: 14}
    assert stock_of(kettle, mug) == [0, 0]
    assert Reservation.objects.count() == 10


def test_repeated_reservation_ids_racing_take_stock_once_per_id(service_token):
    kettle, mug = ProductFactory(stock=100), ProductFactory(stock=100)
    ids = [uuid.uuid4() for _ in range(5)]
    calls = [
        reserve_call(service_token, ids[n % 5], [(kettle.pk, 2), (mug.pk, 3)]) for n in range(20)
    ]

    responses = race(calls)

    assert Counter(response.status_code for response in responses) == {201: 5, 200: 15}
    by_id = {response.json()["reservation_id"]: response.json() for response in responses}
    assert len(by_id) == 5
    assert stock_of(kettle, mug) == [100 - 5 * 2, 100 - 5 * 3]


def test_concurrent_releases_give_stock_back_exactly_once(service_token):
    kettle = ProductFactory(stock=10)
    reservation_id = uuid.uuid4()
    assert reserve_call(service_token, reservation_id, [(kettle.pk, 4)])().status_code == 201
    url = f"{URL}{reservation_id}/release/"

    responses = race([lambda: bearer_client(service_token).post(url)] * 20)

    assert {response.status_code for response in responses} == {200}
    assert stock_of(kettle) == [10]


def test_a_reserve_racing_a_release_of_the_same_id_never_keeps_stock(service_token):
    kettle = ProductFactory(stock=50)
    ids = [uuid.uuid4() for _ in range(10)]
    reserves = [reserve_call(service_token, rid, [(kettle.pk, 1)]) for rid in ids]
    releases = [
        lambda rid=rid: bearer_client(service_token).post(f"{URL}{rid}/release/") for rid in ids
    ]

    responses = race(reserves + releases)

    assert {response.status_code for response in responses} <= {200, 201, 410}
    assert all(r.status_code == 200 for r in responses[10:])
    # Every id ends released, so whatever a reserve took has come back.
    assert set(Reservation.objects.values_list("state", flat=True)) == {"released"}
    assert stock_of(kettle) == [50]


def wait_until_someone_waits_for_a_lock() -> None:
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Statistics views are a snapshot per transaction unless it is cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("nobody waited for a lock")


def test_a_real_deadlock_with_another_writer_is_retried_not_a_500(service_token, caplog):
    kettle, mug = ProductFactory(stock=10), ProductFactory(stock=10)
    mug_locked = threading.Event()

    def writer_in_the_opposite_order() -> str:
        """Like a bulk admin edit: locks the mug, then wants the kettle the reserve holds."""
        try:
            with transaction.atomic():
                Product.objects.filter(pk=mug.pk).update(stock=F("stock"))
                mug_locked.set()
                wait_until_someone_waits_for_a_lock()
                Product.objects.filter(pk=kettle.pk).update(stock=F("stock"))
            return "committed"
        except OperationalError:
            return "deadlock victim"
        finally:
            connection.close()

    def reservation() -> int:
        mug_locked.wait()
        try:
            return reserve_call(
                service_token, uuid.uuid4(), [(kettle.pk, 1), (mug.pk, 1)]
            )().status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        writer, reserved = pool.submit(writer_in_the_opposite_order), pool.submit(reservation)
        writer_outcome, status = writer.result(timeout=30), reserved.result(timeout=30)

    assert status == 201
    # PostgreSQL broke the deadlock by aborting one side: the writer, or the reserve,
    # which then ran again.
    assert writer_outcome == "deadlock victim" or "inventory transaction retried" in caplog.text
    assert stock_of(kettle, mug) == [9, 9]
