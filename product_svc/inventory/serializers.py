"""The internal reservations API's request and answer shapes."""

from collections import Counter
from typing import Any

from rest_framework import serializers

from .models import Reservation, ReservationLine

MAX_ITEMS = 100
MAX_QUANTITY = 1_000_000
MAX_ID = 2**63 - 1  # bigint: a larger id is a 400, not a database error


class ReserveItemSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class ReserveSerializer(serializers.Serializer):
    reservation_id = serializers.UUIDField()
    items = ReserveItemSerializer(many=True, allow_empty=False, max_length=MAX_ITEMS)

    def validate_items(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        counts = Counter(item["product_id"] for item in items)
        repeated = sorted(product_id for product_id, count in counts.items() if count > 1)
        if repeated:
            raise serializers.ValidationError(
                f"Each product may be listed once; repeated: {', '.join(map(str, repeated))}."
            )
        return items


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
