"""Every write that reads a body, public or internal, refuses unreadable JSON with a
JSON 400 at once."""

import pytest

from catalog.tests.factories import ProductFactory
from shop_testing.bad_input import UNREADABLE_BODIES, assert_unreadable_refused

pytestmark = pytest.mark.django_db

WRITES = [
    ("staff_client", "POST", "/api/v1/products/"),
    ("staff_client", "PUT", "/api/v1/products/{product}/"),
    ("staff_client", "PATCH", "/api/v1/products/{product}/"),
    ("staff_client", "POST", "/api/v1/categories/"),
    ("staff_client", "PATCH", "/api/v1/categories/{category}/"),
    ("service_client", "POST", "/internal/v1/reservations/"),
]


@pytest.mark.parametrize(("client", "method", "path"), WRITES)
@pytest.mark.parametrize("body", UNREADABLE_BODIES.values(), ids=list(UNREADABLE_BODIES))
def test_every_write_refuses_unreadable_json_at_once(request, client, method, path, body):
    product = ProductFactory()
    path = path.format(product=product.pk, category=product.category.pk)

    assert_unreadable_refused(request.getfixturevalue(client), method, path, body)
