"""Orders when product_svc is down, hanging, or loses its answer: never stock lost."""

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from shop_testing.harness import System
from shop_testing.shop import Shop, StockProxy, crash, wait_for


@pytest.fixture(scope="module")
def shop(system: System) -> Shop:
    return Shop(system)


@pytest.fixture
def stock_proxy(system: System) -> Iterator[StockProxy]:
    """order_svc restarted to reach product_svc through a `StockProxy`; restored after."""
    proxy = StockProxy(system.url("product_svc"))
    system.stop("order_svc")
    try:
        system.start("order_svc", PRODUCT_SVC_URL=proxy.url)
        yield proxy
    finally:
        proxy.mode = "forward"
        system.stop("order_svc")
        system.start("order_svc")
        proxy.close()


def test_product_svc_down_is_a_503_in_seconds_and_no_stock_is_lost(shop, system):
    product, customer = shop.product(price="5.00", stock=10), shop.customer()
    shop.place(customer, (product, 1))  # the service token is fetched and cached
    system.stop("product_svc")
    try:
        started = time.monotonic()
        response = shop.place(customer, (product, 2))
        elapsed = time.monotonic() - started
    finally:
        system.start("product_svc")

    assert response.status_code == 503
    assert response.json()["detail"]
    assert elapsed < 5
    shop.reconcile()
    assert shop.stock(product) == 9
    assert customer.get(shop.orders()).json()["count"] == 1


def test_a_hanging_product_svc_is_a_503_in_seconds_and_a_late_reserve_takes_nothing(
    shop, stock_proxy
):
    product, customer = shop.product(price="5.00", stock=10), shop.customer()
    stock_proxy.mode, stock_proxy.delay = "late", 5.0

    started = time.monotonic()
    response = shop.place(customer, (product, 3))
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert elapsed < 6
    # product_svc now receives the reserve it was too slow for, then the release.
    assert wait_for(lambda: stock_proxy.forwarded >= 2, timeout=15)
    stock_proxy.mode = "forward"
    shop.reconcile()
    assert shop.stock(product) == 10


def test_a_lost_reservation_answer_is_retried_with_the_same_id_and_takes_stock_once(
    shop, stock_proxy
):
    product, customer = shop.product(price="5.00", stock=10), shop.customer()
    stock_proxy.mode = "drop-reserve-once"

    response = shop.place(customer, (product, 4))

    assert response.status_code == 201, response.text
    assert stock_proxy.reserves == 2
    assert shop.stock(product) == 6


def test_when_every_answer_is_lost_the_order_fails_and_its_stock_comes_back(shop, stock_proxy):
    product, customer = shop.product(price="5.00", stock=10), shop.customer()
    stock_proxy.mode = "drop-reserves"

    response = shop.place(customer, (product, 4))

    assert response.status_code == 503
    stock_proxy.mode = "forward"
    shop.reconcile()
    assert shop.stock(product) == 10


def test_an_order_whose_service_crashed_mid_reserve_is_confirmed_by_reconciliation(
    shop, system, stock_proxy
):
    product, customer = shop.product(price="5.00", stock=10), shop.customer()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    stock_proxy.mode, stock_proxy.delay = "late", 2.0
    with ThreadPoolExecutor(1) as pool:
        attempt = pool.submit(shop.place, customer, (product, 3), **key)
        assert wait_for(lambda: stock_proxy.received >= 1)
        crash(system, "order_svc")
        with pytest.raises(requests.ConnectionError):
            attempt.result()
    system.stop("order_svc")
    system.start("order_svc")
    assert wait_for(lambda: stock_proxy.forwarded >= 1)  # product_svc took the stock

    while_pending = shop.place(customer, (product, 3), **key)
    shop.reconcile()
    settled = shop.place(customer, (product, 3), **key)

    assert while_pending.status_code == 409
    assert settled.status_code == 201
    assert settled.json()["status"] == "confirmed"
    assert settled.headers["Idempotent-Replayed"] == "true"
    assert settled.headers["Location"] == f"/api/v1/orders/{settled.json()['id']}/"
    assert shop.stock(product) == 7
