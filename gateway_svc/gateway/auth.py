"""Authentication at the edge: who is calling, and whether the route lets them through.

Tokens are verified with the public key only (`shop_common.auth`), so a refusal (401, 403)
costs no call to any service.
"""

from dataclasses import dataclass

from django.http import HttpRequest

from gateway.errors import GatewayError, NotAuthenticated, StaffOnly
from gateway.routes import Route
from shop_common.auth import InvalidToken, verify_access_token
from shop_common.log import user_id_var


@dataclass(frozen=True)
class Caller:
    """The verified user of a request, or nobody (`user_id` None)."""

    user_id: int | None = None
    is_staff: bool = False

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None


ANONYMOUS = Caller()


def bearer_token(request: HttpRequest) -> str | None:
    """The token of `Authorization: Bearer <token>`; None when no header was sent."""
    header = request.META.get("HTTP_AUTHORIZATION", "").strip()
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise NotAuthenticated("Authorization header must be 'Bearer <token>'.")
    return token


def verified_caller(request: HttpRequest) -> Caller:
    token = bearer_token(request)
    if token is None:
        return ANONYMOUS
    try:
        claims = verify_access_token(token)
    except InvalidToken as exc:
        raise NotAuthenticated(exc.message) from None
    user_id_var.set(claims["user_id"])
    return Caller(claims["user_id"], claims["is_staff"])


def identify(request: HttpRequest, route: Route) -> tuple[Caller, GatewayError | None]:
    """The caller, and the refusal the route owes them (None when they may pass).

    Routes without authentication ignore any token: an expired one must not stop a login.
    """
    if route.auth == "none":
        return ANONYMOUS, None
    try:
        caller = verified_caller(request)
    except GatewayError as refusal:
        return ANONYMOUS, refusal
    if route.needs_user(request.method) and not caller.signed_in:
        return caller, NotAuthenticated("Authentication credentials were not provided.")
    if route.needs_staff(request.method) and not caller.is_staff:
        return caller, StaffOnly()
    return caller, None
