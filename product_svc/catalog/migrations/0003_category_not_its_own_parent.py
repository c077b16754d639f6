"""No category is its own parent, held by the database. A row the admin let through before
is moved to the top first, so the constraint can be added over existing data."""

from django.db import migrations, models


def move_own_parents_to_the_top(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    Category.objects.filter(parent=models.F("id")).update(parent=None)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_product_search_trigram_indexes"),
    ]

    operations = [
        migrations.RunPython(move_own_parents_to_the_top, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="category",
            constraint=models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")),
                name="catalog_category_not_its_own_parent",
            ),
        ),
    ]
