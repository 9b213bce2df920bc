"""Billing reads: which sessions are billed, what a session payment needs, invoice search."""

import re
from datetime import timedelta

from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from backoffice.billing.models import (
    DocumentCounter,
    DocumentSeries,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
)
from backoffice.billing.services.numbering import NUMBER_DIGITS, document_number_format
from backoffice.billing.sessions import (
    BILLABLE_STATUSES,
    BillTo,
    session_bill_to,
    session_client_total,
    session_paid,
)
from backoffice.caseload.models import Client, Payer
from backoffice.scheduling.models import Appointment, AppointmentStatus
from backoffice.scheduling.selectors import COMMON_NAME_CLIENTS, clients_matching

# Sessions paid ahead: at most this far in the future (the next few of a weekly series).
SESSIONS_PAYABLE_AHEAD_DAYS = 14


def invoice_billed_appointment_ids(*, appointment_ids=None) -> QuerySet:
    """Ids of appointments on a live line of an invoice (draft or issued), as a subquery.

    `appointment_ids` (ids or a queryset of ids) narrows the answer to those appointments.
    """
    lines = InvoiceLine.objects.filter(is_void=False, appointment__isnull=False)
    if appointment_ids is not None:
        lines = lines.filter(appointment_id__in=appointment_ids)
    return lines.values_list("appointment_id", flat=True)


def sessions_with_payment_facts(
    queryset: QuerySet[Appointment] | None = None,
) -> QuerySet[Appointment]:
    """Appointments with what a payment taken at the session must know: `bill_to` (who the
    payer rules bill it to), `is_paid` (a payment covers it) and `issued_invoice` (the number
    of the issued invoice billing it, or None)."""
    queryset = Appointment.objects.all() if queryset is None else queryset
    issued_line = InvoiceLine.objects.filter(
        appointment=OuterRef("pk"), is_void=False, invoice__status=InvoiceStatus.ISSUED
    )
    return queryset.annotate(
        bill_to=session_bill_to(),
        is_paid=ExpressionWrapper(session_paid(), output_field=BooleanField()),
        issued_invoice=Subquery(issued_line.values("invoice__number")[:1]),
    )


def sessions_payable(*, client: Client, limit: int = 30) -> list[Appointment]:
    """The client's sessions they can pay at the session now, newest first (at most `limit`,
    none more than SESSIONS_PAYABLE_AHEAD_DAYS ahead): billed to them, not cancelled, not paid,
    not on an issued invoice. Each carries `due_amount`, what it costs them. Two queries."""
    ahead = timezone.now() + timedelta(days=SESSIONS_PAYABLE_AHEAD_DAYS)
    sessions = (
        sessions_with_payment_facts(
            Appointment.objects.filter(
                billing_client=client,
                starts_at__lt=ahead,
                status__in=(AppointmentStatus.SCHEDULED, *BILLABLE_STATUSES),
            )
        )
        .filter(bill_to=BillTo.CLIENT, issued_invoice__isnull=True)
        .exclude(session_paid())
        .select_related("service_type", "therapist")
        .order_by("-starts_at", "-pk")[:limit]
    )
    sessions = list(sessions)
    for session in sessions:
        session.due_amount = session_client_total(session)
    return sessions


# "2707", "02707", "2026-027", "INV-2026-027", "INV-2026-02707" (any case, dashes optional
# between the parts that are given).
NUMBER_FRAGMENT = re.compile(
    rf"^(?:(?P<series>[A-Z]+)-?)?(?:(?P<year>\d{{4}})-)?(?P<digits>\d{{1,{NUMBER_DIGITS}}})$"
)
# A fragment that fits more numbers than this (e.g. "INV-2026-0") is too vague to list them.
MOST_NUMBERS = 200


def invoice_numbers_like(term: str) -> list[str]:
    """The invoice and credit note numbers given so far that a typed fragment names, newest
    first: digits alone end the number ("2707": INV-2026-02707, CN-2025-12707…); after a
    year they begin its counter ("INV-2026-027": INV-2026-02700 to -02799). Read from the
    document counters (a row per series and year), so no invoice is scanned."""
    match = NUMBER_FRAGMENT.match(term.strip().upper())
    if match is None:
        return []
    series, year, digits = match["series"], match["year"], match["digits"]
    counters = DocumentCounter.objects.filter(
        series__in=[DocumentSeries.INVOICE, DocumentSeries.CREDIT_NOTE]
    ).order_by("-year", "series")
    if series:
        counters = counters.filter(series=series)
    if year:
        counters = counters.filter(year=int(year))
    numbers: list[str] = []
    for counter in counters:
        if year:  # the counter's first digits
            scale = 10 ** (NUMBER_DIGITS - len(digits))
            first, step = int(digits) * scale, 1
            last = min(first + scale - 1, counter.last_number)
        else:  # its last digits
            first, step, last = int(digits), 10 ** len(digits), counter.last_number
        for number in range(first, last + 1, step):
            if number:
                numbers.append(
                    document_number_format(series=counter.series, year=counter.year, number=number)
                )
            if len(numbers) > MOST_NUMBERS:
                return []
    return numbers


def invoices_matching(*, invoices: QuerySet[Invoice], term: str) -> QuerySet[Invoice]:
    """Invoices whose number `term` names (whole or a fragment, `invoice_numbers_like`), or
    billed to (or with a line of) a matching payer or client. Names are matched in the small
    payers and clients tables first; invoices are then reached through their number, payer,
    client and line-client indexes, never by scanning them."""
    term = term.strip()
    payer_ids = list(Payer.objects.filter(name__icontains=term).values_list("pk", flat=True))
    client_ids = list(
        clients_matching(term=term).values_list("pk", flat=True)[:COMMON_NAME_CLIENTS]
    )
    with_client_lines = InvoiceLine.objects.filter(client_id__in=client_ids).values("invoice_id")
    return invoices.filter(
        Q(number__iexact=term)
        | Q(number__in=invoice_numbers_like(term))
        | Q(payer_id__in=payer_ids)
        | Q(client_id__in=client_ids)
        | Q(pk__in=with_client_lines)
    )
