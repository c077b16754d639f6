"""Several writes sent as one PostgreSQL statement, which commits as one transaction.

Through the ORM each write of an order is a statement of its own, with its round trip and
0.4-1 ms of the request's CPU, and each transaction costs two round trips more (psycopg
sends `BEGIN` on its own, then `COMMIT`). PostgreSQL runs the data-modifying parts of a
`WITH` together: they see one snapshot, and they commit together, or fail together, as
one statement outside a transaction block does. A part may be made to write only when
another wrote a row (`when`): the writes of a move happen only if the move did.

SQLite has no data-modifying `WITH`; the callers keep their ORM writes there.
"""

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connections, models
from django.db.models import Field

# The statements go to the default database, PostgreSQL: their SQL is built once per
# shape (model, columns, rows) and kept, like the casts of each column.
DATABASE = "default"


class Writes:
    """The parts of one statement, in the order they are added; `run` sends them."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, str]] = []
        self.params: list[Any] = []
        self.inserted: dict[str, Sequence[models.Model]] = {}

    def insert(self, name: str, rows: Sequence[models.Model], *, when: str | None = None) -> None:
        """INSERT new rows of one model; `run` sets the ids the database gives them (an
        identity primary key left empty), in the rows' order, as `bulk_create` does."""
        model = type(rows[0])
        generated = rows[0].pk is None
        fields, sql = _insert(model, generated, len(rows), when)
        connection = connections[DATABASE]
        params = [
            field.get_db_prep_save(field.pre_save(row, True), connection)
            for row in rows
            for field in fields
        ]
        self.add(name, sql, params)
        if generated:
            self.inserted[name] = rows

    def update(
        self,
        name: str,
        model: type[models.Model],
        pk: Any,
        values: dict[str, Any],
        *,
        where: dict[str, Any] | None = None,
        when: str | None = None,
    ) -> None:
        """UPDATE one row by primary key, where its columns still hold `where`;
        RETURNING its primary key, so that other parts can be made to depend on it."""
        where = {model._meta.pk.name: pk, **(where or {})}
        fields, sql = _update(model, tuple(values), tuple(where), when)
        connection = connections[DATABASE]
        given = [*values.values(), *where.values()]
        params = [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, given, strict=True)
        ]
        self.add(name, sql, params)

    def add(self, name: str, sql: str, params: Sequence[Any]) -> None:
        """A part written by hand (an UPDATE ... FROM VALUES, say)."""
        self.parts.append((name, sql))
        self.params.extend(params)

    def run(self, *, counted: str | None = None) -> int:
        """Send the statement; how many rows the part `counted` (which returns them)
        wrote. The rows inserted get their ids."""
        selected = [counted] if counted is not None else []
        selected += [name for name in self.inserted if name != counted]
        selects = []
        for n, name in enumerate(selected):
            rows = self.inserted.get(name)
            pk = quote(rows[0]._meta.pk.column) if rows else "NULL::bigint"
            selects.append(f"SELECT {n}, {pk} FROM {quote(name)}")
        parts = ",\n".join(f"{quote(name)} AS ({sql})" for name, sql in self.parts)
        with connections[DATABASE].cursor() as cursor:
            cursor.execute(f"WITH {parts}\n{' UNION ALL '.join(selects)}", self.params)
            returned = cursor.fetchall()
        ids: dict[int, list[Any]] = {}
        for n, pk in returned:
            ids.setdefault(n, []).append(pk)
        for n, name in enumerate(selected):
            for row, pk in zip(self.inserted.get(name, ()), ids.get(n, ()), strict=False):
                row.pk = pk
                row._state.adding = False
        return len(ids.get(0, ())) if counted is not None else 0


@functools.cache
def _insert(
    model: type[models.Model], generated: bool, count: int, when: str | None
) -> tuple[list[Field], str]:
    """The fields whose values an INSERT of `count` rows takes, in order, and its SQL."""
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not (generated and field is meta.pk)]
    one = "(" + ", ".join(f"%s::{cast(field)}" for field in fields) + ")"
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join([one] * count)
    if when is None:
        source = f"VALUES {values}"
    else:
        exists = f"EXISTS (SELECT FROM {quote(when)})"
        source = f"SELECT * FROM (VALUES {values}) AS v WHERE {exists}"
    returning = f" RETURNING {quote(meta.pk.column)}" if generated else ""
    return fields, f"INSERT INTO {quote(meta.db_table)} ({columns}) {source}{returning}"


@functools.cache
def _update(
    model: type[models.Model], names: tuple[str, ...], where: tuple[str, ...], when: str | None
) -> tuple[list[Field], str]:
    """The fields whose values an UPDATE of `names` where `where` takes, and its SQL."""
    meta = model._meta
    table = quote(meta.db_table)
    assignments = [
        f"{quote(meta.get_field(name).column)} = %s::{cast(meta.get_field(name))}" for name in names
    ]
    conditions = [f"{table}.{quote(meta.get_field(name).column)} = %s" for name in where]
    source = f" FROM {quote(when)}" if when is not None else ""
    sql = (
        f"UPDATE {table} SET {', '.join(assignments)}{source} "
        f"WHERE {' AND '.join(conditions)} RETURNING {table}.{quote(meta.pk.column)}"
    )
    return [meta.get_field(name) for name in (*names, *where)], sql


def cast(field: Field) -> str:
    return field.cast_db_type(connections[DATABASE])


@functools.cache
def quote(name: str) -> str:
    return connections[DATABASE].ops.quote_name(name)
