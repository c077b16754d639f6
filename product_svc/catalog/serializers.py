"""The JSON shapes of categories and products, and the validation of staff writes.

Most rules come from the models (unique sku and slug, price and stock not negative), so
the API and the admin refuse the same things.
"""

from typing import Any, ClassVar

from django.utils.text import slugify
from rest_framework import serializers
from rest_framework.request import Request

from shop_common.serializers import decimal_text, iso_datetime

from .images import MAX_IMAGE_BYTES
from .models import PRODUCT_WRITABLE_FIELDS, Category, Product, ProductImage


def absolute_url(request: Request | None, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ("id", "name", "slug", "parent")


def image_representation(image: ProductImage, request: Request | None) -> dict[str, Any]:
    return {
        "id": image.id,
        "url": absolute_url(request, image.image.url),
        "thumbnail_url": absolute_url(request, image.thumbnail.url),
        "alt": image.alt,
    }


def images_of(product: Product) -> list[ProductImage]:
    """The product's images in order: from the `image_rows` its query read
    (`ProductQuerySet.with_image_rows`), or from the database for one read without."""
    if not hasattr(product, "image_rows"):
        return list(product.images.all())
    rows = sorted(product.image_rows or (), key=lambda row: (row[4], row[0]))
    return [
        ProductImage(id=image_id, product=product, image=image, thumbnail=thumbnail, alt=alt)
        for image_id, image, thumbnail, alt, _ in rows
    ]


class ProductImageSerializer(serializers.ModelSerializer):
    """An image as products show it: `url` answers the image itself, `thumbnail_url` a
    copy at most 400 pixels wide and high, for lists. Absolute, through the caller's host."""

    url = serializers.URLField(read_only=True)
    thumbnail_url = serializers.URLField(read_only=True)

    class Meta:
        model = ProductImage
        fields = ("id", "url", "thumbnail_url", "alt")

    def to_representation(self, image: ProductImage) -> dict[str, Any]:
        return image_representation(image, self.context.get("request"))


class ProductImageUploadSerializer(serializers.Serializer):
    """The multipart form of an upload; the file's content is checked by the service."""

    image = serializers.FileField(
        max_length=255, help_text=f"A JPEG, PNG or WebP image of at most {MAX_IMAGE_BYTES} bytes."
    )
    alt = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class ProductSerializer(serializers.ModelSerializer):
    images = ProductImageSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = ("id", *PRODUCT_WRITABLE_FIELDS, "images", "created_at", "updated_at")
        read_only_fields = ("id", "created_at", "updated_at")
        extra_kwargs: ClassVar = {"slug": {"required": False}}

    def to_representation(self, product: Product) -> dict[str, Any]:
        """What the declared fields would write, without DRF's field-by-field machinery,
        which was a fifth of a list page's time (`test_product_serializer` holds the two
        to the same answer)."""
        request = self.context.get("request")
        return {
            "id": product.id,
            "sku": product.sku,
            "name": product.name,
            "slug": product.slug,
            "description": product.description,
            "price": decimal_text(product.price),
            "currency": product.currency,
            "category": product.category_id,
            "stock": product.stock,
            "is_active": product.is_active,
            "images": [image_representation(image, request) for image in images_of(product)],
            "created_at": iso_datetime(product.created_at),
            "updated_at": iso_datetime(product.updated_at),
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Without a slug, a new product gets one made from its name."""
        if self.instance is None and "slug" not in attrs:
            attrs["slug"] = slugify(attrs.get("name", ""))[:220]
            if not attrs["slug"]:
                raise serializers.ValidationError({"slug": ["This field is required."]})
        return attrs
