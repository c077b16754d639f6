"""product_svc's own series in `/metrics`, beside those every service has
(`shop_common.metrics`). Counted in `inventory.services` once an outcome is final (committed or
rolled back), so a retried transaction counts once."""

from shop_common.metrics import Counter, declare

RESERVATIONS = Counter(
    "inventory_reservations_total",
    "Reserve calls, by outcome: reserved, replayed (a repeated id), short, unknown "
    "(unknown or inactive products), already_released, or busy (kept deadlocking).",
    ["outcome"],
)
RELEASES = Counter(
    "inventory_releases_total",
    "Release calls, by outcome: released (stock given back), tombstone (the id was never "
    "reserved) or already_released.",
    ["outcome"],
)
FULFILMENTS = Counter(
    "inventory_fulfilments_total",
    "Shipped orders' reservations, by outcome: fulfilled (it holds no stock any more), "
    "already_fulfilled (a repeated event), released or unknown (nothing was held).",
    ["outcome"],
)


def declare_known_series() -> None:
    """Every outcome at zero from the start (`shop_common.metrics.declare`)."""
    from .services import REFUSALS  # services counts through this module

    declare(RESERVATIONS, [(outcome,) for outcome in ("reserved", "replayed", *REFUSALS.values())])
    declare(RELEASES, [("released",), ("tombstone",), ("already_released",)])
    declare(FULFILMENTS, [("fulfilled",), ("already_fulfilled",), ("released",), ("unknown",)])
