"""Fixtures for payment_svc's tests: a fake order_svc over real HTTP, signed-in clients,
and signed webhooks."""

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from payments import orders
from payments.providers import signing
from shop_common.service_credentials import ServiceCredential
from shop_testing.fake_service import FakeService, Received, Reply
from shop_testing.tokens import client_for

CUSTOMER, OTHER_CUSTOMER = 7, 8
WEBHOOK_URL = "/api/v1/payments/webhooks/simulated/"
TOKEN = "Bearer fake-service-token"


class FakeOrderService:
    """order_svc's internal orders API, in memory: `add()` an order, then it answers."""

    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.server = FakeService(answer=self._answer)

    @property
    def url(self) -> str:
        return self.server.url

    def add(
        self, *, user_id: int = CUSTOMER, status: str = "confirmed", total: str = "19.99"
    ) -> uuid.UUID:
        order_id = uuid.uuid4()
        self.orders[str(order_id)] = {
            "id": str(order_id),
            "user_id": user_id,
            "status": status,
            "total": total,
            "currency": "EUR",
        }
        return order_id

    def _answer(self, request: Received) -> Reply:
        if request.header("Authorization") != TOKEN:
            return Reply(401, {"detail": "Not a service token."})
        order_id = request.path.removeprefix("/internal/v1/orders/").strip("/")
        if order_id not in self.orders:
            return Reply(404, {"detail": "Not found."})
        return Reply(200, self.orders[order_id])

    def close(self) -> None:
        self.server.close()


class StubCredential(ServiceCredential):
    """Stands in for the service credential (which would ask user_svc for a token)."""

    def __init__(self) -> None:
        super().__init__("payment_svc")

    def headers(self) -> dict[str, str]:
        return {"Authorization": TOKEN}


@pytest.fixture
def order_svc(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOrderService]:
    fake = FakeOrderService()
    monkeypatch.setenv("ORDER_SVC_URL", fake.url)
    monkeypatch.setattr(orders, "credential", StubCredential())
    yield fake
    fake.close()


@pytest.fixture
def customer() -> APIClient:
    return client_for(CUSTOMER)


@pytest.fixture
def other_customer() -> APIClient:
    return client_for(OTHER_CUSTOMER)


@pytest.fixture
def staff() -> APIClient:
    return client_for(1, is_staff=True)


def pay_body(order_id: uuid.UUID, token: str = "tok_visa", **changes: Any) -> dict[str, Any]:
    return {
        "order_id": str(order_id),
        "payment_method": {"type": "card", "token": token},
        **changes,
    }


@pytest.fixture
def pay(customer: APIClient, order_svc: FakeOrderService) -> Callable[..., Any]:
    """Pay as the customer: `pay(order_id, "tok_visa")` returns the response."""

    def pay_order(
        order_id: uuid.UUID,
        token: str = "tok_visa",
        *,
        client: APIClient = customer,
        **headers: str,
    ) -> Any:
        return client.post("/api/v1/payments/", pay_body(order_id, token), format="json", **headers)

    return pay_order


def event(
    reference: str, *, event_type: str = "payment_intent.succeeded", **intent: Any
) -> dict[str, Any]:
    """A provider event about the charge `reference`, Stripe-shaped."""
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": event_type,
        "created": 0,
        "data": {"object": {"id": reference, "object": "payment_intent", **intent}},
    }


def post_webhook(
    client: APIClient,
    body: dict[str, Any] | bytes,
    *,
    secret: str | None = None,
    timestamp: int | None = None,
    signature: str | None = None,
) -> Any:
    """Deliver `body` to the webhook, signed with the configured secret unless told."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    if signature is None:
        signature = signing.sign(
            secret or settings.PAYMENT_WEBHOOK_SECRET, raw, timestamp=timestamp
        )
    headers = {signing.HEADER: signature} if signature else {}
    return client.generic(
        "POST", WEBHOOK_URL, raw, content_type="application/json", headers=headers
    )


@pytest.fixture
def paid(pay: Callable[..., Any], order_svc: FakeOrderService) -> Callable[..., dict[str, Any]]:
    """A payment made with `token` for a new order of the customer: its JSON."""

    def make(token: str = "tok_visa", total: str = "19.99") -> dict[str, Any]:
        response = pay(order_svc.add(total=total), token)
        assert response.status_code == 201, response.content
        return response.json()

    return make
