"""Minting and reading user_svc's tokens, signed with the private key only it holds.

simplejwt's own token classes sign without a `kid` and verify with a single key, so the
tokens are minted here with `accounts.signing` and verified with `shop_common.auth`,
like everywhere else; simplejwt's blacklist app keeps the refresh-token records.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from accounts.exceptions import TokenRejected
from accounts.models import User
from accounts.service_clients import scopes_of
from accounts.signing import new_claims, sign
from shop_common.auth import ACCESS, SERVICE, InvalidToken, decode_token

REFRESH = "refresh"


@dataclass(frozen=True)
class MintedToken:
    token: str
    claims: dict[str, Any]

    @property
    def issued_at(self) -> datetime:
        return datetime.fromtimestamp(self.claims["iat"], UTC)

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.claims["exp"], UTC)


def _mint(*, token_type: str, audience: str, lifetime: timedelta, **claims: Any) -> MintedToken:
    claims = {
        **new_claims(
            token_type=token_type,
            audience=audience,
            issuer=settings.JWT_ISSUER,
            lifetime=lifetime,
        ),
        **claims,
    }
    token = sign(claims, kid=settings.JWT_SIGNING_KID, private_key=settings.JWT_SIGNING_KEY)
    return MintedToken(token, claims)


def mint_access_token(user: User) -> MintedToken:
    return _mint(
        token_type=ACCESS,
        audience=settings.JWT_AUDIENCE,
        lifetime=settings.JWT_ACCESS_TOKEN_LIFETIME,
        user_id=user.pk,
        is_staff=user.is_staff,
    )


def mint_refresh_token(user: User) -> MintedToken:
    # Only user_svc reads refresh tokens, so they are addressed to user_svc itself.
    return _mint(
        token_type=REFRESH,
        audience=settings.JWT_ISSUER,
        lifetime=settings.JWT_REFRESH_TOKEN_LIFETIME,
        user_id=user.pk,
    )


def mint_service_token(client_id: str) -> MintedToken:
    return _mint(
        token_type=SERVICE,
        audience=settings.JWT_SERVICE_AUDIENCE,
        lifetime=settings.JWT_SERVICE_TOKEN_LIFETIME,
        sub=client_id,
        # A space-separated string, as OAuth's `scope` claim is (RFC 8693).
        scope=" ".join(sorted(scopes_of(client_id))),
    )


def read_refresh_token(token: str) -> dict[str, Any]:
    """The claims of a refresh token with a valid signature; revocation is checked apart."""
    try:
        claims = decode_token(token, audience=settings.JWT_ISSUER, token_type=REFRESH)
    except InvalidToken as exc:
        raise TokenRejected(exc.message) from None
    if type(claims.get("user_id")) is not int:
        raise TokenRejected("Token lacks a valid 'user_id' claim.")
    return claims
