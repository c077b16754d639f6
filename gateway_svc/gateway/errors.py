"""The gateway's own refusals: answers it gives before, or instead of, a service's.

Each is a `DomainError` with its status; the gateway's view turns it into JSON with
`shop_common.errors.domain_error_response`, as the services' exception handler does.
"""

from shop_common.errors import DomainError

# What the 401 tells the caller to send, as DRF does in the services (`shop_common.auth`).
CHALLENGE = 'Bearer realm="api"'


class GatewayError(DomainError):
    """Base of the gateway's refusals."""


class NoEndpoint(GatewayError):
    status_code = 404
    code = "no_endpoint"

    def __init__(self, path: str) -> None:
        super().__init__(f"No endpoint at {path}.")


class MethodNotAllowed(GatewayError):
    status_code = 405
    code = "method_not_allowed"

    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(
            f"Method {method} is not allowed here.", headers={"Allow": ", ".join(allowed)}
        )


class NotAuthenticated(GatewayError):
    """A route that needs a user, and no valid access token."""

    status_code = 401
    code = "not_authenticated"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": CHALLENGE})


class StaffOnly(GatewayError):
    status_code = 403
    code = "staff_only"
    default_detail = "Only staff may change this resource."


class RateLimited(GatewayError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, what: str, *, wait: int, headers: dict[str, str]) -> None:
        super().__init__(
            f"Too many {what}; try again in {wait} seconds.",
            headers={**headers, "Retry-After": str(wait)},
        )


class ServiceUnavailable(GatewayError):
    """The service refused the connection, or its breaker is open."""

    status_code = 503
    code = "service_unavailable"

    def __init__(self, detail: str, *, wait: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(wait)})


class ServiceTimedOut(GatewayError):
    status_code = 504
    code = "service_timed_out"

    def __init__(self, service: str) -> None:
        super().__init__(f"{service} did not answer in time.")


class ServiceBrokeOff(GatewayError):
    status_code = 502
    code = "service_broke_off"

    def __init__(self, service: str) -> None:
        super().__init__(f"{service} broke off its answer.")
