"""Failed logins counted per email, so no one can guess an account's password quickly.

Behind the gateway's own limits, as a second line. Every email is counted alike, whether an
account has it or not, so a refusal tells nothing about which emails exist. Counts live in
the `default` cache (Redis in production) in fixed windows, like django-ratelimit's.
"""

import hashlib
import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from accounts.exceptions import TooManyLoginFailures

logger = logging.getLogger(__name__)

RATE_FORMAT = re.compile(r"^(?P<limit>\d+)/(?P<multiplier>\d*)(?P<unit>[smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    window: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """django-ratelimit's form: `5/m`, `100/h`, `10/5m`."""
        match = RATE_FORMAT.match(text.strip())
        if not match or int(match["limit"]) < 1:
            raise ImproperlyConfigured(f"RATE_LIMIT_LOGIN={text!r}: expected e.g. 5/m or 20/h")
        multiplier = int(match["multiplier"] or 1)
        return cls(int(match["limit"]), multiplier * UNIT_SECONDS[match["unit"]])


def login_rate() -> Rate:
    return Rate.parse(settings.RATE_LIMIT_LOGIN)


class LoginThrottle:
    """The failure count of one email in the current window.

    A cache outage lets logins through (logged): a broken counter must not lock everyone out.
    """

    def __init__(self, email: str) -> None:
        self.rate = login_rate()
        now = int(time.time())
        # The address itself never reaches the cache, only its digest.
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        self.key = f"login-failures:{digest}:{now // self.rate.window}"
        self.retry_after = self.rate.window - now % self.rate.window

    def check(self) -> None:
        """Refuse (429 with Retry-After) once the limit of failures is reached."""
        try:
            failures = cache.get(self.key, 0)
        except Exception:  # any cache backend error: fail open, see the class docstring
            logger.warning("login throttle unavailable", exc_info=True)
            return
        if failures >= self.rate.limit:
            raise TooManyLoginFailures(wait=self.retry_after)

    def record_failure(self) -> None:
        try:
            cache.add(self.key, 0, timeout=self.retry_after + 1)
            cache.incr(self.key)
        except ValueError:  # the entry expired between add and incr: a new window began
            cache.set(self.key, 1, timeout=self.rate.window)
        except Exception:
            logger.warning("login throttle unavailable", exc_info=True)

    def reset(self) -> None:
        try:
            cache.delete(self.key)
        except Exception:
            logger.warning("login throttle unavailable", exc_info=True)
