import pytest
from rest_framework import serializers

from shop_common.serializers import reject_repeated_products


def test_lines_of_different_products_pass_unchanged():
    items = [{"product_id": 1, "quantity": 2}, {"product_id": 2, "quantity": 1}]

    assert reject_repeated_products(items) is items


def test_every_repeated_product_is_named_once():
    items = [{"product_id": p, "quantity": 1} for p in (3, 1, 3, 1, 3, 2)]

    with pytest.raises(serializers.ValidationError, match=r"repeated: 1, 3\."):
        reject_repeated_products(items)
