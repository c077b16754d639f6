"""Moves of categories racing on real threads and transactions (PostgreSQL or SQLite)."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction
from rest_framework.response import Response

from catalog.models import Category
from catalog.tests.factories import CategoryFactory
from conftest import bearer_client

pytestmark = pytest.mark.django_db(transaction=True)


def move(token: str, category: Category, parent: Category) -> Response:
    try:
        client = bearer_client(token)
        return client.patch(
            f"/api/v1/categories/{category.pk}/", {"parent": parent.pk}, format="json"
        )
    finally:
        connection.close()


def wait_until_blocked(count: int) -> None:
    """Until `count` other transactions wait for a lock (on SQLite, a while: it can't say)."""
    if connection.vendor != "postgresql":
        time.sleep(1)
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            # Inside a transaction PostgreSQL keeps showing its first look at the activity.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.02)
    pytest.fail(f"{count} transactions never waited for a lock")


def test_two_moves_racing_make_no_loop():
    from shop_testing.tokens import make_access_token

    token = make_access_token(1, is_staff=True)
    kitchen, garden = CategoryFactory(), CategoryFactory()
    with ThreadPoolExecutor(max_workers=2) as pool:
        with transaction.atomic():
            # Hold both rows (on SQLite, the database) until both moves got as far as they
            # can without writing: each sees the tree as it was before either move.
            list(Category.objects.select_for_update().filter(pk__in=[kitchen.pk, garden.pk]))
            moves = [
                pool.submit(move, token, kitchen, garden),
                pool.submit(move, token, garden, kitchen),
            ]
            wait_until_blocked(2)
        responses = [future.result(timeout=30) for future in moves]

    assert sorted(response.status_code for response in responses) == [200, 400]
    parents = Category.objects.parent_ids()
    assert None in (parents[kitchen.pk], parents[garden.pk])
