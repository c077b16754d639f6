"""Settings of product_svc: the shared base plus what is its own (product images)."""

from pathlib import Path

from catalog.images import MAX_IMAGE_BYTES
from catalog.storage import s3_image_storage
from shop_common.service_credentials import client_secret
from shop_common.settings import env, service_settings, staff_sign_in_settings, var_dir

base = service_settings(
    service="product_svc",
    base_dir=Path(__file__).resolve().parent.parent,
    apps=["import_export", "catalog", "inventory", "shop_common.staff", "shop_common.events"],
)
globals().update(base)
# Staff sign in to the admin with their user_svc account (shop_common.staff).
globals().update(staff_sign_in_settings(base))
# What buys the service token for user_svc's staff directory (the admin's sign-in).
SERVICE_CLIENT_SECRET = client_secret("product_svc", base_dir=base["BASE_DIR"], debug=base["DEBUG"])

# Importing writes the catalog: it takes the right to change products, not just to see them.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# Off: django-import-export's own guard against formula injection drops one leading "=",
# leaves "+", "-", "@" and "==" to the spreadsheet, and turns every cell into text, so an
# XLSX file's prices and stock could not be summed or sorted. The catalog's resources
# (`catalog.resources.CatalogResource`, behind every export here) write formula-like text
# with an apostrophe first instead, and an XLSX export keeps numbers as numbers (the
# admin renders binary formats with `force_native_type`). A new export derives from it.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
# The upload waits between preview and confirm in the service's shared cache (Redis, or a
# folder every worker reads), not in one pod's /tmp: the confirm may reach another pod.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.CacheStorage"

# Product images go through Django's storage API: an S3-compatible bucket when
# PRODUCT_IMAGES_S3_BUCKET names one (`catalog.storage`), otherwise files under MEDIA_ROOT,
# served at MEDIA_URL by product_svc itself in development only (`product_svc.urls`),
# decided here since tests run with DEBUG switched off after the settings are read.
PRODUCT_IMAGES_S3_BUCKET = env.str("PRODUCT_IMAGES_S3_BUCKET", default="")
SERVE_MEDIA = base["DEBUG"] and not PRODUCT_IMAGES_S3_BUCKET
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(var_dir(base["BASE_DIR"]) / "media"))).resolve()
STORAGES = {
    "default": (
        s3_image_storage(
            bucket=PRODUCT_IMAGES_S3_BUCKET,
            endpoint_url=env.str("PRODUCT_IMAGES_S3_ENDPOINT_URL", default=""),
            region=env.str("PRODUCT_IMAGES_S3_REGION", default=""),
            public_url=env.str("PRODUCT_IMAGES_S3_PUBLIC_URL", default=""),
        )
        if PRODUCT_IMAGES_S3_BUCKET
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Catalog pages answered from the cache (`catalog.page_cache`), for at most this many
# seconds (0: never); a page is served only under the catalog version it was rendered
# under. With Redis they are kept beside the version, so a page costs one round trip;
# otherwise each worker keeps its own in memory (the version stays in the shared folder).
CATALOG_PAGE_CACHE_SECONDS = env.int("CATALOG_PAGE_CACHE_SECONDS", default=300)
if base["CACHES"]["catalog"]["BACKEND"] == "django_redis.cache.RedisCache":
    CATALOG_PAGE_CACHE = "catalog"
else:
    CATALOG_PAGE_CACHE = "catalog_pages"
    CACHES = {
        **base["CACHES"],
        "catalog_pages": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "catalog-pages",
            "OPTIONS": {"MAX_ENTRIES": 1000},
        },
    }

# An image upload's body: the image and the form around it (its boundaries and `alt`); a
# larger one is a 400 naming `image`, like an image over MAX_IMAGE_BYTES.
LARGER_BODY_PATHS = [(r"/api/v1/products/[0-9]+/images/", MAX_IMAGE_BYTES + 64 * 1024, "image")]
