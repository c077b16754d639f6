"""Shapes more than one service reads or writes: lines of products and quantities, and
DRF's way of writing times and amounts for answers built without its fields."""

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from rest_framework import serializers

# Product ids are 64-bit in product_svc: a larger number is bad input, not a database error.
MAX_PRODUCT_ID = 2**63 - 1
# The most an order may be worth: what order_svc's total column holds on every database
# (16 digits on PostgreSQL; SQLite keeps decimals as doubles, exact to 15 digits). product_svc
# refuses to reserve more, so such an order is a 400 and takes no stock.
MAX_ORDER_TOTAL = Decimal("9999999999999.99")


CENTS = Decimal("0.01")


def iso_datetime(value: datetime) -> str:
    """As DRF's `DateTimeField` writes it: ISO 8601 in the current time zone, UTC as `Z`."""
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def decimal_text(value: Decimal | None) -> str | None:
    """As DRF's `DecimalField` with two decimal places writes an amount: "19.90"."""
    return None if value is None else f"{value.quantize(CENTS):f}"


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """`data` validated by `serializer_class`: a 400 naming each bad field otherwise."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


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
