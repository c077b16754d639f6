"""The gateway's own refusals: answers it gives before, or instead of, a service's.

Each is a `DomainError` with its status; the gateway's view turns it into JSON with
`shop_common.errors.domain_error_response`, as the services' exception handler does.
"""

from shop_common.errors import DomainError

# What the 401 tells the caller to send, as DRF does in the services (`shop_common.auth`).
CHALLENGE = 'Bearer realm="api"'


class GatewayError(DomainError):
    """Base of the gateway's refusals."""


class NoEndpoint(GatewayError, status=404):
    def __init__(self, path: str) -> None:
        super().__init__(f"No endpoint at {path}.")


class MethodNotAllowed(GatewayError, status=405):
    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(
            f"Method {method} is not allowed here.", headers={"Allow": ", ".join(allowed)}
        )


class NotAuthenticated(GatewayError, status=401):
    """A route that needs a user, and no valid access token."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": CHALLENGE})


class StaffOnly(GatewayError, status=403):
    default_detail = "Only staff may change this resource."


class RateLimited(GatewayError, status=429):
    def __init__(self, what: str, *, wait: int, headers: dict[str, str]) -> None:
        super().__init__(
            f"Too many {what}; try again in {wait} seconds.",
            headers={**headers, "Retry-After": str(wait)},
        )


class ServiceUnavailable(GatewayError, status=503):
    """The service refused the connection, or its breaker is open."""

    def __init__(self, detail: str, *, wait: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(wait)})


class ServiceTimedOut(GatewayError, status=504):
    def __init__(self, service: str) -> None:
        super().__init__(f"{service} did not answer in time.")


class ServiceBrokeOff(GatewayError, status=502):
    def __init__(self, service: str) -> None:
        super().__init__(f"{service} broke off its answer.")
