import pytest
from rest_framework import serializers

from shop_common.serializers import reject_repeated_products, validated
from shop_testing.drf import fields_built


def test_lines_of_different_products_pass_unchanged():
    items = [{"product_id": 1, "quantity": 2}, {"product_id": 2, "quantity": 1}]

    assert reject_repeated_products(items) is items


def test_every_repeated_product_is_named_once():
    items = [{"product_id": p, "quantity": 1} for p in (3, 1, 3, 1, 3, 2)]

    with pytest.raises(serializers.ValidationError, match=r"repeated: 1, 3\."):
        reject_repeated_products(items)


class Line(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=10)


class Address(serializers.Serializer):
    city = serializers.CharField(max_length=5)
    line2 = serializers.CharField(required=False, allow_blank=True, default="")


class Order(serializers.Serializer):
    items = Line(many=True, allow_empty=False, max_length=3)
    address = Address()

    def validate_items(self, items: list[dict]) -> list[dict]:
        return reject_repeated_products(items)

    def validate(self, attrs: dict) -> dict:
        if attrs["address"]["city"] == "Nowhe":
            raise serializers.ValidationError("We do not deliver there.")
        return attrs


LINE = {"product_id": 1, "quantity": 2}
GOOD = {"items": [LINE], "address": {"city": "Lyon"}}
BODIES = [
    GOOD,
    {"items": [LINE, {"product_id": "x", "quantity": 11}], "address": {"city": "Lyon"}},
    {"items": [LINE, LINE], "address": {"city": "Lyon"}},
    {"items": [], "address": {"city": "Lyon", "line2": None}},
    {"items": [LINE] * 4, "address": "Lyon"},
    {"items": "x", "address": {"city": "Toulouse"}},
    {"items": [LINE], "address": {"city": "Nowhe"}},
    {"address": {}},
    {},
    [],
    "text",
    17,
    None,
]


def is_valid_outcome(data: object) -> tuple[object, object]:
    serializer = Order(data=data)
    try:
        serializer.is_valid(raise_exception=True)
    except serializers.ValidationError as exc:
        return None, (exc.detail, exc.get_codes())
    return serializer.validated_data, None


def validated_outcome(data: object) -> tuple[object, object]:
    try:
        return validated(Order, data), None
    except serializers.ValidationError as exc:
        return None, (exc.detail, exc.get_codes())


@pytest.mark.parametrize("data", BODIES)
def test_validated_answers_what_is_valid_answers(data):
    # Twice: the second time by the instance the first one left behind.
    assert validated_outcome(data) == validated_outcome(data) == is_valid_outcome(data)


def test_validated_builds_a_shapes_fields_once(monkeypatch):
    validated(Order, GOOD)
    built = fields_built(monkeypatch)

    assert validated(Order, GOOD) == {"items": [LINE], "address": {"city": "Lyon", "line2": ""}}
    with pytest.raises(serializers.ValidationError):
        validated(Order, {"items": [LINE, LINE], "address": {"city": "Lyon"}})
    assert built == []
    assert Order(data=GOOD).is_valid()
    assert len(built) == 8  # what every request built before: the shape, its fields, theirs
