"""The internal reservations API's request and answer shapes."""

from collections.abc import Iterable
from typing import Any

from rest_framework import serializers

from shop_common.serializers import (
    MAX_PRODUCT_ID,
    decimal_text,
    iso_datetime,
    reject_repeated_products,
)

from .models import Reservation, ReservationLine

MAX_ITEMS = 100
MAX_QUANTITY = 1_000_000


class ReserveItemSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1, max_value=MAX_PRODUCT_ID)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class ReserveSerializer(serializers.Serializer):
    reservation_id = serializers.UUIDField()
    items = ReserveItemSerializer(many=True, allow_empty=False, max_length=MAX_ITEMS)

    def validate_items(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return reject_repeated_products(items)


class ReservationLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReservationLine
        fields = ("product_id", "name", "unit_price", "currency", "quantity")


class ReservationSerializer(serializers.ModelSerializer):
    reservation_id = serializers.UUIDField(source="id")
    items = ReservationLineSerializer(source="lines", many=True)

    class Meta:
        model = Reservation
        fields = ("reservation_id", "state", "items", "created_at")

    def to_representation(self, reservation: Reservation) -> dict[str, Any]:
        return reservation_answer(reservation, reservation.lines.all())


def reservation_answer(
    reservation: Reservation, lines: Iterable[ReservationLine]
) -> dict[str, Any]:
    """What `ReservationSerializer`'s declared fields write (a test holds the two equal),
    for lines the caller already has: a reserve answers with the lines it just wrote,
    without reading them back, and without DRF building its fields for every call."""
    return {
        "reservation_id": str(reservation.id),
        "state": reservation.state,
        "items": [
            {
                "product_id": line.product_id,
                "name": line.name,
                "unit_price": decimal_text(line.unit_price),
                "currency": line.currency,
                "quantity": line.quantity,
            }
            for line in lines
        ],
        "created_at": iso_datetime(reservation.created_at),
    }
