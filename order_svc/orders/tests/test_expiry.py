"""Orders unpaid after ORDER_PAYMENT_TIMEOUT are cancelled by the shop, once, and a payment
applied at the same moment either wins or leaves the order cancelled: never both."""

import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from orders import services
from orders.expiry import expire_unpaid_orders
from orders.models import Order
from orders.states import OrderStatus

TIMEOUT = timedelta(seconds=900)


def placed_long_ago(place, *items, seconds: int = 901) -> Order:
    order_id = place(*items).json()["id"]
    Order.objects.filter(pk=order_id).update(created_at=timezone.now() - timedelta(seconds=seconds))
    return Order.objects.get(pk=order_id)


@pytest.mark.django_db
def test_an_unpaid_order_is_cancelled_after_the_timeout_and_its_stock_goes_back(place, product_svc):
    order = placed_long_ago(place, (1, 3))

    assert expire_unpaid_orders(timeout=TIMEOUT) == 1

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.released_at is not None
    assert product_svc.inventory.stock(1) == 10
    last = order.history.last()
    assert (last.status, last.actor_id) == (OrderStatus.CANCELLED, None)
    assert "900 seconds" in last.note
    assert "ORDER_PAYMENT_TIMEOUT" in last.note


@pytest.mark.django_db
def test_recent_paid_and_cancelled_orders_are_left_alone(place, customer, staff, product_svc):
    recent = place((1, 1)).json()["id"]
    paid = placed_long_ago(place, (2, 1))
    staff.post(f"/api/v1/orders/{paid.id}/status/", {"status": "paid"}, format="json")
    cancelled = placed_long_ago(place, (2, 1))
    customer.post(f"/api/v1/orders/{cancelled.id}/cancel/")

    assert expire_unpaid_orders(timeout=TIMEOUT) == 0

    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {
        Order.objects.get(pk=recent).pk: OrderStatus.CONFIRMED,
        paid.pk: OrderStatus.PAID,
        cancelled.pk: OrderStatus.CANCELLED,
    }
    assert Order.objects.get(pk=cancelled.pk).history.filter(status="cancelled").count() == 1


@pytest.mark.django_db
def test_the_timeout_comes_from_the_settings(place, settings):
    settings.ORDER_PAYMENT_TIMEOUT = 60
    order = placed_long_ago(place, (1, 1), seconds=61)

    assert expire_unpaid_orders() == 1
    assert "60 seconds" in Order.objects.get(pk=order.pk).history.last().note


@pytest.mark.django_db
def test_the_command_cancels_each_unpaid_order_once(place, capsys):
    placed_long_ago(place, (1, 1))
    placed_long_ago(place, (2, 1))

    call_command("expire_orders", "--timeout", "900")
    call_command("expire_orders")

    assert capsys.readouterr().out.splitlines() == [
        "2 unpaid order(s) cancelled",
        "0 unpaid order(s) cancelled",
    ]


def test_the_command_refuses_a_timeout_below_one_second():
    with pytest.raises(CommandError, match="at least 1 second"):
        call_command("expire_orders", "--timeout", "0")


def run_together(*jobs) -> None:
    """Run each job in its own thread and database connection, all at once."""
    start = threading.Barrier(len(jobs))

    def run(job) -> None:
        try:
            start.wait()
            job()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.django_db(transaction=True)
def test_replicas_expiring_together_cancel_each_order_once(place, product_svc):
    orders = [placed_long_ago(place, (2, 1)) for _ in range(6)]
    counts: list[int] = []

    run_together(*[lambda: counts.append(expire_unpaid_orders(timeout=TIMEOUT))] * 3)

    assert sum(counts) == 6
    for order in orders:
        assert order.history.filter(status=OrderStatus.CANCELLED).count() == 1
    assert product_svc.inventory.stock(2) == 100


@pytest.mark.django_db(transaction=True)
def test_a_payment_racing_the_timeout_either_wins_or_finds_the_order_cancelled(place, product_svc):
    orders = [placed_long_ago(place, (2, 1)) for _ in range(8)]

    def pay_all() -> None:
        # Newest first, so that the payments and the expiry (oldest first) meet midway.
        for order in reversed(orders):
            services.pay_order(order_id=order.id, payment_id=f"pay-{order.id}")

    run_together(lambda: expire_unpaid_orders(timeout=TIMEOUT), pay_all)

    for order in Order.objects.all():
        statuses = [entry.status for entry in order.history.all()]
        assert order.status in (OrderStatus.PAID, OrderStatus.CANCELLED)
        # Exactly one ending: paid once and never cancelled, or cancelled and never paid.
        assert statuses.count(order.status) == 1
        assert {OrderStatus.PAID, OrderStatus.CANCELLED} - {order.status} & set(statuses) == set()
    cancelled = Order.objects.filter(status=OrderStatus.CANCELLED).count()
    assert product_svc.inventory.stock(2) == 100 - (len(orders) - cancelled)
