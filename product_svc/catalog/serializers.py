"""The JSON shapes of categories and products, and the validation of staff writes.

Most rules come from the models (unique sku and slug, price and stock not negative), so
the API and the admin refuse the same things.
"""

from typing import Any, ClassVar

from django.utils.text import slugify
from rest_framework import serializers

from .models import PRODUCT_WRITABLE_FIELDS, Category, Product


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ("id", "name", "slug", "parent")


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ("id", *PRODUCT_WRITABLE_FIELDS, "created_at", "updated_at")
        read_only_fields = ("id", "created_at", "updated_at")
        extra_kwargs: ClassVar = {"slug": {"required": False}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Without a slug, a new product gets one made from its name."""
        if self.instance is None and "slug" not in attrs:
            attrs["slug"] = slugify(attrs.get("name", ""))[:220]
            if not attrs["slug"]:
                raise serializers.ValidationError({"slug": ["This field is required."]})
        return attrs
