"""Catalog writes: products and categories change here, and every change bumps the catalog
version once it has committed, so the gateway never serves an answer older than a write."""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.db.models import Max, ProtectedError

from shop_common.catalog import bump_catalog_version
from shop_common.errors import InvalidFields

from .exceptions import DeletedMeanwhile, StillInUse
from .images import THUMBNAIL_CONTENT_TYPE, CheckedImage, check_image
from .models import Category, Product, ProductImage

CatalogItem = TypeVar("CatalogItem", Product, Category)
_bumps_held: ContextVar[bool] = ContextVar("catalog_bumps_held", default=False)


def catalog_changed() -> None:
    """Bump the catalog version when the current transaction commits (at once outside one).

    `robust`: the write has committed by then, so a Redis hiccup is logged by Django
    instead of turning a successful write into a 500.
    """
    if not _bumps_held.get():
        transaction.on_commit(bump_catalog_version, robust=True)


@contextmanager
def one_catalog_bump() -> Iterator[None]:
    """Hold the bump of every write in the block and bump once when it ends, for writes by
    the hundred (an admin import). Use it inside the writes' transaction: when that rolls
    back (a dry run, a refused row), the bump goes with it."""
    token = _bumps_held.set(True)
    try:
        yield
    finally:
        _bumps_held.reset(token)
    catalog_changed()


def create_product(**fields: Any) -> Product:
    return _save(Product(**fields))


def update_product(*, product: Product, changes: dict[str, Any]) -> Product:
    """Write only the changed columns: saving the whole row would put back the `stock`
    read before a reservation that committed in between."""
    return _update(product, changes)


def create_category(**fields: Any) -> Category:
    return _save(Category(**fields), check=Category.check_parent)


def update_category(*, category: Category, changes: dict[str, Any]) -> Category:
    """A new parent is checked for loops under the tree's lock, in the saving transaction."""
    return _update(category, changes, check=Category.check_parent if "parent" in changes else None)


def delete(instance: Product | Category) -> None:
    """Raises `StillInUse` while something still refers to it."""
    try:
        instance.delete()
    except ProtectedError as exc:
        raise StillInUse(exc) from exc


def add_image(*, product: Product, image: UploadedFile, alt: str = "") -> ProductImage:
    """Store a checked upload and its thumbnail under names of our own (the client's name
    says nothing we trust), after the product's other images. Raises `ValidationError`."""
    image_name, thumbnail_name = store_image_files(
        product=product, image=image, checked=check_image(image)
    )
    try:
        with transaction.atomic():
            _lock_row(product)
            last = product.images.aggregate(last=Max("position"))["last"]
            return ProductImage.objects.create(
                product=product,
                image=image_name,
                thumbnail=thumbnail_name,
                alt=alt,
                position=0 if last is None else last + 1,
            )
    except BaseException:
        delete_files([image_name, thumbnail_name])
        raise


def store_image_files(
    *, product: Product, image: UploadedFile, checked: CheckedImage
) -> tuple[str, str]:
    """The stored names of a checked image and its thumbnail, for the API and the admin."""
    stem = f"products/{product.pk}/{uuid.uuid4().hex}"
    image_name = default_storage.save(
        f"{stem}.{checked.extension}", _typed(image, checked.content_type)
    )
    thumbnail_name = default_storage.save(
        f"{stem}-thumb.webp", _typed(ContentFile(checked.thumbnail), THUMBNAIL_CONTENT_TYPE)
    )
    return image_name, thumbnail_name


def _typed(content: File, content_type: str) -> File:
    """The content with the type its bytes were found to be: a storage that records one
    (S3 serves it as the object's `Content-Type`) would otherwise take the client's word,
    and a PNG sent as `text/html` would be served as a page."""
    typed = File(content)
    typed.content_type = content_type
    return typed


def delete_files(names: list[str]) -> None:
    """Remove stored files; a file already gone is no error (delete is idempotent)."""
    for name in names:
        if name:
            default_storage.delete(name)


def save_changed_fields(instance: models.Model, fields: list[str]) -> None:
    """Save only `fields` (and `updated_at` when the model has it); for the admin too."""
    if any(field.name == "updated_at" for field in instance._meta.concrete_fields):
        fields = [*fields, "updated_at"]
    instance.save(update_fields=fields)


def _update(
    instance: CatalogItem,
    changes: dict[str, Any],
    *,
    check: Callable[[CatalogItem], None] | None = None,
) -> CatalogItem:
    for field, value in changes.items():
        setattr(instance, field, value)
    return _save(instance, fields=list(changes), check=check)


def _save(
    instance: CatalogItem,
    *,
    fields: list[str] | None = None,
    check: Callable[[CatalogItem], None] | None = None,
) -> CatalogItem:
    """Save, after `check` in the same transaction, turning a unique-constraint race lost
    to a concurrent write into the same field-named error the serializer gives when there
    is no race."""
    try:
        with transaction.atomic():
            if fields is not None:
                _lock_row(instance)
            if check is not None:
                check(instance)
            if fields is None:
                instance.save()
            elif fields:
                save_changed_fields(instance, fields)
    except IntegrityError as exc:
        clashes = _unique_clashes(instance)
        if not clashes:
            raise
        raise InvalidFields(clashes) from exc
    return instance


def _lock_row(instance: Product | Category) -> None:
    """Holds the row until the change commits, so a concurrent delete waits; a row deleted
    since the view read it raises `DeletedMeanwhile` instead of Django's "did not affect
    any rows" error, a 500. `no_key`: the lock the UPDATE takes anyway, which still lets
    another transaction point a foreign key at this row (a category moved below it)."""
    manager = type(instance)._default_manager
    rows = manager.select_for_update(no_key=True).filter(pk=instance.pk)
    if not rows.exists():
        raise DeletedMeanwhile(instance)


def _unique_clashes(instance: Product | Category) -> dict[str, list[str]]:
    model = type(instance)
    others = model._default_manager.exclude(pk=instance.pk)
    unique = [f.name for f in model._meta.concrete_fields if f.unique and not f.primary_key]
    return {
        name: instance.unique_error_message(model, (name,)).messages
        for name in unique
        if others.filter(**{name: getattr(instance, name)}).exists()
    }
