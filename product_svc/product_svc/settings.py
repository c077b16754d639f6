"""Settings of product_svc: the shared base plus what is its own."""

from pathlib import Path

from shop_common.settings import service_settings

globals().update(
    service_settings(
        service="product_svc",
        base_dir=Path(__file__).resolve().parent.parent,
        apps=["import_export", "catalog", "inventory"],
    )
)

# Importing writes the catalog: it takes the right to change products, not just to see them.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# The upload waits between preview and confirm in the service's shared cache (Redis, or a
# folder every worker reads), not in one pod's /tmp: the confirm may reach another pod.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.CacheStorage"
