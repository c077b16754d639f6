"""Every write that reads a body refuses unreadable JSON with a JSON 400 at once."""

import pytest

from payments.tests.conftest import post_webhook
from shop_testing.bad_input import UNREADABLE_BODIES, assert_unreadable_refused

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "key-1"}], ids=["plain", "keyed"])
@pytest.mark.parametrize("body", UNREADABLE_BODIES.values(), ids=list(UNREADABLE_BODIES))
def test_paying_refuses_unreadable_json_at_once(customer, body, headers):
    assert_unreadable_refused(customer, "POST", "/api/v1/payments/", body, **headers)


@pytest.mark.parametrize("body", UNREADABLE_BODIES.values(), ids=list(UNREADABLE_BODIES))
def test_a_signed_webhook_with_unreadable_json_is_a_400(client, body):
    response = post_webhook(client, body)

    assert response.status_code == 400
    assert response.json()["detail"]
