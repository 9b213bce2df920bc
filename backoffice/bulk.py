"""Month runs: set-wise writes with their history rows, so the query count does not grow with
the rows written (QUALITY P4, P5), and the retry that makes concurrent runs end as one (R1)."""

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
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
    the number of therapists or payers (QUALITY P4, P5). Django binds PostgreSQL parameters
    client-side, any number of them; SQLite takes as many as the library Python links allows
    (250,000 here, 32,766 in a default build), less the three a history INSERT adds."""
    if connection.vendor != "sqlite":
        return ROWS_PER_INSERT
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 3
    return max(1, min(ROWS_PER_INSERT, limit // params_per_row))


def insert_with_history(*, model, columns: list[str], rows: list[tuple], by, reason: str):
    """INSERT the rows, then their "+" history rows: two queries (`rows_per_statement`); the
    new ids.

    What `bulk_create_with_history` writes, at a fraction of its cost: Django's bulk_create
    builds a model instance and compiles every value through the field machinery, ~20 times
    the cost of the SQL itself for a month's lines (QUALITY P4 allows 3). Values here are
    plain ints, strings, dates and Decimals the drivers adapt themselves.
    """
    if not rows:
        return []
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    history = quote(model.history.model._meta.db_table)
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
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
            cursor.execute(
                f"INSERT INTO {history} ({pk}, {names}, history_date, history_change_reason, "  # noqa: S608
                f"history_type, history_user_id) SELECT {pk}, {names}, %s, %s, '+', %s "
                f"FROM {table} WHERE {pk} IN ({', '.join(['%s'] * len(chunk_ids))})",
                [stamp, reason, getattr(by, "pk", None), *chunk_ids],
            )
            ids += chunk_ids
    return ids


@contextmanager
def whole_batches() -> Iterator[None]:
    """On SQLite, let one INSERT carry as many parameters as the linked library allows.

    Django assumes SQLite's historic 999-variable limit, i.e. one INSERT per ~60 lines; the
    SQLite Python links today allows far more (250,000 here), so a month of lines is one
    INSERT and the run's query count does not grow with its sessions (QUALITY P4).
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
    history = quote(model.history.model._meta.db_table)
    names = ", ".join(
        quote(field.column) for field in model._meta.concrete_fields if not field.primary_key
    )
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    per_statement = rows_per_statement(1)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), per_statement):
            chunk = ids[start : start + per_statement]
            marks = ", ".join(["%s"] * len(chunk))
            # Identifiers come from the model's meta; every value is a parameter.
            cursor.execute(
                f"INSERT INTO {history} ({pk}, {names}, history_date, history_change_reason, "  # noqa: S608
                f"history_type, history_user_id) SELECT {pk}, {names}, %s, %s, '-', %s "
                f"FROM {table} WHERE {pk} IN ({marks})",
                [stamp, reason, getattr(by, "pk", None), *chunk],
            )
            cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({marks})", chunk)  # noqa: S608
    return len(ids)
