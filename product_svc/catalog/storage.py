"""Where product images are stored: the local folder `MEDIA_ROOT` by default, or an
S3-compatible bucket (AWS S3, MinIO, Ceph, R2, ...) through django-storages.

Everything that stores, names, links or deletes an image goes through Django's storage API
(`default_storage`), so the API, the admin and the thumbnails behave the same on both.
Only a bucket's storage (`s3_storage`) imports boto3, when Django first uses it.
"""

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# A stored image is never changed (a new one gets a new name), so browsers and CDNs may
# keep it for a year without asking again.
IMMUTABLE = "public, max-age=31536000, immutable"


def s3_image_storage(
    *, bucket: str, endpoint_url: str, region: str, public_url: str
) -> dict[str, Any]:
    """The `STORAGES["default"]` entry for a bucket; empty strings leave a value to boto3
    (the endpoint and region of AWS itself, credentials from its usual chain).

    `public_url` is where clients fetch the bucket's objects (a CDN, a domain in front of
    the bucket), `scheme://host[/path]`; empty: the bucket's own address.
    """
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "region_name": region or None,
        # Public objects, plain URLs: a signed URL would change with every answer and
        # expire in answers the gateway caches.
        "querystring_auth": False,
        # No ACL header: buckets that enforce their owner's rights (AWS's default) refuse
        # it; who may read is the bucket policy's or the CDN's business.
        "default_acl": None,
        # Names are unique (a UUID each), so no existence check before writing.
        "file_overwrite": True,
        "object_parameters": {"CacheControl": IMMUTABLE},
    }
    if public_url:
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ImproperlyConfigured(
                f"PRODUCT_IMAGES_S3_PUBLIC_URL {public_url!r} must be scheme://host[/path]"
            )
        options["url_protocol"] = f"{parts.scheme}:"
        options["custom_domain"] = f"{parts.netloc}{parts.path}".rstrip("/")
    return {"BACKEND": "catalog.s3_storage.ProductImageStorage", "OPTIONS": options}
