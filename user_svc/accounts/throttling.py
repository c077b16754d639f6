"""Failed logins, counted in user_svc as well as at the gateway, with the same limits
(`shop_common.rate_limits`): per email from one address, and per email from everywhere.

Every email is counted alike, whether an account has it or not, so a refusal tells nothing
about which emails exist. The gateway is the last proxy before user_svc, so the client's
address is the one it names in X-Forwarded-For. A cache outage lets logins through
(logged): a broken counter must not lock everyone out.
"""

import logging

from django.conf import settings
from django.http import HttpRequest

from accounts.exceptions import TooManyLoginFailures
from shop_common.rate_limits import LoginAttempt, client_address, counters

logger = logging.getLogger(__name__)


def begin_password_check(request: HttpRequest, email: str) -> LoginAttempt | None:
    """Count a password check of `email` before it is made; 429 once a limit is reached."""
    address = client_address(request, settings.TRUSTED_PROXIES)
    try:
        attempt = LoginAttempt.begin(counters(), email=email, address=address)
    except Exception:  # any cache backend error: fail open, see the module docstring
        logger.warning("login limit unavailable", exc_info=True)
        return None
    if attempt.refusal is not None:
        raise TooManyLoginFailures(wait=attempt.refusal.reset)
    return attempt


def password_check_succeeded(attempt: LoginAttempt | None) -> None:
    """The password was right: this address's failures for the email are forgotten."""
    if attempt is None:
        return
    try:
        attempt.succeeded()
    except Exception:
        logger.warning("login limit unavailable", exc_info=True)
