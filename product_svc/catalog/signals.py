"""Every saved or deleted product or category bumps the catalog version after commit.

Bulk `QuerySet.update()` sends no signal: code that uses it (reservations, admin actions)
calls `catalog_changed()` itself.
"""

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Category, Product
from .services import catalog_changed


@receiver([post_save, post_delete], sender=Product)
@receiver([post_save, post_delete], sender=Category)
def bump_catalog_version_on_change(**kwargs: Any) -> None:
    catalog_changed()
