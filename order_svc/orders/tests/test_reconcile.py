from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from orders import reconcile as reconcile_module
from orders.models import IdempotencyRecord, Order
from orders.reconcile import reconcile
from orders.states import OrderStatus
from orders.tests.factories import IdempotencyRecordFactory, OrderLineFactory
from shop_common.idempotency import StoredAnswer

pytestmark = pytest.mark.django_db

NOW = timedelta(0)


@pytest.fixture
def stale_pending():
    """A pending order whose request died a while ago: 2 teapots."""
    line = OrderLineFactory(product_id=1, quantity=2)
    Order.objects.filter(pk=line.order_id).update(updated_at=timezone.now() - timedelta(minutes=5))
    return line.order


def reserve(product_svc, order):
    items = [{"product_id": li.product_id, "quantity": li.quantity} for li in order.lines.all()]
    product_svc.inventory.reserve({"reservation_id": str(order.id), "items": items})


def test_a_stale_pending_order_with_a_held_reservation_is_confirmed(stale_pending, product_svc):
    reserve(product_svc, stale_pending)
    record = IdempotencyRecordFactory(order=stale_pending)

    outcomes = reconcile(older_than=timedelta(minutes=1))

    assert outcomes["confirmed"] == 1
    order = Order.objects.get()
    assert (order.status, str(order.total)) == (OrderStatus.CONFIRMED, "39.98")
    record.refresh_from_db()
    assert (record.state, record.response_status) == ("done", 201)
    answer = StoredAnswer.kept_in(record)
    assert answer.body["id"] == str(order.id)
    assert answer.headers == {"Location": f"/api/v1/orders/{order.id}/"}
    assert product_svc.inventory.stock(1) == 8


def test_a_stale_pending_order_without_a_reservation_fails_and_a_late_reserve_takes_nothing(
    stale_pending, product_svc
):
    IdempotencyRecordFactory(order=stale_pending)

    outcomes = reconcile(older_than=timedelta(minutes=1))

    assert outcomes["failed"] == 1
    order = Order.objects.get()
    assert order.status == OrderStatus.FAILED
    assert order.released_at is not None
    assert not IdempotencyRecord.objects.exists()
    reserve(product_svc, order)
    assert product_svc.inventory.stock(1) == 10


def test_a_failed_order_whose_release_was_lost_is_released(product_svc):
    order = OrderLineFactory(order__status=OrderStatus.FAILED).order
    reserve(product_svc, order)
    Order.objects.filter(pk=order.pk).update(updated_at=timezone.now() - timedelta(minutes=2))

    outcomes = reconcile(older_than=timedelta(minutes=1))

    assert outcomes["released"] == 1
    assert product_svc.inventory.stock(1) == 10
    assert Order.objects.get().released_at is not None
    assert reconcile(older_than=NOW)["released"] == 0


def test_recent_orders_are_left_alone(product_svc):
    OrderLineFactory()

    assert reconcile(older_than=timedelta(minutes=1))["failed"] == 0
    assert Order.objects.get().status == OrderStatus.PENDING


def test_an_unreachable_product_svc_leaves_the_order_for_the_next_round(stale_pending, product_svc):
    product_svc.close()

    outcomes = reconcile(older_than=NOW)

    assert outcomes["unreachable"] == 1
    assert Order.objects.get().status == OrderStatus.PENDING


def test_expired_and_abandoned_keys_are_purged(product_svc):
    IdempotencyRecordFactory(expires_at=timezone.now() - timedelta(seconds=1))
    IdempotencyRecordFactory(created_at=timezone.now() - timedelta(minutes=5))
    kept = IdempotencyRecordFactory()

    assert reconcile(older_than=timedelta(minutes=1))["keys_purged"] == 2
    assert list(IdempotencyRecord.objects.all()) == [kept]


def test_the_command_reports_what_it_settled(stale_pending, product_svc):
    out = StringIO()

    call_command("reconcile_orders", "--older-than", "0", stdout=out)

    assert "failed: 1" in out.getvalue()


def stale(order):
    Order.objects.filter(pk=order.pk).update(updated_at=timezone.now() - timedelta(minutes=5))


def test_an_order_too_large_to_confirm_is_failed_and_the_next_one_still_settles(
    stale_pending, product_svc
):
    for product_id in range(10, 21):
        product_svc.add(product_id, "Crown jewel", "99999999.99", stock=100_000)
    too_large = OrderLineFactory(product_id=10, quantity=100_000).order
    for product_id in range(11, 21):
        OrderLineFactory(order=too_large, product_id=product_id, quantity=100_000)
    stale(too_large)
    Order.objects.filter(pk=stale_pending.pk).update(updated_at=timezone.now())
    stale(stale_pending)  # settled after the large one: its updated_at is later
    reserve(product_svc, too_large)
    reserve(product_svc, stale_pending)

    outcomes = reconcile(older_than=timedelta(minutes=1))

    assert (outcomes["failed"], outcomes["confirmed"]) == (1, 1)
    too_large.refresh_from_db()
    assert too_large.status == OrderStatus.FAILED
    assert "worth more than an order may be" in too_large.history.last().note
    assert product_svc.inventory.stock(10) == 100_000
    assert Order.objects.get(pk=stale_pending.pk).status == OrderStatus.CONFIRMED


def test_an_order_that_cannot_be_settled_is_logged_and_never_stalls_the_others(
    stale_pending, product_svc, monkeypatch, caplog
):
    """A bug met while settling one order (here: any exception) is that order's alone."""
    broken = OrderLineFactory(product_id=2, quantity=1).order
    stale(broken)
    Order.objects.filter(pk=broken.pk).update(updated_at=timezone.now() - timedelta(minutes=9))
    reserve(product_svc, stale_pending)
    settle = reconcile_module.settle

    def settle_or_break(order):
        if order.pk == broken.pk:
            raise RuntimeError("a bug in settling this one order")
        return settle(order)

    monkeypatch.setattr(reconcile_module, "settle", settle_or_break)

    first = reconcile(older_than=timedelta(minutes=1))

    assert (first["errors"], first["confirmed"]) == (1, 1)
    assert [r.message for r in caplog.records if r.levelname == "ERROR"] == ["order not settled"]
    broken.refresh_from_db()
    assert broken.status == OrderStatus.PENDING
    assert broken.updated_at > timezone.now() - timedelta(minutes=1)  # to the back of the queue
