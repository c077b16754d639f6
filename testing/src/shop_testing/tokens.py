"""Tokens for tests of any service, signed with the local key (never used in production).

from shop_testing.tokens import make_access_token
client.get("/api/v1/orders/", HTTP_AUTHORIZATION=f"Bearer {make_access_token(7)}")
"""

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from rest_framework.test import APIClient

from shop_common.auth import ACCESS, SERVICE
from shop_common.jwt_keys import ALGORITHM, key_id, load_private_key, private_key_pem

LIFETIME_SECONDS = 300


def local_signing_key() -> rsa.RSAPrivateKey:
    """The key user_svc signs with on the embedded defaults, which every test process shares."""
    # pytest-django turns DEBUG off while tests run; the test key is the local one anyway.
    return load_private_key(private_key_pem(key_dir=settings.JWT_KEYS_DIR, debug=True))


def sign_for_tests(
    claims: dict[str, Any],
    *,
    headers: dict[str, Any] | None = None,
    private_key: rsa.RSAPrivateKey | None = None,
) -> str:
    """Sign any claims (valid or not) the way user_svc signs, for attack tests; with the
    local key under its `kid` unless `private_key` or `headers` say otherwise."""
    local_key = local_signing_key()
    header = {"kid": key_id(local_key.public_key()), **(headers or {})}
    return jwt.encode(claims, private_key or local_key, algorithm=ALGORITHM, headers=header)


def make_access_token(user_id: int, *, is_staff: bool = False, **claims: Any) -> str:
    """A valid access token for `user_id`; keyword claims add to or override the defaults."""
    return _make_token(
        ACCESS, settings.JWT_AUDIENCE, {"user_id": user_id, "is_staff": is_staff, **claims}
    )


def bearer_client(token: str) -> APIClient:
    """A DRF test client that sends `Authorization: Bearer <token>` with every request."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def client_for(user_id: int, *, is_staff: bool = False) -> APIClient:
    """A test client signed in as `user_id` with a valid access token."""
    return bearer_client(make_access_token(user_id, is_staff=is_staff))


def make_service_token(service: str, *scopes: str) -> str:
    """A valid service token for `service` granting `scopes`, as user_svc's service-token
    endpoint gives."""
    claims = {"sub": service, "scope": " ".join(scopes)}
    return _make_token(SERVICE, settings.JWT_SERVICE_AUDIENCE, claims)


def _make_token(token_type: str, audience: str, claims: dict[str, Any]) -> str:
    now = int(time.time())
    registered = {"token_type": token_type, "iss": settings.JWT_ISSUER, "aud": audience}
    lifetime = {"iat": now, "exp": now + LIFETIME_SECONDS, "jti": uuid.uuid4().hex}
    return sign_for_tests({**registered, **lifetime, **claims})
