"""Set-wise writes with their history rows, so a month run's or an import's query count does not
grow with the rows written (docs/quality.md, month runs), and the retry that makes concurrent
runs end as one (docs/quality.md, concurrent runs)."""

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Lookup
from django.utils import timezone
from django.utils.translation import gettext as _

RUN_ATTEMPTS = 3
Result = TypeVar("Result")


def run_retrying(run: Callable[[], Result]) -> Result:
    """`run()` in a transaction; when it meets a concurrent run's rows (a unique constraint), it
    starts over and then sees them. Past RUN_ATTEMPTS, staff are asked to run it again."""
    for _attempt in range(RUN_ATTEMPTS):
        try:
            with transaction.atomic():
                return run()
        except IntegrityError:
            continue
    raise ValidationError(_("Another run of this month was saving at the same time; run it again."))


ROWS_PER_INSERT = 100_000  # on PostgreSQL; fewer on SQLite (`rows_per_statement`)


def rows_per_statement(params_per_row: int) -> int:
    """As many rows as one statement may carry, so a month's rows are one statement whatever
    the number of therapists or payers (docs/quality.md, month runs). Django binds PostgreSQL
    parameters client-side, any number of them; SQLite takes as many as the library Python
    links allows (250,000 here, 32,766 in a default build), less the four a history INSERT
    adds."""
    if connection.vendor != "sqlite":
        return ROWS_PER_INSERT
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 4
    return max(1, min(ROWS_PER_INSERT, limit // params_per_row))


def history_rows_insert(
    *, model, ids: Sequence[int], history_type: str, by=None, reason: str | None = None
) -> None:
    """One history row per id (`history_type` "+", "~" or "-"), copied from the table by
    INSERT ... SELECT: a statement per `rows_per_statement` ids, whatever their number.

    What simple-history's bulk helpers write, without a Python object per row: they build
    and insert every row field by field, the slowest part of a month run or a 10,000-row
    import. Same columns, history type, user and reason.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in model._meta.concrete_fields)
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    history = quote(model.history.model._meta.db_table)
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    ids = list(ids)
    per_statement = rows_per_statement(1)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), per_statement):
            chunk = ids[start : start + per_statement]
            # Identifiers come from the model's meta; every value is a parameter.
            among, chunk_params = _among(chunk)
            cursor.execute(
                f"INSERT INTO {history} ({names}, history_date, history_change_reason, "  # noqa: S608
                f"history_type, history_user_id) SELECT {names}, %s, %s, %s, %s "
                f"FROM {table} WHERE {pk} {among}",
                [stamp, reason, history_type, getattr(by, "pk", None), *chunk_params],
            )


def _among(ids: list) -> tuple[str, list]:
    """`IN (...)` as SQL after the column, and its parameters. On PostgreSQL one array
    parameter: Django binds client-side, and psycopg spends ~10 µs a placeholder reading a
    statement (100 ms of a 10,000-row import's history rows, docs/quality.md)."""
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [ids]
    return f"IN ({', '.join(['%s'] * len(ids))})", ids


class Among(Lookup):
    """`field__among=values`: `field__in` for thousands of plain ids or codes, bound as one
    array on PostgreSQL (`_among`) and without Django preparing each value: both cost more
    than the SQL for a 10,000-row import's chunks (docs/quality.md, Finance import).
    Registered on every field by `backoffice.apps`."""

    lookup_name = "among"

    def get_prep_lookup(self):
        if isinstance(self.rhs, str | bytes) or not isinstance(self.rhs, Iterable):
            raise ValueError("__among takes a list of values")  # e.g. from an admin URL
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        values = self.rhs
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        among, params = _among(values)
        return f"{lhs} {among}", [*lhs_params, *params]


def insert_with_history(*, model, columns: list[str], rows: list[tuple], by, reason: str):
    """INSERT the rows, then their "+" history rows: two queries (`rows_per_statement`); the
    new ids.

    What `bulk_create_with_history` writes, at a fraction of its cost: Django's bulk_create
    builds a model instance and compiles every value through the field machinery, ~20 times
    the cost of the SQL itself for a month's lines (docs/quality.md, month runs). Values
    here are plain ints, strings, dates and Decimals the drivers adapt themselves.
    """
    if not rows:
        return []
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    ids = []
    per_statement = rows_per_statement(len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            # Identifiers come from the model's meta; every value is a parameter.
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([row] * len(chunk))} "  # noqa: S608
                f"RETURNING {pk}",
                [value for values in chunk for value in values],
            )
            chunk_ids = [returned[0] for returned in cursor.fetchall()]
            history_rows_insert(model=model, ids=chunk_ids, history_type="+", by=by, reason=reason)
            ids += chunk_ids
    return ids


def created_with_history(objects: list, *, by, reason: str | None = None) -> list:
    """`bulk_create` the objects (their ids set), then their "+" history rows in one INSERT ...
    SELECT: what simple-history's `bulk_create_with_history` writes, without building a
    history object in Python for each (a fifth of a 10,000-row import, docs/quality.md)."""
    if not objects:
        return objects
    model = type(objects[0])
    model.objects.bulk_create(objects)
    ids = [instance.pk for instance in objects]
    history_rows_insert(model=model, ids=ids, history_type="+", by=by, reason=reason)
    return objects


@contextmanager
def whole_batches() -> Iterator[None]:
    """On SQLite, let one INSERT carry as many parameters as the linked library allows.

    Django assumes SQLite's historic 999-variable limit, i.e. one INSERT per ~60 lines; the
    SQLite Python links today allows far more (250,000 here), so a month of lines is one
    INSERT and the run's query count does not grow with its sessions (docs/quality.md,
    month runs).
    """
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    features = connection.features
    had_own = "max_query_params" in features.__dict__
    previous = features.max_query_params
    features.max_query_params = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    try:
        yield
    finally:
        if had_own:
            features.max_query_params = previous
        else:
            del features.max_query_params


def delete_with_history(queryset, *, by, reason: str) -> int:
    """DELETE the rows, after their "-" history rows: three queries, not one per row.

    For rows nothing else points at (a draft's lines); Django's delete() would load every row
    and let simple-history insert its history row one at a time.
    """
    model = queryset.model
    ids = list(queryset.values_list("pk", flat=True))
    if not ids:
        return 0
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    per_statement = rows_per_statement(1)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), per_statement):
            chunk = ids[start : start + per_statement]
            history_rows_insert(model=model, ids=chunk, history_type="-", by=by, reason=reason)
            among, chunk_params = _among(chunk)
            # Identifiers come from the model's meta; every value is a parameter.
            cursor.execute(f"DELETE FROM {table} WHERE {pk} {among}", chunk_params)  # noqa: S608
    return len(ids)
