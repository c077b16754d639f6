"""Request bodies no service may choke on, and the check that one is refused properly."""

import time

from django.test import Client

# JSON bodies every write of every service refuses with a 400 (`shop_common.parsers`):
# each once made a 500 somewhere, or held a worker for seconds.
UNREADABLE_BODIES = {
    "100000 brackets": b"[" * 100_000,
    "lone surrogate key": b'{"\\ud800": 1}',
    "lone surrogate value": b'{"email": "\\ud800@example.com", "name": "\\udfff"}',
    "NUL": b'{"email": "a\\u0000@example.com", "name": "\\u0000"}',
    "infinite number": b'{"quantity": 1e999999, "price": 1e999999}',
    "not UTF-8": b'{"name": "\xff"}',
}


def assert_unreadable_refused(
    client: Client, method: str, path: str, body: bytes, **headers: str
) -> None:
    """`body` sent to `path` is a JSON 400 with a `detail`, answered in well under a second."""
    started = time.perf_counter()
    response = client.generic(method, path, body, content_type="application/json", headers=headers)
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert time.perf_counter() - started < 1.0
