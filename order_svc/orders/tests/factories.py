"""Test data for orders as they are written to the database."""

from datetime import timedelta

import factory
from django.utils import timezone

from orders.models import IdempotencyRecord, Order, OrderLine
from orders.tests.conftest import ADDRESS


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    user_id = 7
    shipping_address = factory.LazyFunction(lambda: dict(ADDRESS))


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product_id = 1
    quantity = 1


class IdempotencyRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdempotencyRecord

    user_id = 7
    key = factory.Sequence(lambda n: f"key-{n}")
    request_hash = "0" * 64
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=24))
