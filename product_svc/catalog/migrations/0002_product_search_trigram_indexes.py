"""Trigram indexes for the product search on PostgreSQL.

Django turns `icontains` into `UPPER(col::text) LIKE UPPER(%s)`, which no B-tree index can
serve; a GIN trigram index on exactly that expression can. Other databases skip this.
"""

from django.db import migrations

SEARCHED_COLUMNS = ("name", "sku", "description")


def index_name(column: str) -> str:
    return f"catalog_product_{column}_trgm"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index_name(column)} ON catalog_product "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index_name(column)}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
