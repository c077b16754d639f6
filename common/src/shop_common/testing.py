"""Tokens for tests of any service, signed with the local key (never used in production).

from shop_common.testing import make_access_token
client.get("/api/v1/orders/", HTTP_AUTHORIZATION=f"Bearer {make_access_token(7)}")
"""

from datetime import timedelta
from typing import Any

from django.conf import settings

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
    return sign_for_tests(
        {
            **new_claims(
                token_type=ACCESS,
                audience=settings.JWT_AUDIENCE,
                issuer=settings.JWT_ISSUER,
                lifetime=LIFETIME,
            ),
            "user_id": user_id,
            "is_staff": is_staff,
            **claims,
        }
    )


def make_service_token(service: str) -> str:
    """A valid service token for `service`, as user_svc's service-token endpoint gives."""
    return sign_for_tests(
        {
            **new_claims(
                token_type=SERVICE,
                audience=settings.JWT_SERVICE_AUDIENCE,
                issuer=settings.JWT_ISSUER,
                lifetime=LIFETIME,
            ),
            "sub": service,
        }
    )
