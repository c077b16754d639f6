"""The answers user_svc gives when it refuses: DRF's exception handler turns them into JSON.

They are plain `APIException`s, not `AuthenticationFailed`: DRF would turn that into 403
on the views that take no Authorization header (login, refresh), where 401 is the answer.
"""

from rest_framework import status
from rest_framework.exceptions import APIException, Throttled


class InvalidCredentials(APIException):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "No active account found with the given credentials."
    default_code = "invalid_credentials"


class TokenRejected(APIException):
    """A refresh token that is invalid, expired, revoked, or whose user is gone."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Token is invalid or expired."
    default_code = "token_not_valid"


class InvalidClient(APIException):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Unknown client or wrong secret."
    default_code = "invalid_client"


class TooManyLoginFailures(Throttled):
    default_detail = "Too many failed attempts for this email."
    default_code = "too_many_login_failures"
