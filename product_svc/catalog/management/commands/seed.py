"""`manage.py seed`: load the demo catalog; run it again and nothing changes."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.text import slugify

from catalog.demo_catalog import CATEGORIES, PRODUCTS, product_fields
from catalog.models import Category, Product


class Command(BaseCommand):
    help = (
        "Load the demo catalog. Adds what is missing and leaves what exists alone, so "
        "stock and prices changed since (by orders or staff) are kept."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            categories = self.load_categories()
            created = 0
            for row in PRODUCTS:
                fields = product_fields(row)
                _, was_created = Product.objects.get_or_create(
                    sku=fields.pop("sku"),
                    defaults={
                        **fields,
                        "slug": slugify(fields["name"]),
                        "category": categories[row[2]],
                    },
                )
                created += was_created
        self.stdout.write(
            f"demo catalog: {created} product(s) added, {len(PRODUCTS) - created} already there"
        )

    def load_categories(self) -> dict[str, Category]:
        categories: dict[str, Category] = {}
        for slug, name, parent in CATEGORIES:  # parents come first in the list
            categories[slug], _ = Category.objects.get_or_create(
                slug=slug, defaults={"name": name, "parent": categories.get(parent)}
            )
        return categories
