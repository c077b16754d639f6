"""Migrations that change data, run on a real database from the state before them."""

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("catalog", "0002_product_search_trigram_indexes")]
AFTER = [("catalog", "0003_category_not_its_own_parent")]


def migrate(targets: list[tuple[str, str]] | None = None) -> Apps:
    """The models as they are once `targets` (default: every latest migration) are applied."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_category_left_as_its_own_parent_is_moved_to_the_top_before_the_constraint():
    Category = migrate(BEFORE).get_model("catalog", "Category")
    own_parent = Category.objects.create(name="Kitchen", slug="kitchen")
    Category.objects.filter(pk=own_parent.pk).update(parent=own_parent)
    try:
        Category = migrate(AFTER).get_model("catalog", "Category")

        assert Category.objects.get(pk=own_parent.pk).parent_id is None
    finally:
        migrate()
