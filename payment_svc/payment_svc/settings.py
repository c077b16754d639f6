"""Settings of payment_svc: the shared base plus what is its own."""

from pathlib import Path

from shop_common.local_secrets import local_secret
from shop_common.service_credentials import client_secret
from shop_common.service_table import SERVICES
from shop_common.settings import env, service_settings, staff_sign_in_settings, var_dir

base = service_settings(
    service="payment_svc",
    base_dir=Path(__file__).resolve().parent.parent,
    apps=["payments", "shop_common.staff", "shop_common.events"],
)
globals().update(base)
# Staff sign in to the admin with their user_svc account (shop_common.staff).
globals().update(staff_sign_in_settings(base))

# What buys the service token for order_svc's internal orders API (payments.orders) and
# user_svc's staff directory (the admin's sign-in).
SERVICE_CLIENT_SECRET = client_secret("payment_svc", base_dir=base["BASE_DIR"], debug=base["DEBUG"])

# Reading an order from order_svc ends well inside gunicorn's 30 s: a customer waits.
ORDERS_CONNECT_TIMEOUT = env.float("ORDERS_CONNECT_TIMEOUT", default=0.5)
ORDERS_READ_TIMEOUT = env.float("ORDERS_READ_TIMEOUT", default=3.0)
# How long a request waits for a concurrent twin (same Idempotency-Key) to finish.
IDEMPOTENCY_WAIT_SECONDS = env.float("IDEMPOTENCY_WAIT_SECONDS", default=5.0)

# The payment provider (payments.providers): "simulated", the default, knows the test
# card tokens of the contract; a real one plugs in under its own name.
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="simulated")
# The secret the provider signs its webhooks with (HMAC-SHA256); generated locally.
PAYMENT_WEBHOOK_SECRET = local_secret(
    env_name="PAYMENT_WEBHOOK_SECRET",
    path=var_dir(base["BASE_DIR"]) / "secrets" / "payment_svc.webhook_secret",
    debug=base["DEBUG"],
)
# A payment still pending this long after it was made (its charge's answer lost, its
# webhook never come) is settled by asking the provider (payments.services).
PAYMENT_RECONCILE_AFTER_SECONDS = env.float("PAYMENT_RECONCILE_AFTER_SECONDS", default=300.0)
# A webhook signed longer ago than this is refused (a replay of an old delivery).
PAYMENT_WEBHOOK_TOLERANCE_SECONDS = env.int("PAYMENT_WEBHOOK_TOLERANCE_SECONDS", default=300)
# The simulated provider's asynchronous payments (`tok_async`): how long after the charge
# their webhook is due, and where it is delivered: the public webhook URL, through the
# gateway, as a real provider would call it.
SIMULATED_WEBHOOK_DELAY_SECONDS = env.float("SIMULATED_WEBHOOK_DELAY_SECONDS", default=1.0)
SIMULATED_WEBHOOK_URL = env.str(
    "SIMULATED_WEBHOOK_URL",
    default=f"{SERVICES['gateway_svc'].url}/api/v1/payments/webhooks/simulated/",
)
