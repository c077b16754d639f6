"""payment_svc's own series in `/metrics`, beside those every service has
(`shop_common.metrics`): counted in `payments.services` once the change is committed."""

from shop_common.metrics import Counter, declare

PAYMENT_MOVES = Counter(
    "payments_total",
    "Payments settled, by the status they reached: succeeded, failed or refunded.",
    ["status"],
)
WEBHOOKS = Counter(
    "payment_webhooks_total",
    "Provider webhooks, by outcome: applied, ignored (nothing to change) or refused "
    "(a bad signature, a stale or replayed event).",
    ["outcome"],
)


def declare_known_series() -> None:
    """Every status and outcome at zero from the start (`shop_common.metrics.declare`)."""
    declare(PAYMENT_MOVES, [("succeeded",), ("failed",), ("refunded",)])
    declare(WEBHOOKS, [("applied",), ("ignored",), ("refused",)])
