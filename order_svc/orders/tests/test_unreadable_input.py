"""Every write that reads a body refuses unreadable JSON with a JSON 400 at once."""

import pytest

from orders.tests.factories import OrderFactory
from shop_testing.bad_input import UNREADABLE_BODIES, assert_unreadable_refused

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "key-1"}], ids=["plain", "keyed"])
@pytest.mark.parametrize("body", UNREADABLE_BODIES.values(), ids=list(UNREADABLE_BODIES))
def test_placing_refuses_unreadable_json_at_once(customer, body, headers):
    assert_unreadable_refused(customer, "POST", "/api/v1/orders/", body, **headers)


@pytest.mark.parametrize("body", UNREADABLE_BODIES.values(), ids=list(UNREADABLE_BODIES))
def test_a_status_change_refuses_unreadable_json_at_once(staff, body):
    order = OrderFactory()

    assert_unreadable_refused(staff, "POST", f"/api/v1/orders/{order.pk}/status/", body)
