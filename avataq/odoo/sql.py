"""Fast writes for the large models: ids taken from the table's sequence beforehand, rows
sent with PostgreSQL ``COPY``, and the history rows django-simple-history would have
written for the same inserts (so an imported row has its "created" entry, as one saved
through a service has)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, models
from django.db.models import Lookup
from django.utils import timezone
from psycopg import sql

HISTORY_REASON = "Imported from Odoo"


@models.Field.register_lookup
class AnyOf(Lookup):
    """``field__any_of=values``: ``field = ANY(%s)`` with the values as one array
    parameter. Same rows as ``__in``, but a batch of thousands of ids is one parameter
    instead of thousands of placeholders the driver would parse on every query (the
    import's batches spent more time there than in PostgreSQL)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Iterable[Any], connection: Any) -> tuple[str, list]:
        return "%s", [list(value)]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


# A foreign key takes only the lookups registered on relations (``student_id__any_of``:
# the ids, never model instances).
models.ForeignObject.register_lookup(AnyOf)


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys from the table's own sequence (what an INSERT would
    have taken), so rows can be sent by COPY and referred to at once."""
    if count == 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert ``rows`` (attname → value; ``id`` when allocated beforehand) with COPY.
    A column a row leaves out gets the field's default; constraints and triggers apply as
    for any insert."""
    fields = list(model._meta.concrete_fields)
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    if model._meta.pk.attname not in first:
        fields = [f for f in fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table),
        sql.SQL(", ").join(sql.Identifier(f.column) for f in fields),
    )
    count = 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write_row([first.get(f.attname, defaults[f.attname]) for f in fields])
        count += 1
        for row in rows:
            copy.write_row([row.get(f.attname, defaults[f.attname]) for f in fields])
            count += 1
    return count


def analyze(*tables: type[models.Model]) -> None:
    """Fresh planner statistics for the tables a model's import just filled. A table
    loaded in one transaction has none until autovacuum comes by: PostgreSQL then
    guesses, and the legacy-id lookup of every batch (``= ANY`` of thousands of ids)
    became a full scan of a table growing by the batch — minutes at the cut-over's
    size, where the index answers in milliseconds."""
    with connection.cursor() as cursor:
        for model in dict.fromkeys(tables):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def history_model(model: type[models.Model]) -> type[models.Model] | None:
    """The model's django-simple-history table, if it keeps one."""
    manager = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(getattr(model, manager), "model", None) if manager else None


def copy_history(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> int:
    """The "created" history rows of ``rows`` (as inserted: ``id`` included), when the
    model keeps a history; nothing otherwise."""
    historical = history_model(model)
    if historical is None:
        return 0
    now = timezone.now()
    special = {
        "history_date": now,
        "history_type": "+",
        "history_change_reason": HISTORY_REASON,
        "history_user_id": None,
    }
    defaults = {
        f.attname: f.get_default() for f in historical._meta.concrete_fields if not f.primary_key
    }
    return copy_rows(
        historical,
        (
            {
                name: special[name] if name in special else row.get(name, default)
                for name, default in defaults.items()
            }
            for row in rows
        ),
    )
