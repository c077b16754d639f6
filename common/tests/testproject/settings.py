"""A minimal project built on the shared settings base, for testing common/ on its own."""

from pathlib import Path

from shop_common.services import Service
from shop_common.settings import service_settings

globals().update(
    service_settings(
        service=Service("testproject", 0),
        base_dir=Path(__file__).resolve().parent,
        apps=[],
    )
)
