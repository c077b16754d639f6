"""Settings of product_svc: the shared base plus what is its own."""

from pathlib import Path

from shop_common.settings import service_settings

globals().update(
    service_settings(
        service="product_svc",
        base_dir=Path(__file__).resolve().parent.parent,
        apps=["catalog", "inventory"],
    )
)
