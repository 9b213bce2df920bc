"""Reads for statements: the therapist's own, the month run's candidates and rates, the loads
of the PDFs and the workbook, and those whose email failed."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import date, timedelta

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)

from backoffice.caseload.models import Therapist, TherapistRate
from backoffice.payouts.models import Statement, StatementLine, StatementLineKind, StatementStatus
from backoffice.scheduling.models import MISSED_STATUSES, Appointment, AppointmentStatus
from backoffice.scheduling.selectors import session_paid
from backoffice.zone_data import local_midnight


def statements_of_therapist(*, therapist: Therapist) -> QuerySet[Statement]:
    """The therapist's own statements once sent (drafts may still change), newest first."""
    return (
        Statement.objects.filter(therapist=therapist)
        .exclude(status=StatementStatus.DRAFT)
        .order_by("-period_start")
    )


def statements_first_month() -> date | None:
    """The first month statements were run (go-live)."""
    return Statement.objects.aggregate(first=Min("period_start"))["first"]


# --- the month run ------------------------------------------------------------------------


def statement_candidates(
    *, since: date, last: date, therapist, redone_ids, kept_therapist_ids
) -> list[tuple]:
    """One query: the billable sessions from `since` to `last` that no statement outside
    `redone_ids` pays out, each with whether it was paid by `last`
    (`scheduling.selectors.session_paid`)."""
    paid_elsewhere = StatementLine.objects.filter(
        appointment=OuterRef("pk"), kind=StatementLineKind.PAID
    ).exclude(statement_id__in=redone_ids)
    sessions = (
        Appointment.objects.filter(
            starts_at__gte=local_midnight(since),
            starts_at__lt=local_midnight(last + timedelta(days=1)),
        )
        .filter(
            Q(status=AppointmentStatus.COMPLETED)
            | Q(status__in=MISSED_STATUSES, missed_session_fee_amount__isnull=False)
            & session_paid()
        )
        .exclude(therapist_id__in=kept_therapist_ids)
        .exclude(Exists(paid_elsewhere))
    )
    if therapist is not None:
        sessions = sessions.filter(therapist=therapist)
    return list(
        sessions.annotate(
            paid_by_month_end=ExpressionWrapper(session_paid(by=last), BooleanField())
        )
        .order_by("therapist_id", "starts_at", "pk")
        .values_list(
            "pk",
            "therapist_id",
            "billing_client_id",
            "service_type_id",
            "starts_at",
            "status",
            "missed_session_fee_amount",
            "paid_at",
            "paid_by_month_end",
        )
    )


class RatesInForce:
    """Every rate of the therapists, read once; the one in force for a therapist, service and
    day.

    The same rule as `caseload.selectors.therapist_rate_in_force`: a row for the service
    beats the therapist's general row.
    """

    def __init__(self, therapist_ids):
        self.by_key: dict[tuple, tuple[list, list]] = defaultdict(lambda: ([], []))
        rates = TherapistRate.objects.filter(therapist_id__in=therapist_ids).order_by(
            "effective_from"
        )
        for rate in rates:
            days, rows = self.by_key[(rate.therapist_id, rate.service_type_id)]
            days.append(rate.effective_from)
            rows.append(rate)

    def _latest(self, key, on: date) -> TherapistRate | None:
        days, rows = self.by_key.get(key, ((), ()))
        index = bisect_right(days, on)
        return rows[index - 1] if index else None

    def rate(self, *, therapist_id: int, service_type_id: int, on: date) -> TherapistRate | None:
        return self._latest((therapist_id, service_type_id), on) or self._latest(
            (therapist_id, None), on
        )


# --- documents ------------------------------------------------------------------------------


def _lines_queryset() -> QuerySet[StatementLine]:
    return StatementLine.objects.select_related("client", "service_type").order_by(
        "service_date", "pk"
    )


def statements_for_documents(queryset: QuerySet[Statement]) -> QuerySet[Statement]:
    """Statements with everything their PDFs print: a constant number of queries per batch."""
    return queryset.select_related("therapist").prefetch_related(
        Prefetch("lines", queryset=_lines_queryset())
    )


def statement_lines(statement: Statement) -> list[StatementLine]:
    """The statement's lines as its PDF prints them: prefetched when the caller loaded them
    (`statements_for_documents`), else one query."""
    cache = getattr(statement, "_prefetched_objects_cache", {})
    if "lines" in cache:
        return list(cache["lines"])
    return list(_lines_queryset().filter(statement=statement))


def statement_export_values(queryset: QuerySet[Statement]):
    """The statements' cells for the workbook, in one query, streamed."""
    return queryset.order_by(
        "period_start", "therapist__last_name", "therapist__first_name", "pk"
    ).values_list(
        "therapist__first_name",
        "therapist__last_name",
        "period_start",
        "status",
        "send_status",
        "paid_count",
        "gross_amount",
        "service_fee_amount",
        "net_amount",
        "held_count",
        "held_amount",
        "sent_on",
        "paid_on",
        "payout_reference",
    )


def statement_line_export_values(statements: QuerySet[Statement]):
    """The lines of the statements for the workbook, in one query: paid out before held in
    each statement, as on the PDF."""
    lines = StatementLine.objects.filter(statement__in=statements.values("pk"))
    return lines.order_by(
        "statement__period_start",
        "statement__therapist__last_name",
        "statement__therapist__first_name",
        "statement_id",
        "-kind",
        "service_date",
        "pk",
    ).values_list(
        "statement__therapist__first_name",
        "statement__therapist__last_name",
        "statement__period_start",
        "kind",
        "service_date",
        "client_id",
        "client__first_name",
        "client__last_name",
        "service_type__name",
        "appointment_status",
        "paid_on",
        "price_amount",
        "service_fee_amount",
        "net_amount",
    )
