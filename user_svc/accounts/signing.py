"""The private key that signs user_svc's tokens, the signing itself, and the JWKS that
publishes the public keys. Only user_svc signs; every service verifies with
`shop_common.auth` and the public keys of `shop_common.jwt_keys`.

Imported by the settings, so nothing here touches models or settings at import.
"""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

from shop_common.jwt_keys import (
    ALGORITHM,
    PRIVATE_KEY_ENV,
    PUBLIC_KEYS_ENV,
    jwk,
    load_private_key,
    load_public_key,
    private_key_pem,
)


def signing_key(
    *, key_dir: Path, debug: bool, public_keys: Mapping[str, str]
) -> tuple[str, rsa.RSAPrivateKey]:
    """The private key and the `kid` under which the verifying services know it."""
    private_key = load_private_key(private_key_pem(key_dir=key_dir, debug=debug))
    own = private_key.public_key().public_numbers()
    for kid, pem in public_keys.items():
        if load_public_key(pem).public_numbers() == own:
            return kid, private_key
    raise ImproperlyConfigured(
        f"the public half of {PRIVATE_KEY_ENV} is not among {PUBLIC_KEYS_ENV}: "
        "tokens it signs could not be verified"
    )


def jwks(public_keys: Mapping[str, str]) -> dict[str, list[dict[str, str]]]:
    """The JSON Web Key Set (RFC 7517) of every key that verifies tokens."""
    return {
        "keys": [
            {**jwk(load_public_key(pem)), "kid": kid, "use": "sig", "alg": ALGORITHM}
            for kid, pem in public_keys.items()
        ]
    }


def new_claims(
    *, token_type: str, audience: str, issuer: str, lifetime: timedelta
) -> dict[str, Any]:
    """The registered claims every shop token carries; callers add their own."""
    now = datetime.now(UTC)
    return {
        "token_type": token_type,
        "iss": issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
    }


def sign(
    claims: Mapping[str, Any],
    *,
    kid: str,
    private_key: rsa.RSAPrivateKey,
    headers: Mapping[str, Any] | None = None,
) -> str:
    return jwt.encode(
        dict(claims), private_key, algorithm=ALGORITHM, headers={"kid": kid, **(headers or {})}
    )
