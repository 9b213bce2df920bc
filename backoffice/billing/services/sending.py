"""Email issued invoices and receipts: what their emails say and where their PDFs go; queueing,
refusals and the sending status are messaging's (`messaging.services.documents`)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from backoffice.billing.models import Invoice, InvoiceStatus, Receipt
from backoffice.billing.services.pdf import (
    invoice_pdf,
    invoice_pdf_filename,
    receipt_language,
    receipt_pdf,
)
from backoffice.documents.formatting import day, money
from backoffice.messaging.models import OutboxMessage, Purpose
from backoffice.messaging.services.documents import (
    DocumentEmail,
    SendBatch,
    document_email_compose,
    document_email_queue,
    send_each,
    send_later,
    sending_refusal,
)

# The worker's job that sends the invoices staff selected (messaging.worker).
INVOICES_SEND = "invoices_send"


def invoice_recipient(invoice: Invoice) -> str:
    """The payer's billing email, or the direct client's own."""
    if invoice.payer_id:
        return invoice.payer.billing_email
    return invoice.client.email if invoice.client_id else ""


def _bill_to_name(invoice: Invoice) -> str:
    if invoice.payer_id:
        return invoice.payer.name
    return invoice.client.full_name


def _unsendable(invoice: Invoice) -> str:
    """Why the invoice cannot be emailed ("" when it can)."""
    if invoice.status != InvoiceStatus.ISSUED or not invoice.number:
        return _("Only an issued invoice can be sent.")
    if not invoice_recipient(invoice):
        return _("No email address to send invoice %s to.") % invoice.number
    return sending_refusal(invoice)


@transaction.atomic
def invoice_send(*, invoice: Invoice, by=None) -> OutboxMessage:
    """Queue the email of an issued invoice with its PDF attached; once per invoice number,
    again only after a failure (`document_email_queue`).

    The PDF is stored under an unguessable name in invoices/; the message is sent when the
    transaction commits and `invoice.send_status` follows it (`send_status_follow`).
    """
    refusal = _unsendable(invoice)
    if refusal:
        raise ValidationError(refusal)

    def compose() -> OutboxMessage:
        with translation.override(invoice.language):
            context = {
                "invoice_number": invoice.number,
                "bill_to_name": _bill_to_name(invoice),
                "total": money(invoice.total_amount),
                "due_date": day(invoice.due_on),
                "clinic_name": settings.LETTERHEAD["NAME"],
            }
        return document_email_compose(
            DocumentEmail(
                purpose=Purpose.INVOICE,
                language=invoice.language,
                context=context,
                recipient=invoice_recipient(invoice),
                pdf=lambda: invoice_pdf(invoice=invoice),
                kind="invoices",
                filename=invoice_pdf_filename(invoice),
                dedupe_key=dedupe_key,
            )
        )

    dedupe_key = f"invoice:{invoice.pk}:{invoice.number}"
    return document_email_queue(document=invoice, dedupe_key=dedupe_key, compose=compose, by=by)


@transaction.atomic
def receipt_send(*, receipt: Receipt, by=None) -> OutboxMessage:
    """Queue the email of a receipt to its client with the PDF attached; once per receipt,
    again only after a failure (`document_email_queue`)."""
    payment = receipt.payment
    client = payment.client
    if client is None or not client.email:
        raise ValidationError(_("No email address to send receipt %s to.") % receipt.number)

    def compose() -> OutboxMessage:
        language = receipt_language(receipt)
        with translation.override(language):
            context = {
                "receipt_number": receipt.number,
                "client_name": client.preferred_name or client.first_name,
                "amount": money(payment.amount),
                "received_on": day(payment.received_on),
                "clinic_name": settings.LETTERHEAD["NAME"],
            }
        return document_email_compose(
            DocumentEmail(
                purpose=Purpose.RECEIPT,
                language=language,
                context=context,
                recipient=client.email,
                pdf=lambda: receipt_pdf(receipt=receipt),
                kind="receipts",
                filename=f"{receipt.number}.pdf",
                dedupe_key=dedupe_key,
            )
        )

    dedupe_key = f"receipt:{receipt.pk}:{receipt.number}"
    return document_email_queue(document=receipt, dedupe_key=dedupe_key, compose=compose, by=by)


def invoices_send(*, invoices, by=None) -> SendBatch:
    """Each invoice's email queued (`invoice_send`); the refused ones are reported."""
    return send_each(invoices, lambda invoice: invoice_send(invoice=invoice, by=by))


def invoices_send_later(*, invoices, by=None) -> SendBatch:
    """Send selected invoices through the worker; those that cannot be sent are reported.
    Issuing the drafts first is `invoice_lifecycle.invoices_issue_and_send_later`."""
    return send_later(documents=invoices, unsendable=_unsendable, job=INVOICES_SEND, by=by)
