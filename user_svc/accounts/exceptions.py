"""The answers user_svc gives when it refuses; the shared exception handler
(`shop_common.errors`) turns each into JSON.

The 401s are domain errors, not DRF's `AuthenticationFailed`: DRF would turn that into 403
on the views that take no Authorization header (login, refresh), where 401 is the answer.
"""

from accounts.models import EMAIL_TAKEN
from shop_common.errors import DomainError, InvalidFields


class InvalidCredentials(DomainError, status=401):
    default_detail = "No active account found with the given credentials."


class NotStaff(DomainError, status=403):
    """A right password of an account that is not staff: no admin signs it in."""

    default_detail = "This account is not staff."


class TokenRejected(DomainError, status=401):
    """A refresh token that is invalid, expired, revoked, or whose user is gone."""

    default_detail = "Token is invalid or expired."


class InvalidClient(DomainError, status=401):
    default_detail = "Unknown client or wrong secret."


class NotYourToken(DomainError, status=403):
    default_detail = "This refresh token belongs to another user."


class EmailTaken(InvalidFields):
    def __init__(self) -> None:
        super().__init__({"email": [EMAIL_TAKEN]})


class WrongOldPassword(InvalidFields):
    def __init__(self) -> None:
        super().__init__({"old_password": ["The old password is wrong."]})


class TooManyLoginFailures(DomainError, status=429):
    def __init__(self, *, wait: int) -> None:
        super().__init__(
            f"Too many failed attempts for this email; try again in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )
