"""Settings of order_svc: the shared base plus what is its own."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from shop_common.service_credentials import client_secret
from shop_common.settings import env, service_settings, staff_sign_in_settings

base = service_settings(
    service="order_svc",
    base_dir=Path(__file__).resolve().parent.parent,
    apps=["orders", "shop_common.staff", "shop_common.events"],
)
globals().update(base)
# Staff sign in to the admin with their user_svc account (shop_common.staff).
globals().update(staff_sign_in_settings(base))

# What buys the service token for product_svc's reservations API (orders.reservations)
# and user_svc's staff directory (the admin's sign-in).
SERVICE_CLIENT_SECRET = client_secret("order_svc", base_dir=base["BASE_DIR"], debug=base["DEBUG"])

# Calls to product_svc end well inside gunicorn's 30 s and the gateway's own timeout: a
# hanging product_svc costs a customer one read timeout, then a quick release attempt.
INVENTORY_CONNECT_TIMEOUT = env.float("INVENTORY_CONNECT_TIMEOUT", default=0.5)
INVENTORY_READ_TIMEOUT = env.float("INVENTORY_READ_TIMEOUT", default=3.0)
INVENTORY_QUICK_TIMEOUT = env.float("INVENTORY_QUICK_TIMEOUT", default=1.0)
# How long a request waits for a concurrent twin (same Idempotency-Key) to finish.
IDEMPOTENCY_WAIT_SECONDS = env.float("IDEMPOTENCY_WAIT_SECONDS", default=5.0)
# Pending or unreleased orders older than this are settled by `reconcile_orders`.
RECONCILE_AFTER_SECONDS = env.int("RECONCILE_AFTER_SECONDS", default=60)
# A confirmed order still unpaid this long after it was placed is cancelled by the shop
# (`orders.expiry`), and its stock goes back.
ORDER_PAYMENT_TIMEOUT = env.int("ORDER_PAYMENT_TIMEOUT", default=900)
if ORDER_PAYMENT_TIMEOUT < 1:
    raise ImproperlyConfigured("ORDER_PAYMENT_TIMEOUT must be at least 1 second")
