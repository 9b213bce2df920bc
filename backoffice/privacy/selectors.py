"""Reads: everything the clinic holds about one client (one query per kind of record, whatever
their number), and the privacy requests still to answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from backoffice.access.models import AccessRecord
from backoffice.billing.models import Invoice, InvoiceLine, InvoiceStatus, Payment, Receipt
from backoffice.billing.selectors import invoices_for_documents
from backoffice.caseload.models import Authorization, Client, ContactConsent
from backoffice.messaging.models import OutboxMessage
from backoffice.privacy.models import PrivacyRequest
from backoffice.reminders.models import Reminder
from backoffice.scheduling.models import Appointment

HISTORY_USER = ("history_user__first_name", "history_user__last_name", "history_user__username")


def consents_of(client: Client) -> QuerySet[ContactConsent]:
    return client.consents.select_related("recorded_by").order_by("recorded_at", "pk")


def authorizations_of(client: Client) -> QuerySet[Authorization]:
    return client.authorizations.select_related("payer").order_by("valid_from", "pk")


def appointments_of(client: Client) -> QuerySet[Appointment]:
    """Every session the client was billed for or attended (couples, families, groups)."""
    return (
        Appointment.objects.filter(
            pk__in=Appointment.objects.filter(Q(billing_client=client) | Q(clients=client)).values(
                "pk"
            )
        )
        .select_related("therapist", "service_type", "room__site", "authorization")
        .order_by("starts_at", "pk")
    )


def invoice_lines_of(client: Client) -> QuerySet[InvoiceLine]:
    """The client's lines on any invoice, a payer's included (not the other clients' lines)."""
    return (
        InvoiceLine.objects.filter(client=client)
        .select_related("invoice__payer", "therapist", "service_type", "authorization")
        .order_by("service_date", "pk")
    )


def invoices_of(client: Client) -> QuerySet[Invoice]:
    """The issued (or since voided) invoices and credit notes billed to the client alone —
    directly, or by a payer invoicing per client — loaded for their PDFs."""
    return invoices_for_documents(
        Invoice.objects.filter(client=client).exclude(status=InvoiceStatus.DRAFT).order_by("pk")
    )


def payments_of(client: Client) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(client=client)
        .select_related("receipt")
        .order_by("received_on", "pk")
    )


def receipts_of(client: Client) -> QuerySet[Receipt]:
    return Receipt.objects.filter(payment__client=client).select_related("payment__client")


def reminders_of(client: Client) -> QuerySet[Reminder]:
    return client.reminders.select_related("appointment").order_by("send_at", "pk")


def messages_to(client: Client, *, addresses: set[str]) -> QuerySet[OutboxMessage]:
    """Emails and SMS sent to the client: their reminders, and every message to an address or
    number the client's file holds or held."""
    return OutboxMessage.objects.filter(
        Q(recipient__in=sorted(addresses)) | Q(reminder__client=client)
    ).order_by("created_at", "pk")


@dataclass
class HistoryRows:
    """The history rows of one model's records, as values, oldest first per record."""

    model: type
    rows: list[dict]


def _history(model, ids) -> HistoryRows:
    historical = model.history.model
    fields = [field.attname for field in historical.tracked_fields]
    rows = (
        historical.objects.filter(id__in=ids)
        .order_by("id", "history_date", "history_id")
        .values(*fields, "history_date", "history_type", "history_change_reason", *HISTORY_USER)
    )
    return HistoryRows(model=model, rows=list(rows))


def history_of(client: Client) -> list[HistoryRows]:
    """The change history of the client's file, authorizations and sessions."""
    return [
        _history(Client, [client.pk]),
        _history(Authorization, Authorization.objects.filter(client=client).values("pk")),
        _history(
            Appointment,
            Appointment.objects.filter(Q(billing_client=client) | Q(clients=client)).values("pk"),
        ),
    ]


def access_records_of(client: Client) -> QuerySet[AccessRecord]:
    """Who saw the client's information, when, on which page (the access log)."""
    return AccessRecord.objects.filter(client=client).select_related("user").order_by("at", "pk")


def requests_open_filter(*, today: date, overdue: bool) -> Q:
    """Requests not yet answered; overdue ones past their due day."""
    condition = Q(completed_at=None)
    return condition & Q(due_on__lt=today) if overdue else condition


def privacy_requests_of(client: Client) -> QuerySet[PrivacyRequest]:
    return client.privacy_requests.order_by("received_on", "pk")
