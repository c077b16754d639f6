"""`manage.py generate_products N`: add N made-up products for load tests, fast.

Rows go in with `bulk_create` in large batches inside one transaction; each run gets its
own SKU prefix, so running it again adds N more instead of clashing.
"""

import random
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from itertools import islice
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from catalog.models import Category, Product
from catalog.services import catalog_changed

ADJECTIVES = ("Compact", "Classic", "Premium", "Eco", "Smart", "Pro", "Ultra", "Travel", "Home")
MATERIALS = ("Steel", "Bamboo", "Cotton", "Leather", "Carbon", "Ceramic", "Oak", "Wool", "Glass")
NOUNS = ("Kettle", "Backpack", "Lamp", "Chair", "Speaker", "Jacket", "Mug", "Watch", "Tent")
COLOURS = ("black", "white", "navy", "olive", "sand", "red", "grey")


class Command(BaseCommand):
    help = "Add N generated products (for load tests); categories are the existing ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int, help="how many products to add")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--seed", type=int, default=None, help="random seed: the same names, prices, stock"
        )

    def handle(
        self, *args: Any, count: int, batch_size: int, seed: int | None, **options: Any
    ) -> None:
        if count < 1 or batch_size < 1:
            raise CommandError("count and --batch-size must be at least 1")
        started = time.perf_counter()
        rng = random.Random(seed)
        run = uuid.uuid4().hex[:8]  # never from the seed: a repeated seed must not clash
        with transaction.atomic():
            categories = category_ids()
            products = generated_products(rng, run, categories, count)
            while batch := list(islice(products, batch_size)):
                Product.objects.bulk_create(batch)
            catalog_changed()  # bulk_create sends no signal
        with connection.cursor() as cursor:
            # Fresh planner statistics: right after a bulk load they describe the old table.
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Product._meta.db_table)}")
        seconds = time.perf_counter() - started
        self.stdout.write(f"added {count} products (SKU prefix GEN-{run}) in {seconds:.1f} s")


def category_ids() -> list[int]:
    """Spread products over the existing categories (one of its own on an empty catalog)."""
    ids = list(Category.objects.values_list("id", flat=True))
    if not ids:
        fallback, _ = Category.objects.get_or_create(
            slug="generated", defaults={"name": "Generated"}
        )
        ids = [fallback.id]
    return ids


def generated_products(
    rng: random.Random, run: str, categories: list[int], count: int
) -> Iterator[Product]:
    for number in range(1, count + 1):
        adjective, material, noun = (rng.choice(words) for words in (ADJECTIVES, MATERIALS, NOUNS))
        colour = rng.choice(COLOURS)
        name = f"{adjective} {material} {noun}, {colour}"
        yield Product(
            sku=f"GEN-{run}-{number:07d}",
            name=name,
            slug=f"gen-{run}-{number}",
            description=f"{adjective} {noun.lower()} in {colour} {material.lower()}.",
            price=Decimal(rng.randrange(199, 200_000)) / 100,
            currency="EUR",
            category_id=rng.choice(categories),
            # About one in ten sold out, like a real shop's long tail.
            stock=0 if rng.random() < 0.1 else rng.randrange(1, 500),
            is_active=rng.random() >= 0.02,
        )
