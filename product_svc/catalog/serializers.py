"""The JSON shapes of categories and products, and the validation of staff writes.

Most rules come from the models (unique sku and slug, price and stock not negative), so
the API and the admin refuse the same things.
"""

from typing import Any, ClassVar

from django.utils.text import slugify
from rest_framework import serializers

from .images import MAX_IMAGE_BYTES
from .models import PRODUCT_WRITABLE_FIELDS, Category, Product, ProductImage


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ("id", "name", "slug", "parent")


class ProductImageSerializer(serializers.ModelSerializer):
    """An image as products show it: `url` answers the image itself, `thumbnail_url` a
    copy at most 400 pixels wide and high, for lists. Absolute, through the caller's host."""

    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ("id", "url", "thumbnail_url", "alt")

    def get_url(self, image: ProductImage) -> str:
        return self._absolute(image.image.url)

    def get_thumbnail_url(self, image: ProductImage) -> str:
        return self._absolute(image.thumbnail.url)

    def _absolute(self, url: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


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

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Without a slug, a new product gets one made from its name."""
        if self.instance is None and "slug" not in attrs:
            attrs["slug"] = slugify(attrs.get("name", ""))[:220]
            if not attrs["slug"]:
                raise serializers.ValidationError({"slug": ["This field is required."]})
        return attrs
