"""Helpers for tests of any service: tokens signed with the local key (never used in
production), and reading `/metrics` the way Prometheus would.

from shop_common.testing import make_access_token
client.get("/api/v1/orders/", HTTP_AUTHORIZATION=f"Bearer {make_access_token(7)}")
"""

import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from shop_common.auth import ACCESS, SERVICE
from shop_common.jwt_keys import new_claims, sign, signing_key

LIFETIME = timedelta(minutes=5)


def sign_for_tests(claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
    """Sign any claims (valid or not) the way user_svc signs, for attack tests."""
    # pytest-django turns DEBUG off while tests run; the test key is the local one anyway.
    kid, private_key = signing_key(
        key_dir=settings.JWT_KEYS_DIR, debug=True, public_keys=settings.JWT_PUBLIC_KEYS
    )
    return sign(claims, kid=kid, private_key=private_key, headers=headers)


def make_access_token(user_id: int, *, is_staff: bool = False, **claims: Any) -> str:
    """A valid access token for `user_id`; keyword claims add to or override the defaults."""
    return _make_token(
        ACCESS, settings.JWT_AUDIENCE, {"user_id": user_id, "is_staff": is_staff, **claims}
    )


def make_service_token(service: str) -> str:
    """A valid service token for `service`, as user_svc's service-token endpoint gives."""
    return _make_token(SERVICE, settings.JWT_SERVICE_AUDIENCE, {"sub": service})


def _make_token(token_type: str, audience: str, claims: dict[str, Any]) -> str:
    registered = new_claims(
        token_type=token_type, audience=audience, issuer=settings.JWT_ISSUER, lifetime=LIFETIME
    )
    return sign_for_tests({**registered, **claims})


def scrape_metrics(client: Client) -> list[Sample]:
    """Every sample `/metrics` shows now; fails unless it answers in the Prometheus format."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    families = text_string_to_metric_families(response.content.decode())
    return [sample for family in families for sample in family.samples]


def metric_value(samples: list[Sample], name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels`."""
    return sum(
        sample.value
        for sample in samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def metric_growth(before: list[Sample], after: list[Sample], name: str, **labels: str) -> float:
    """How much `metric_value` grew between two scrapes (counters live for the process)."""
    return metric_value(after, name, **labels) - metric_value(before, name, **labels)


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
