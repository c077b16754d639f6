"""The shapes orders come in and go out in; validation only, no calls to other services."""

from rest_framework import serializers

from orders.models import Order, OrderLine, OrderStatusEvent
from orders.states import OrderStatus
from shop_common.serializers import MAX_PRODUCT_ID, reject_repeated_products

MAX_LINES = 100
MAX_QUANTITY = 100_000


class ShippingAddressSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    country = serializers.CharField(max_length=100)


class OrderItemSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1, max_value=MAX_PRODUCT_ID)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class PlaceOrderSerializer(serializers.Serializer):
    items = OrderItemSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    shipping_address = ShippingAddressSerializer()

    def validate_items(self, items: list[dict[str, int]]) -> list[dict[str, int]]:
        return reject_repeated_products(items)


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ("product_id", "name", "unit_price", "quantity", "line_total")


class StatusEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderStatusEvent
        fields = ("status", "at", "note")


class OrderSerializer(serializers.ModelSerializer):
    items = OrderLineSerializer(source="lines", many=True, read_only=True)
    history = StatusEventSerializer(many=True, read_only=True)
    shipping_address = ShippingAddressSerializer(read_only=True)

    class Meta:
        model = Order
        fields = (
            "id",
            "status",
            "items",
            "total",
            "currency",
            "shipping_address",
            "tracking_number",
            "created_at",
            "updated_at",
            "history",
        )
        read_only_fields = fields


class InternalOrderSerializer(serializers.ModelSerializer):
    """What other services may know of an order: whose it is, where it stands, its total."""

    class Meta:
        model = Order
        fields = ("id", "user_id", "status", "total", "currency")
        read_only_fields = fields


class OrderEventSerializer(serializers.ModelSerializer):
    """An order as its `order.*` events carry it (docs/asyncapi.yaml); `services._apply`
    adds what the move itself says (`previous_status`, `note`, `paid`)."""

    order_id = serializers.UUIDField(source="id")
    items = OrderLineSerializer(source="lines", many=True)

    class Meta:
        model = Order
        fields = ("order_id", "user_id", "status", "total", "currency", "tracking_number", "items")
        read_only_fields = fields


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=100, required=False, allow_blank=True)


class OrderFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False, allow_blank=True)
