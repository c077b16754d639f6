"""A minimal project built on the shared settings base, for testing common/ on its own."""

from pathlib import Path

from shop_common.events.topology import SUBSCRIPTIONS
from shop_common.service_table import Service
from shop_common.settings import service_settings, staff_sign_in_settings

# Named "common": its database comes from COMMON_DATABASE_URL, like a service's would.
base = service_settings(
    service=Service("common", 0),
    base_dir=Path(__file__).resolve().parent,
    apps=["shop_common.staff", "shop_common.events", "probes"],
)
globals().update(base)
globals().update(staff_sign_in_settings(base))
# Buys the (faked) service token of the staff directory in tests/test_staff.py.
SERVICE_CLIENT_SECRET = "common-test-client-secret-of-32-characters"
ROOT_URLCONF = "testproject.urls"
WSGI_APPLICATION = None
# The probe consumer of shop_common.events' tests (tests/probes), beside the real ones.
EVENTS_SUBSCRIPTIONS = {**SUBSCRIPTIONS, "common": ["probe.sent"]}
