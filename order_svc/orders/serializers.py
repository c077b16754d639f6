"""The shapes orders come in and go out in; validation only, no calls to other services."""

from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from orders.models import Order, OrderLine, OrderStatusEvent
from orders.states import OrderStatus
from shop_common.serializers import (
    MAX_PRODUCT_ID,
    decimal_text,
    iso_datetime,
    reject_repeated_products,
)

MAX_LINES = 100
MAX_QUANTITY = 100_000


class ShippingAddressSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    country = serializers.CharField(max_length=100)


# `ShippingAddressSerializer`'s fields, in its order.
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postal_code", "country")


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

    def to_representation(self, order: Order) -> dict[str, Any]:
        return order_answer(order)


def order_answer(order: Order) -> dict[str, Any]:
    """What `OrderSerializer`'s declared fields write (a test holds the two equal),
    without DRF building and deep-copying them for every order of every answer, nor a
    serializer built for the one order a placed order answers. The current time zone is
    looked up once for the order's times (a context-local read each)."""
    address = order.shipping_address
    zone = timezone.get_current_timezone()
    return {
        "id": str(order.id),
        "status": order.status,
        "items": lines_answer(order.lines.all()),
        "total": decimal_text(order.total),
        "currency": order.currency,
        "shipping_address": {name: str(address.get(name, "")) for name in ADDRESS_FIELDS},
        "tracking_number": order.tracking_number,
        "created_at": iso_datetime(order.created_at, zone),
        "updated_at": iso_datetime(order.updated_at, zone),
        "history": [
            {"status": event.status, "at": iso_datetime(event.at, zone), "note": event.note}
            for event in order.history.all()
        ],
    }


def lines_answer(lines: Iterable[OrderLine]) -> list[dict[str, Any]]:
    """An order's lines as `OrderLineSerializer` writes them."""
    return [
        {
            "product_id": line.product_id,
            "name": line.name,
            "unit_price": decimal_text(line.unit_price),
            "quantity": line.quantity,
            "line_total": decimal_text(line.line_total),
        }
        for line in lines
    ]


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

    def to_representation(self, order: Order) -> dict[str, Any]:
        return order_event(order)


def order_event(order: Order) -> dict[str, Any]:
    """What `OrderEventSerializer`'s declared fields write (a test holds the two equal),
    written for every move of every order without DRF's field machinery, nor a serializer
    built for each."""
    return {
        "order_id": str(order.id),
        "user_id": order.user_id,
        "status": order.status,
        "total": decimal_text(order.total),
        "currency": order.currency,
        "tracking_number": order.tracking_number,
        "items": lines_answer(order.lines.all()),
    }


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=100, required=False, allow_blank=True)


class OrderFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False, allow_blank=True)
