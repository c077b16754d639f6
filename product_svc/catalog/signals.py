"""Every saved or deleted product, category or product image bumps the catalog version
after commit; a deleted image's files go once the delete has committed.

Bulk `QuerySet.update()` sends no signal: code that uses it (reservations, admin actions)
calls `catalog_changed()` itself.
"""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Category, Product, ProductImage
from .services import catalog_changed, delete_files


@receiver([post_save, post_delete], sender=Product)
@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=ProductImage)
def bump_catalog_version_on_change(**kwargs: Any) -> None:
    catalog_changed()


@receiver(post_delete, sender=ProductImage)
def delete_image_files(*, instance: ProductImage, **kwargs: Any) -> None:
    """Once the delete has committed (a rolled-back delete keeps its files), also when a
    deleted product takes its images with it."""
    names = [instance.image.name, instance.thumbnail.name]
    transaction.on_commit(lambda: delete_files(names), robust=True)
