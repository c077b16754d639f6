"""Stateless verification of the shop's JWTs: the public key only, no database, no network.

Two kinds of token are accepted, and neither can stand in for the other: access tokens
(`token_type` "access", audience `JWT_AUDIENCE`) that user_svc gives customers and staff,
and service tokens (`token_type` "service", audience `JWT_SERVICE_AUDIENCE`) that it gives
services for `/internal/` endpoints. Only RS256 is accepted; the header's `kid` picks one
of `JWT_PUBLIC_KEYS`, so keys can rotate.
"""

import base64
import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from django.conf import settings
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from shop_common.jwt_keys import ALGORITHM, load_public_key
from shop_common.log import user_id_var

ACCESS = "access"
SERVICE = "service"
REQUIRED_CLAIMS = ["exp", "iat", "jti", "iss", "aud", "token_type"]


class InvalidToken(Exception):
    """A token that must not be trusted; `message` says why, in words fit for a client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def decode_token(token: str, *, audience: str, token_type: str) -> dict[str, Any]:
    """Verify signature, algorithm, key id, expiry, issuer, audience and token type."""
    header = _unverified_header(token)
    if header.get("alg") != ALGORITHM:
        raise InvalidToken(f"Token must be signed with {ALGORITHM}.")
    kid = header.get("kid")
    pem = settings.JWT_PUBLIC_KEYS.get(kid) if isinstance(kid, str) else None
    if pem is None:
        raise InvalidToken("Token is signed with an unknown key.")
    leeway = settings.JWT_LEEWAY_SECONDS
    claims = _verified(token, pem, audience, settings.JWT_ISSUER, leeway)
    # Checked on every use: the only verdict that time can change.
    if claims["exp"] <= time.time() - leeway:
        raise InvalidToken("Token has expired.")
    if claims["token_type"] != token_type:
        raise InvalidToken(f"Wrong token type: expected {token_type!r}.")
    return dict(claims)


@functools.lru_cache(maxsize=4096)
def _verified(token: str, pem: str, audience: str, issuer: str, leeway: int) -> dict[str, Any]:
    """The claims of a token PyJWT has verified with this key, audience and issuer, kept
    for the next request with the same token: a customer sends the same token for its
    whole life, and each service it reaches verified it again (RSA: 146 µs of CPU here
    against 9 µs kept, three times an order). A pure function of its arguments, so no replica needs
    another's; a refused token is not kept and is checked again every time. A key taken
    out of `JWT_PUBLIC_KEYS` refuses its tokens at once (the lookup above runs first)."""
    try:
        return jwt.decode(
            token,
            load_public_key(pem),
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(_reason(exc)) from None


def _unverified_header(token: str) -> dict[str, Any]:
    """The header, only to pick the key: PyJWT checks it strictly afterwards. Parsed here
    because PyJWT's own parse of a whole token costs as much as the RSA check."""
    segment = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError, RecursionError):  # bad base64, UTF-8 or JSON
        raise InvalidToken("Token is malformed.") from None
    if not isinstance(header, dict):
        raise InvalidToken("Token is malformed.")
    return header


def _reason(exc: jwt.PyJWTError) -> str:
    match exc:
        case jwt.ExpiredSignatureError():
            return "Token has expired."
        case jwt.InvalidSignatureError():
            return "Token signature is invalid."
        case jwt.InvalidAudienceError():
            return "Token is not meant for this audience."
        case jwt.InvalidIssuerError():
            return "Token was not issued by this shop."
        case jwt.MissingRequiredClaimError():
            return f"Token lacks the {exc.claim!r} claim."
        case jwt.ImmatureSignatureError():
            return "Token is not valid yet."
    return "Token is invalid."


def verify_access_token(token: str) -> dict[str, Any]:
    """The claims of a valid access token, or `InvalidToken` (the gateway calls this)."""
    claims = decode_token(token, audience=settings.JWT_AUDIENCE, token_type=ACCESS)
    if type(claims.get("user_id")) is not int or type(claims.get("is_staff")) is not bool:
        raise InvalidToken("Token lacks a valid 'user_id' or 'is_staff' claim.")
    return claims


def verify_service_token(token: str) -> dict[str, Any]:
    """The claims of a valid service token; `sub` names the calling service, `scope` (a
    space-separated string, as in RFC 8693) the internal APIs it may call."""
    claims = decode_token(token, audience=settings.JWT_SERVICE_AUDIENCE, token_type=SERVICE)
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidToken("Token lacks a valid 'sub' claim.")
    if not isinstance(claims.get("scope", ""), str):
        raise InvalidToken("Token has an invalid 'scope' claim.")
    return claims


@dataclass(frozen=True)
class TokenUser:
    """The signed-in user as the access token describes them, without a database row."""

    id: int
    is_staff: bool = False
    claims: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    is_authenticated = True
    is_anonymous = False
    is_service = False

    @property
    def pk(self) -> int:
        return self.id

    def __str__(self) -> str:
        return f"user {self.id}"


@dataclass(frozen=True)
class ServicePrincipal:
    """Another shop service calling an internal endpoint, with the scopes its token grants."""

    name: str
    scopes: frozenset[str] = frozenset()
    is_authenticated = True
    is_anonymous = False
    is_service = True
    is_staff = False
    id = None
    pk = None

    def __str__(self) -> str:
        return f"service {self.name}"


def bearer_token(request: Request) -> str | None:
    """The token of `Authorization: Bearer <token>`; None when another scheme or none."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    if not token or " " in token:
        raise AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
    return token


class BearerAuthentication(BaseAuthentication):
    """What both classes share: the header, the 401 with `WWW-Authenticate: Bearer`."""

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'

    def token_claims(
        self, request: Request, verify: Callable[[str], dict[str, Any]]
    ) -> dict[str, Any] | None:
        token = bearer_token(request)
        if token is None:
            return None
        try:
            return verify(token)
        except InvalidToken as exc:
            raise AuthenticationFailed(exc.message) from None


class JWTAuthentication(BearerAuthentication):
    """Signs in the user an access token names; the default for every service's API."""

    def authenticate(self, request: Request) -> tuple[TokenUser, dict[str, Any]] | None:
        claims = self.token_claims(request, verify_access_token)
        if claims is None:
            return None
        user_id_var.set(claims["user_id"])
        return TokenUser(claims["user_id"], claims["is_staff"], claims), claims


class ServiceAuthentication(BearerAuthentication):
    """For `/internal/` views: accepts service tokens only, never a customer's token."""

    def authenticate(self, request: Request) -> tuple[ServicePrincipal, dict[str, Any]] | None:
        claims = self.token_claims(request, verify_service_token)
        if claims is None:
            return None
        return ServicePrincipal(claims["sub"], frozenset(claims.get("scope", "").split())), claims


class InternalAuthentication(BaseAuthentication):
    """For `/internal/` views guarded by `HasServiceScope`. Only a service token gets in,
    but a valid customer token is still recognised, so that caller gets 403 ("not for
    you"), not 401 ("sign in"), which would suggest that signing in could help."""

    def authenticate(self, request: Request) -> tuple[object, dict[str, Any]] | None:
        try:
            return ServiceAuthentication().authenticate(request)
        except AuthenticationFailed as not_a_service:
            try:
                return JWTAuthentication().authenticate(request)
            except AuthenticationFailed:
                raise not_a_service from None

    def authenticate_header(self, request: Request) -> str:
        return ServiceAuthentication().authenticate_header(request)
