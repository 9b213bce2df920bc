"""Invoice and receipt PDFs in the bill-to's language, with the fields payers ask for.

They extend `documents/pdf/base.html` and render under the documents app's fonts-only policy
(`documents.pdf`); what they print is loaded by `billing.selectors.documents`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.billing.models import (
    MISSED_LABELS,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Receipt,
    client_unit_amount,
    line_amounts,
)
from backoffice.billing.selectors import invoice_live_lines, receipt_allocations
from backoffice.documents.formatting import day, money
from backoffice.documents.pdf import letterhead, pdf_render
from backoffice.fields import Language

CHUNK_LINES = 15
# Widths (percent) of the lines table's columns. The amounts fit $99,999.99 or 99 999,99 $
# at the PDF's type size; with a tax column the text columns give up the room.
COLUMNS = {
    False: {"date": 12, "service": 30, "provider": 30, "reference": 15, "amount": 13},
    True: {
        "date": 11,
        "service": 19,
        "provider": 21,
        "reference": 12,
        "amount": 13,
        "tax": 11,
    },
}


@dataclass
class _Line:
    service_date: str
    service: str
    detail: str
    provider: str
    credentials: str
    reference: str
    fee: str
    tax: str
    total: str


@dataclass
class _ClientGroup:
    name: str
    date_of_birth: str
    lines: list[_Line] = field(default_factory=list)

    @property
    def chunks(self) -> list[list[_Line]]:
        """Short tables: xhtml2pdf splits one long table across pages in quadratic time."""
        return [self.lines[i : i + CHUNK_LINES] for i in range(0, len(self.lines), CHUNK_LINES)]


def _groups(lines: Iterable[InvoiceLine], language: str) -> list[_ClientGroup]:
    """Lines grouped by client (legal name and date of birth once, as payers read them)."""
    groups: dict[int, _ClientGroup] = {}
    for line in lines:
        client = line.client
        group = groups.get(client.pk)
        if group is None:
            group = groups[client.pk] = _ClientGroup(
                name=client.full_name,
                date_of_birth=day(client.date_of_birth),
            )
        service = line.service_type.name_in(language)
        therapist = line.therapist
        group.lines.append(
            _Line(
                service_date=day(line.service_date),
                service=service,
                detail=line.description if line.description not in {service, ""} else "",
                provider=therapist.full_name,
                credentials=_("%(designation)s, reg. no. %(number)s")
                % {
                    "designation": therapist.get_designation_display(),
                    "number": therapist.registration_number,
                },
                reference=line.authorization.reference_number if line.authorization else "",
                fee=money(line.unit_amount),
                tax=money(line.tax_amount) if line.tax_amount else "",
                total=money(line.total_amount),
            )
        )
    return list(groups.values())


def _bill_to(invoice: Invoice) -> dict:
    if invoice.payer_id:
        payer = invoice.payer
        return {
            "name": payer.name,
            "address_lines": payer.billing_address.splitlines(),
            "vendor_number": payer.vendor_number,
        }
    client = invoice.client
    return {
        "name": client.full_name,
        "address_lines": client.address.splitlines(),
        "vendor_number": "",
    }


def invoice_title(invoice: Invoice) -> str:
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return _("Credit note")
    return _("Invoice")


def invoice_context(invoice: Invoice) -> dict:
    """What the invoice template prints, formatted in the active language."""
    lines = invoice_live_lines(invoice)
    show_tax = any(line.tax_amount for line in lines) or bool(invoice.tax_amount)
    return {
        "letterhead": letterhead(),
        "invoice": invoice,
        "title": invoice_title(invoice),
        "number": invoice.number or _("Draft #%(pk)s") % {"pk": invoice.pk},
        "is_draft": invoice.status == InvoiceStatus.DRAFT,
        "is_void": invoice.status == InvoiceStatus.VOID,
        "issued_on": day(invoice.issued_on),
        "due_on": day(invoice.due_on),
        "period": f"{day(invoice.period_start)} – {day(invoice.period_end)}",
        "bill_to": _bill_to(invoice),
        "credited_number": invoice.credited_invoice.number if invoice.credited_invoice else "",
        "groups": _groups(lines, invoice.language),
        "show_tax": show_tax,
        "widths": COLUMNS[show_tax],
        "subtotal": money(invoice.subtotal_amount),
        "tax": money(invoice.tax_amount),
        "total": money(invoice.total_amount),
        "paid": money(invoice.paid_amount) if invoice.paid_amount else "",
        "balance": money(invoice.total_amount - invoice.paid_amount),
    }


def invoice_pdf(*, invoice: Invoice) -> bytes:
    """The invoice (or credit note) as a PDF, in the invoice's language."""
    return pdf_render(
        "billing/pdf/invoice.html", lambda: invoice_context(invoice), language=invoice.language
    )


def invoice_pdf_filename(invoice: Invoice) -> str:
    return f"{invoice.number or f'draft-{invoice.pk}'}.pdf"


def receipt_language(receipt: Receipt) -> str:
    client = receipt.payment.client
    return client.preferred_language if client else Language.ENGLISH


def _session_line(appointment, language: str) -> InvoiceLine:
    """A session paid at the session, as its invoice line will print it (not saved)."""
    unit_amount = client_unit_amount(
        status=appointment.status,
        fee_amount=appointment.fee_amount,
        missed_session_fee_amount=appointment.missed_session_fee_amount,
    )
    tax_amount, total_amount = line_amounts(
        unit_amount=unit_amount, tax_rate=appointment.service_type.tax_rate
    )
    description = appointment.service_type.name_in(language)
    if appointment.status in MISSED_LABELS:
        description = f"{description} · {MISSED_LABELS[appointment.status]}"
    return InvoiceLine(
        client=appointment.billing_client,
        therapist=appointment.therapist,
        service_type=appointment.service_type,
        service_date=timezone.localdate(appointment.starts_at),
        description=description,
        unit_amount=unit_amount,
        tax_amount=tax_amount,
        total_amount=total_amount,
    )


def receipt_context(receipt: Receipt) -> dict:
    """Every service the payment paid, with the provider's credentials, and "paid in full":
    the lines of the invoices it paid, and the sessions it paid at the session."""
    payment = receipt.payment
    language = receipt_language(receipt)
    allocations = list(receipt_allocations(receipt))
    to_invoices = sorted(
        (a for a in allocations if a.appointment_id is None),
        key=lambda a: (a.invoice.issued_on, a.invoice_id),
    )
    to_sessions = sorted(
        (a for a in allocations if a.appointment_id is not None),
        key=lambda a: (a.appointment.starts_at, a.appointment_id),
    )
    lines = [
        line
        for allocation in to_invoices
        for line in allocation.invoice.lines.all()
        if not line.is_void
    ]
    session_lines = [_session_line(allocation.appointment, language) for allocation in to_sessions]
    lines += session_lines
    show_tax = any(line.tax_amount for line in lines)
    client = payment.client or (lines[0].client if lines else None)
    return {
        "letterhead": letterhead(),
        "receipt": receipt,
        "number": receipt.number,
        "issued_on": day(receipt.issued_on),
        "received_on": day(payment.received_on),
        "method": payment.get_method_display(),
        "reference": payment.reference,
        "client_name": client.full_name if client else "",
        "client_date_of_birth": day(client.date_of_birth) if client else "",
        "client_address_lines": client.address.splitlines() if client else [],
        "groups": _groups(lines, language),
        "show_tax": show_tax,
        "widths": COLUMNS[show_tax],
        "paid_items": [
            {
                "label": _("Invoice %(number)s") % {"number": allocation.invoice.number},
                "amount": money(allocation.amount),
            }
            for allocation in to_invoices
        ]
        + [
            {
                "label": _("Session of %(date)s") % {"date": line.service_date},
                "amount": money(allocation.amount),
            }
            for allocation, line in zip(to_sessions, session_lines, strict=True)
        ],
        "amount": money(payment.amount),
        "credit": money(payment.amount - payment.allocated_amount)
        if payment.amount > payment.allocated_amount
        else "",
        "paid_in_full": bool(allocations)
        and all(a.invoice.paid_amount >= a.invoice.total_amount for a in to_invoices)
        and all(
            allocation.amount >= line.total_amount
            for allocation, line in zip(to_sessions, session_lines, strict=True)
        ),
    }


def receipt_pdf(*, receipt: Receipt) -> bytes:
    """The receipt insurers accept, in the client's language."""
    return pdf_render(
        "billing/pdf/receipt.html",
        lambda: receipt_context(receipt),
        language=receipt_language(receipt),
    )
