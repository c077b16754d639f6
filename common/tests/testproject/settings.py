"""A minimal project built on the shared settings base, for testing common/ on its own."""

from pathlib import Path

from shop_common.service_table import Service
from shop_common.settings import service_settings

# Named "common": its database comes from COMMON_DATABASE_URL, like a service's would.
globals().update(
    service_settings(
        service=Service("common", 0),
        base_dir=Path(__file__).resolve().parent,
        apps=[],
    )
)
ROOT_URLCONF = "testproject.urls"
WSGI_APPLICATION = None
