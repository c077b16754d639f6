"""The scopes of service tokens: which internal API a calling service may use.

user_svc grants them per client (`accounts.service_clients`) and writes them into the
token; each internal view names the one it needs (`permissions.HasServiceScope`). Kept
free of DRF, so that settings modules can import it.
"""

from enum import StrEnum


class ServiceScope(StrEnum):
    """Each internal API's scope, as a token's `scope` claim names it."""

    RESERVATIONS = "inventory.reservations"
    # order_svc's internal view of an order (owner, status, total), which payment_svc
    # charges: the amount never comes from the client.
    ORDERS_READ = "orders.read"
    # user_svc's staff directory, which every service's admin signs staff in against.
    STAFF_DIRECTORY = "accounts.staff-directory"
