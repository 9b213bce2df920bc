"""Excel and CSV exports of invoices and invoice lines, and the ZIP of their PDFs.

One query per export (`selectors.invoice_export_values`, `invoice_line_export_values`: a
`values_list` over the joins, streamed with `iterator`), written by `documents.spreadsheets`
(write-only, every text cell made safe).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from backoffice.billing.models import Invoice, InvoiceLine
from backoffice.billing.selectors import (
    invoice_export_values,
    invoice_line_export_values,
    invoices_for_documents,
)
from backoffice.billing.services.pdf import invoice_pdf, invoice_pdf_filename
from backoffice.caseload.models import Designation
from backoffice.documents.formatting import person_name
from backoffice.documents.spreadsheets import EXPORT_CHUNK_ROWS, rows_csv, rows_xlsx
from backoffice.documents.zips import documents_zip_stream


def invoice_headers() -> list[str]:
    return [
        _("Number"),
        _("Kind"),
        _("Status"),
        _("Bill to"),
        _("Our vendor number"),
        _("Invoice date"),
        _("Due date"),
        _("Period from"),
        _("Period to"),
        _("Language"),
        _("Subtotal"),
        _("Tax"),
        _("Total"),
        _("Paid"),
        _("Balance"),
        _("Sending"),
    ]


def invoice_rows(queryset: QuerySet[Invoice]) -> Iterator[list]:
    """One row per invoice, in one query."""
    for (
        number,
        kind,
        status,
        payer_name,
        client_first,
        client_last,
        vendor_number,
        issued_on,
        due_on,
        period_start,
        period_end,
        language,
        subtotal,
        tax,
        total,
        paid,
        send_status,
    ) in invoice_export_values(queryset).iterator(chunk_size=EXPORT_CHUNK_ROWS):
        yield [
            number or "",
            kind,
            status,
            payer_name or person_name(client_first, client_last),
            vendor_number or "",
            issued_on,
            due_on,
            period_start,
            period_end,
            language,
            subtotal,
            tax,
            total,
            paid,
            total - paid,
            send_status,
        ]


def line_headers() -> list[str]:
    return [
        _("Invoice"),
        _("Invoice status"),
        _("Bill to"),
        _("Service date"),
        _("Client legal name"),
        _("Date of birth"),
        _("Claim or referral no."),
        _("Service"),
        _("Description"),
        _("Therapist"),
        _("Designation"),
        _("Registration no."),
        _("Fee"),
        _("Tax rate"),
        _("Tax"),
        _("Total"),
        _("Void"),
    ]


def line_rows(queryset: QuerySet[InvoiceLine]) -> Iterator[list]:
    """One row per invoice line, in one query."""
    designations = dict(Designation.choices)
    yes, no = _("yes"), ""
    for row in invoice_line_export_values(queryset).iterator(chunk_size=EXPORT_CHUNK_ROWS):
        (
            number,
            status,
            payer_name,
            bill_first,
            bill_last,
            service_date,
            client_first,
            client_last,
            date_of_birth,
            reference,
            service,
            description,
            therapist_first,
            therapist_last,
            designation,
            registration,
            fee,
            tax_rate,
            tax,
            total,
            is_void,
        ) = row
        yield [
            number or "",
            status,
            payer_name or person_name(bill_first, bill_last),
            service_date,
            person_name(client_first, client_last),
            date_of_birth,
            reference or "",
            service,
            description,
            person_name(therapist_first, therapist_last),
            str(designations.get(designation, designation)),
            registration,
            fee,
            tax_rate,
            tax,
            total,
            yes if is_void else no,
        ]


def invoices_xlsx(*, queryset: QuerySet[Invoice]) -> bytes:
    return rows_xlsx(title=_("Invoices"), headers=invoice_headers(), rows=invoice_rows(queryset))


def invoice_lines_xlsx(*, queryset: QuerySet[InvoiceLine]) -> bytes:
    return rows_xlsx(title=_("Invoice lines"), headers=line_headers(), rows=line_rows(queryset))


def invoices_csv(*, queryset: QuerySet[Invoice]) -> Iterator[str]:
    return rows_csv(headers=invoice_headers(), rows=invoice_rows(queryset))


def invoice_lines_csv(*, queryset: QuerySet[InvoiceLine]) -> Iterator[str]:
    return rows_csv(headers=line_headers(), rows=line_rows(queryset))


def invoices_zip_stream(*, invoice_ids: list[int]) -> Iterator[bytes]:
    """A ZIP of the invoices' PDFs, streamed; two queries per batch of ZIP_BATCH invoices."""
    return documents_zip_stream(
        ids=invoice_ids,
        documents=invoices_for_documents(Invoice.objects.all()),
        pdf=lambda invoice: invoice_pdf(invoice=invoice),
        filename=invoice_pdf_filename,
    )
