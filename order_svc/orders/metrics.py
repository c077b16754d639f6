"""order_svc's own series in `/metrics`, beside those every service has
(`shop_common.metrics`). Counted in `orders.services` once the order's new state is
committed. Pending orders that `reconcile_orders` settles later are counted in its own
output, not here: it runs as a process of its own that Prometheus does not scrape."""

from shop_common.metrics import Counter, declare

from .states import Actor

ORDERS_PLACED = Counter(
    "orders_placed_total",
    "Orders placed, by outcome: confirmed, rejected (short stock or unknown products: "
    "nothing taken) or failed (product_svc unreachable or its answer unusable).",
    ["outcome"],
)
ORDERS_CANCELLED = Counter(
    "orders_cancelled_total",
    "Orders cancelled, by who asked: owner, staff or system (the payment timeout).",
    ["actor"],
)


def declare_known_series() -> None:
    """Every outcome and actor at zero from the start (`shop_common.metrics.declare`)."""
    declare(ORDERS_PLACED, [("confirmed",), ("rejected",), ("failed",)])
    declare(ORDERS_CANCELLED, [(str(actor.name).lower(),) for actor in Actor])
