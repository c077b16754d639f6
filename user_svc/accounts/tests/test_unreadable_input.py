"""Every write refuses unreadable JSON with a JSON 400 at once: once `{"\ud800": 1}` to
register held a worker for seconds and ended in an HTML 500."""

import pytest

from shop_testing.bad_input import UNREADABLE_BODIES, assert_unreadable_refused

WRITES = [
    ("POST", "/api/v1/auth/register/"),
    ("POST", "/api/v1/auth/token/"),
    ("POST", "/api/v1/auth/token/refresh/"),
    ("POST", "/api/v1/auth/logout/"),
    ("PATCH", "/api/v1/users/me/"),
    ("POST", "/api/v1/users/me/password/"),
    ("POST", "/internal/v1/service-token/"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("body", UNREADABLE_BODIES.values(), ids=list(UNREADABLE_BODIES))
def test_every_write_refuses_unreadable_json_at_once(user_api, method, path, body):
    assert_unreadable_refused(user_api, method, path, body)
