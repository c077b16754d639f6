"""The payments admin: read-only history, refunds through the service, by permission."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from payments.models import Payment, ProviderEvent, Refund
from payments.tests.conftest import event, post_webhook

pytestmark = pytest.mark.django_db

PAGES = (
    "/admin/payments/payment/",
    "/admin/payments/providerevent/",
    "/admin/payments/refund/",
    "/admin/payments/cancelledorder/",
    "/admin/payments/scheduledwebhook/",
)


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


def staff_with(*codenames: str) -> Client:
    user = get_user_model().objects.create_user("clerk", "clerk@example.com", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", PAGES)
def test_every_list_renders(admin_client, paid, path):
    paid("tok_visa")

    assert admin_client.get(path).status_code == 200


@pytest.mark.parametrize("query", ["?q=7", "?q=not+an+id", "?status__exact=succeeded"])
def test_the_payment_list_searches_and_filters(admin_client, paid, query):
    paid("tok_visa")

    assert admin_client.get(f"/admin/payments/payment/{query}").status_code == 200


def test_a_payment_is_found_by_its_order_id(admin_client, paid):
    payment = paid("tok_visa")
    paid("tok_visa")

    response = admin_client.get(f"/admin/payments/payment/?q={payment['order_id']}")

    assert response.context["cl"].result_count == 1


def test_the_change_page_shows_history_read_only(admin_client, paid):
    payment = paid("tok_chargeDeclined")

    response = admin_client.get(f"/admin/payments/payment/{payment['id']}/change/")

    assert response.status_code == 200
    assert "card_declined" in response.content.decode()
    assert admin_client.get("/admin/payments/payment/add/").status_code == 403
    assert admin_client.post(f"/admin/payments/payment/{payment['id']}/delete/").status_code == 403


def test_provider_events_are_read_only(admin_client, client, paid):
    payment = Payment.objects.get(pk=paid("tok_async")["id"])
    post_webhook(client, event(payment.provider_reference))
    received = ProviderEvent.objects.get()

    assert (
        admin_client.get(f"/admin/payments/providerevent/{received.pk}/change/").status_code == 200
    )
    assert admin_client.get("/admin/payments/providerevent/add/").status_code == 403


def test_the_refund_action_refunds_through_the_service(admin_client, paid):
    refundable, declined = paid("tok_visa"), paid("tok_chargeDeclined")

    admin_client.post(
        "/admin/payments/payment/",
        {"action": "refund_payments", "_selected_action": [refundable["id"], declined["id"]]},
    )

    assert Payment.objects.get(pk=refundable["id"]).status == "refunded"
    assert Payment.objects.get(pk=declined["id"]).status == "failed"
    assert Refund.objects.get().reason == "admin: admin"


def test_refunding_takes_its_own_permission(paid):
    payment = paid("tok_visa")
    viewer = staff_with("view_payment")

    page = viewer.get("/admin/payments/payment/")
    viewer.post(
        "/admin/payments/payment/",
        {"action": "refund_payments", "_selected_action": [payment["id"]]},
    )

    assert page.status_code == 200
    assert "refund_payments" not in page.content.decode()
    assert Payment.objects.get(pk=payment["id"]).status == "succeeded"
