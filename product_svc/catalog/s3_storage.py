"""The S3 storage of product images (`catalog.storage` says when it is used)."""

from functools import cached_property
from typing import Any

from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class ProductImageStorage(S3Storage):
    """django-storages' S3 storage, whose URLs are one address plus the object's key.

    Product images are public and their URLs unsigned, so every URL starts the same way;
    botocore takes about half a millisecond to build one, which a page of products with
    their thumbnails would pay dozens of times. It is asked once per process instead.
    """

    def url(self, name: str, *args: Any, **kwargs: Any) -> str:
        if args or kwargs:
            return super().url(name, *args, **kwargs)
        return self._base_url + filepath_to_uri(self._normalize_name(clean_name(name)))

    @cached_property
    def _base_url(self) -> str:
        # The URL of a one-letter key, without that letter: botocore's own addressing
        # (path or virtual-host style, region, endpoint) or the public address.
        return super().url("k").removesuffix("k")
