"""Shapes more than one service reads or writes: lines of products and quantities, and
DRF's way of writing times and amounts for answers built without its fields."""

import functools
from collections import Counter
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.settings import api_settings

# Product ids are 64-bit in product_svc: a larger number is bad input, not a database error.
MAX_PRODUCT_ID = 2**63 - 1
# The most an order may be worth: what order_svc's total column holds on every database
# (16 digits on PostgreSQL; SQLite keeps decimals as doubles, exact to 15 digits). product_svc
# refuses to reserve more, so such an order is a 400 and takes no stock.
MAX_ORDER_TOTAL = Decimal("9999999999999.99")


CENTS = Decimal("0.01")


def iso_datetime(value: datetime, zone: tzinfo | None = None) -> str:
    """As DRF's `DateTimeField` writes it: ISO 8601 in the current time zone (`zone`, when
    the caller looked it up once for several), UTC as `Z`."""
    text = timezone.localtime(value, zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def decimal_text(value: Decimal | None) -> str | None:
    """As DRF's `DecimalField` with two decimal places writes an amount: "19.90"."""
    return None if value is None else f"{value.quantize(CENTS):f}"


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """`data` validated by `serializer_class`: a 400 naming each bad field otherwise, the
    errors `is_valid(raise_exception=True)` would raise.

    One instance of each class validates every request of the process, as a
    `ListSerializer` validates each item with one child: a new instance would deep-copy
    its declared fields and build their validators again on every request (about half
    of DRF's validation time). The serializers validated here read nothing of their own
    instance (no `context`, `instance` or `initial_data`), and `run_validation` keeps
    nothing on it.
    """
    try:
        return shared_instance(serializer_class).run_validation(data)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError(_as_is_valid_reports(exc.detail)) from None


@functools.cache
def shared_instance(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    """The process's one unbound instance of a request shape, its fields (and theirs)
    built now rather than lazily by two threads at once."""
    serializer = serializer_class()
    _build(serializer)
    return serializer


def _build(field: serializers.Field) -> None:
    field.validators  # noqa: B018  (built and kept on first read)
    if isinstance(field, serializers.ListSerializer):
        _build(field.child)
    elif isinstance(field, serializers.Serializer):
        for nested in field.fields.values():
            _build(nested)


def _as_is_valid_reports(detail: Any) -> Any:
    """`Serializer.errors`' one rewrite: no data at all (`null`) is "No data provided"."""
    if isinstance(detail, list) and len(detail) == 1 and getattr(detail[0], "code", None) == "null":
        return {api_settings.NON_FIELD_ERRORS_KEY: [ErrorDetail("No data provided", code="null")]}
    return detail


def reject_repeated_products(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines unchanged, or a 400 naming every product listed more than once."""
    counts = Counter(item["product_id"] for item in items)
    repeated = sorted(product_id for product_id, count in counts.items() if count > 1)
    if repeated:
        ids = ", ".join(map(str, repeated))
        raise serializers.ValidationError(
            f"Each product may appear once; repeated: {ids}. Raise its quantity instead."
        )
    return items
