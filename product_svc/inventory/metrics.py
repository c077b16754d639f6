"""product_svc's own series in `/metrics`, beside those every service has
(`shop_common.metrics`). Counted in `inventory.services` once an outcome is final (committed or
rolled back), so a retried transaction counts once."""

from shop_common.metrics import Counter

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
