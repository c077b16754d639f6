"""`manage.py seed`: load the demo catalog and let the demo staff account edit it; run it
again and nothing changes."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.text import slugify

from catalog.demo_catalog import CATEGORIES, PRODUCTS, product_fields
from catalog.models import Category, Product
from shop_common.staff.groups import ensure_group, grant_demo_staff

CATALOG_EDITORS = "Catalog editors"


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
        editors = ensure_group(CATALOG_EDITORS, app_labels=["catalog", "inventory"])
        self.stdout.write(grant_demo_staff(editors))

    def load_categories(self) -> dict[str, Category]:
        categories: dict[str, Category] = {}
        for slug, name, parent in CATEGORIES:  # parents come first in the list
            categories[slug], _ = Category.objects.get_or_create(
                slug=slug, defaults={"name": name, "parent": categories.get(parent)}
            )
        return categories
