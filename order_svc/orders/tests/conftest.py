"""Fixtures for order_svc's tests: a fake product_svc over real HTTP, signed-in clients."""

from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from orders import reservations
from orders.tests.fake_product_svc import FakeProductService
from shop_testing.shop import ADDRESS
from shop_testing.tokens import client_for


class StubCredential:
    """Stands in for the service credential (which would ask user_svc for a token)."""

    invalidated = 0

    def headers(self) -> dict[str, str]:
        return {"Authorization": FakeProductService.TOKEN}

    def invalidate(self) -> None:
        self.invalidated += 1


@pytest.fixture
def product_svc(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProductService]:
    fake = FakeProductService()
    fake.add(1, "Teapot", "19.99", stock=10)
    fake.add(2, "Cup", "4.35", stock=100)
    fake.add(3, "Rare tea", "0.10", stock=1)
    monkeypatch.setenv("PRODUCT_SVC_URL", fake.url)
    monkeypatch.setattr(reservations, "credential", StubCredential())
    yield fake
    fake.close()


@pytest.fixture
def customer() -> APIClient:
    return client_for(7)


@pytest.fixture
def other_customer() -> APIClient:
    return client_for(8)


@pytest.fixture
def staff() -> APIClient:
    return client_for(1, is_staff=True)


def order_body(*items: tuple[int, int], **changes: Any) -> dict[str, Any]:
    """`order_body((1, 2), (2, 1))`: two lines, with the test address."""
    body = {
        "items": [{"product_id": pid, "quantity": qty} for pid, qty in items],
        "shipping_address": ADDRESS,
    }
    return {**body, **changes}


@pytest.fixture
def place(customer: APIClient, product_svc: FakeProductService) -> Any:
    """Place an order as the customer: `place((1, 2))` returns the response."""

    def place_order(*items: tuple[int, int], client: APIClient = customer, **headers: str) -> Any:
        return client.post("/api/v1/orders/", order_body(*items), format="json", **headers)

    return place_order
