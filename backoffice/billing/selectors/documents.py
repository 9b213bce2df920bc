"""The loads of invoice and receipt PDFs and of the invoice exports: a constant number of
queries whatever the number of documents or lines."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from backoffice.billing.models import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PaymentAllocation,
    Receipt,
)
from backoffice.caseload.models import Client


def _lines_queryset() -> QuerySet[InvoiceLine]:
    return (
        InvoiceLine.objects.filter(is_void=False)
        .select_related("client", "therapist", "authorization", "service_type")
        .order_by("client__last_name", "client__first_name", "client_id", "service_date", "pk")
    )


def invoices_for_documents(queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Invoices with everything their PDFs print: a constant number of queries per batch."""
    return queryset.select_related("payer", "client", "credited_invoice").prefetch_related(
        Prefetch("lines", queryset=_lines_queryset())
    )


def invoice_live_lines(invoice: Invoice) -> list[InvoiceLine]:
    """The invoice's lines as its PDF prints them (not void, by client): prefetched when the
    caller loaded them (`invoices_for_documents`: ZIP, bench), else one query."""
    cache = getattr(invoice, "_prefetched_objects_cache", {})
    if "lines" in cache:
        return [line for line in cache["lines"] if not line.is_void]
    return list(_lines_queryset().filter(invoice=invoice))


def receipt_allocations(receipt: Receipt) -> QuerySet[PaymentAllocation]:
    """What the receipt's payment paid, with what the receipt prints of it: the invoices and
    their live lines, the sessions paid at the session."""
    return (
        PaymentAllocation.objects.filter(payment_id=receipt.payment_id)
        .select_related(
            "invoice",
            "appointment__billing_client",
            "appointment__therapist",
            "appointment__service_type",
        )
        .prefetch_related(Prefetch("invoice__lines", queryset=_lines_queryset()))
    )


def invoices_of_client(*, client: Client) -> QuerySet[Invoice]:
    """The invoices and credit notes a client may open on their pages: issued to them as the
    one billed (never a payer's invoice, even one made per client), newest first."""
    return Invoice.objects.filter(
        client=client, payer__isnull=True, status=InvoiceStatus.ISSUED
    ).order_by("-issued_on", "-pk")


def receipts_of_client(*, client: Client) -> QuerySet[Receipt]:
    """The receipts of a client's own payments, newest first, with the payment."""
    return (
        Receipt.objects.filter(payment__client=client)
        .select_related("payment__client")
        .order_by("-issued_on", "-pk")
    )


def invoice_lines_of(invoices: QuerySet[Invoice]) -> QuerySet[InvoiceLine]:
    """Every line of the invoices, void ones included (the lines' export)."""
    return InvoiceLine.objects.filter(invoice__in=invoices.values("pk"))


def invoice_export_values(queryset: QuerySet[Invoice]):
    """The invoices' cells for the export, in one query, streamed."""
    return queryset.order_by("pk").values_list(
        "number",
        "kind",
        "status",
        "payer__name",
        "client__first_name",
        "client__last_name",
        "payer__vendor_number",
        "issued_on",
        "due_on",
        "period_start",
        "period_end",
        "language",
        "subtotal_amount",
        "tax_amount",
        "total_amount",
        "paid_amount",
        "send_status",
    )


def invoice_line_export_values(queryset: QuerySet[InvoiceLine]):
    """The lines' cells for the export, by invoice, in one query, streamed."""
    return queryset.order_by("invoice_id", "service_date", "pk").values_list(
        "invoice__number",
        "invoice__status",
        "invoice__payer__name",
        "invoice__client__first_name",
        "invoice__client__last_name",
        "service_date",
        "client__first_name",
        "client__last_name",
        "client__date_of_birth",
        "authorization__reference_number",
        "service_type__name",
        "description",
        "therapist__first_name",
        "therapist__last_name",
        "therapist__designation",
        "therapist__registration_number",
        "unit_amount",
        "tax_rate",
        "tax_amount",
        "total_amount",
        "is_void",
    )
