import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from orders.models import Order, OrderStatusEvent, Payment
from orders.states import OrderStatus
from orders.tests.factories import OrderFactory, OrderLineFactory
from orders.tests.test_events import published
from shop_common.staff.models import StaffAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    # Signed in through user_svc, as account 42 (shop_common.staff).
    StaffAccount.objects.create(user=user, user_svc_id=42)
    client.force_login(user)
    return client


@pytest.fixture
def confirmed():
    order = OrderFactory(status=OrderStatus.CONFIRMED, currency="EUR")
    OrderLineFactory(order=order, name="Teapot", unit_price="19.99", line_total="19.99")
    return order


@pytest.mark.parametrize("query", ["", "?status__exact=confirmed", "?q=7", "?q=not+an+id"])
def test_the_order_list_renders(admin_client, confirmed, query):
    assert admin_client.get(f"/admin/orders/order/{query}").status_code == 200


def test_an_order_is_found_by_its_id(admin_client, confirmed):
    OrderFactory()

    response = admin_client.get(f"/admin/orders/order/?q={confirmed.id}")

    assert str(confirmed.id) in response.content.decode()
    assert response.context["cl"].result_count == 1


def test_the_change_page_shows_lines_and_history_read_only(admin_client, confirmed):
    response = admin_client.get(f"/admin/orders/order/{confirmed.id}/change/")

    assert response.status_code == 200
    assert "Teapot" in response.content.decode()
    assert admin_client.get("/admin/orders/order/add/").status_code == 403


def test_actions_move_orders_through_the_state_machine(admin_client, confirmed, product_svc):
    delivered = OrderFactory(status=OrderStatus.DELIVERED, currency="EUR")

    admin_client.post(
        "/admin/orders/order/",
        {"action": "mark_paid", "_selected_action": [confirmed.pk, delivered.pk]},
    )

    assert Order.objects.get(pk=confirmed.pk).status == OrderStatus.PAID
    assert Order.objects.get(pk=delivered.pk).status == OrderStatus.DELIVERED


def test_the_change_page_shows_the_orders_payments_and_refunds(admin_client, confirmed):
    Payment.objects.create(
        id="pay-declined", order=confirmed, status="failed", failure_reason="card_declined"
    )
    Payment.objects.create(
        id="pay-refunded", order=confirmed, status="refunded", refunded_at=timezone.now()
    )

    page = admin_client.get(f"/admin/orders/order/{confirmed.id}/change/").content.decode()

    assert "Payments and refunds" in page
    for shown in ("pay-declined", "card_declined", "pay-refunded", "refunded"):
        assert shown in page


def test_cancelling_a_paid_order_in_the_admin_asks_for_its_refund(admin_client, product_svc):
    paid = OrderFactory(status=OrderStatus.PAID, currency="EUR")

    admin_client.post(
        "/admin/orders/order/", {"action": "mark_cancelled", "_selected_action": [paid.pk]}
    )

    # payment_svc refunds the payment of an order.cancelled that says it was paid, as it
    # does for a cancel through the API (tests/test_order_flow.py).
    assert [event["paid"] for event in published("order.cancelled")] == [True]
    moved = OrderStatusEvent.objects.filter(order=paid).latest("at")
    assert (moved.status, moved.actor_id, moved.note) == ("cancelled", 42, "admin: admin")
