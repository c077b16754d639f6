"""Who is calling the internal API. Only a service token gets in (`HasServiceScope`), but a
valid customer token is still recognised, so that caller gets 403 ("not for you") as the
contract says, not 401 ("sign in"), which would suggest that signing in could help."""

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from shop_common.auth import JWTAuthentication, ServiceAuthentication


class InternalAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[object, dict] | None:
        try:
            return ServiceAuthentication().authenticate(request)
        except AuthenticationFailed as not_a_service:
            try:
                return JWTAuthentication().authenticate(request)
            except AuthenticationFailed:
                raise not_a_service from None

    def authenticate_header(self, request: Request) -> str:
        return ServiceAuthentication().authenticate_header(request)
