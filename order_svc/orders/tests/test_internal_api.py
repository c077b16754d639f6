"""`/internal/v1/orders/<id>/`: what payment_svc reads of an order before charging it."""

import uuid
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orders.states import OrderStatus
from orders.tests.factories import OrderFactory
from shop_common.scopes import ServiceScope
from shop_testing.tokens import bearer_client, make_access_token, make_service_token

pytestmark = pytest.mark.django_db


def url(order_id: uuid.UUID) -> str:
    return f"/internal/v1/orders/{order_id}/"


@pytest.fixture
def payment_svc() -> APIClient:
    return bearer_client(make_service_token("payment_svc", ServiceScope.ORDERS_READ))


def test_a_service_with_the_scope_reads_owner_status_and_total(payment_svc):
    order = OrderFactory(
        user_id=42, status=OrderStatus.CONFIRMED, total=Decimal("19.99"), currency="EUR"
    )

    response = payment_svc.get(url(order.id))

    assert response.status_code == 200
    assert response.json() == {
        "id": str(order.id),
        "user_id": 42,
        "status": "confirmed",
        "total": "19.99",
        "currency": "EUR",
    }


def test_an_unknown_order_is_a_json_404(payment_svc):
    response = payment_svc.get(url(uuid.uuid4()))

    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "client",
    [
        pytest.param(lambda: bearer_client(make_service_token("product_svc")), id="no-scope"),
        pytest.param(lambda: bearer_client(make_access_token(42, is_staff=True)), id="staff-token"),
    ],
)
def test_other_tokens_are_refused_with_403(client):
    order = OrderFactory(user_id=42)

    assert client().get(url(order.id)).status_code == 403


def test_no_token_is_a_401():
    order = OrderFactory(user_id=42)

    assert APIClient().get(url(order.id)).status_code == 401
