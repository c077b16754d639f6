"""One trigram index over the searched text (`catalog.models.SearchedText`) on PostgreSQL.

The list's search asked for each word `UPPER(name) LIKE … OR UPPER(description) LIKE …
OR UPPER(sku) LIKE …`: three indexes the planner could combine, but with a row estimate
it could only guess, so a search of 3 matches in price order walked the whole price
index instead (300 ms for 100,000 products). One index over the one expression the
search writes gives the planner that expression's statistics too. The index must
match `SearchedText` under `icontains` exactly; `test_product_search_plan` holds them
together. The description's own index served only that search and goes; the name's
and the SKU's serve the admin's search. Other databases skip this.
"""

from django.db import migrations

INDEX = "catalog_product_searched_text_trgm"
SEARCHED_TEXT = "(UPPER((name || ' ' || description || ' ' || sku)::text))"
DESCRIPTION_INDEX = "catalog_product_description_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_product "
        f"USING gin ({SEARCHED_TEXT} gin_trgm_ops)"
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {DESCRIPTION_INDEX}")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {DESCRIPTION_INDEX} ON catalog_product "
        "USING gin ((UPPER(description::text)) gin_trgm_ops)"
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_product_image")]

    operations = [migrations.RunPython(create_index, drop_index)]
