"""Recording who saw what, and the retention job. A request's views are collected on the request
(`record_access`) and written by `AccessLogMiddleware` in one statement once the response is a
success; an export writes one row per client it holds in that same statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import F, Model, QuerySet
from django.utils import timezone

from backoffice.access.models import AccessKind, AccessRecord
from backoffice.accounts.models import User

# However the setting is lowered, the job never removes a record younger than a year.
RETENTION_MINIMUM_DAYS = 365


@dataclass(frozen=True)
class Seen:
    """One thing seen in a request: `records` (a queryset) read through `client_field` gives its
    clients, one access record each (one without a client when it has none)."""

    what: AccessKind
    records: QuerySet
    client_field: str
    object_id: int | None = None
    label: str = ""


def record_access(
    request,
    what: AccessKind,
    records: QuerySet | Model,
    *,
    client_field: str = "client",
    label: str = "",
) -> None:
    """Note that this request shows `records` (a queryset, or one record) and the clients reached
    through `client_field` ("pk" for clients themselves, "lines__client" for an invoice's). Written
    only if the response succeeds; no query until then."""
    object_id = None
    if isinstance(records, Model):
        object_id = records.pk
        records = type(records)._default_manager.filter(pk=records.pk)
    else:  # a list page's queryset (ordering, annotations) read as the records it holds
        records = records.model._default_manager.filter(pk__in=records.values("pk"))
    seen = Seen(what, records, client_field, object_id, label)
    request.access_seen = [*getattr(request, "access_seen", []), seen]


def _insert(seen: Seen, *, user: User, at: datetime, path: str) -> None:
    """INSERT … SELECT: one statement whatever the number of clients."""
    clients = seen.records.order_by().values(seen_client=F(seen.client_field)).distinct()
    try:
        select_sql, select_params = clients.query.sql_with_params()
    except EmptyResultSet:  # seen, but about no client: one record without one
        select_sql, select_params = "SELECT CAST(NULL AS BIGINT) AS seen_client WHERE 1 = 0", ()
    meta = seen.records.model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(column)
        for column in (
            "user_id",
            "username",
            "at",
            "what",
            "content_type_id",
            "object_id",
            "label",
            "path",
            "client_id",
        )
    )
    # Names from the models and the ORM's own SQL; every value is a parameter.
    content_type = f"SELECT id FROM {quote(ContentType._meta.db_table)}"  # noqa: S608
    sql = (
        f"INSERT INTO {quote(AccessRecord._meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT %s, %s, %s, %s, ({content_type} WHERE app_label = %s AND model = %s), "
        "%s, %s, %s, seen.seen_client "
        f"FROM (SELECT 1 AS one) one LEFT JOIN ({select_sql}) seen ON 1 = 1"
    )
    params = (
        user.pk,
        user.get_username(),
        at,
        AccessKind(seen.what).value,
        meta.app_label,
        meta.model_name,
        seen.object_id,
        seen.label,
        path[:300],
        *select_params,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def access_records_write(*, user: User, path: str, seen: list[Seen]) -> None:
    """Record what `user` saw at `path`: one INSERT per thing seen (one per request in practice)."""
    at = timezone.now()
    for one in seen:
        _insert(one, user=user, at=at, path=path)


def access_retention_days() -> int:
    return max(settings.ACCESS_LOG_RETENTION_DAYS, RETENTION_MINIMUM_DAYS)


def _purge(records: QuerySet) -> int:
    """DELETE `records` in one statement, inside a transaction the database knows as a purge
    (migration 0002 refuses any other delete)."""
    if connection.vendor == "postgresql":
        # Off again before the end: called inside a longer transaction, the mark must not outlive
        # the purge.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL caseload.access_purge = 'on'")
            purged = records._purge()
            cursor.execute("SET LOCAL caseload.access_purge = 'off'")
        return purged
    connection.access_purge = True
    try:
        return records._purge()
    finally:
        connection.access_purge = False


@transaction.atomic
def access_records_purge() -> int:
    """The retention job: remove, set-wise, the records older than the retention period."""
    cutoff = timezone.now() - timedelta(days=access_retention_days())
    return _purge(AccessRecord.objects.filter(at__lt=cutoff))


@transaction.atomic
def access_records_purge_all() -> int:
    """The demo's flush (`fixtures.demo.seed.demo_flush`) only: the log goes with the clinic data
    it recorded."""
    return _purge(AccessRecord.objects.all())
