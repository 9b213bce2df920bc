"""Email issued invoices and receipts: PDF stored, message in the outbox, status followed (R3)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Model
from django.utils import translation
from django.utils.translation import gettext as _

from backoffice.billing.models import Invoice, InvoiceStatus, Receipt, SendStatus
from backoffice.billing.pdf import day, invoice_pdf, receipt_language, receipt_pdf
from backoffice.billing.services.invoice_lifecycle import invoice_issue
from backoffice.messaging.models import Channel, OutboxMessage, OutboxStatus, Purpose
from backoffice.messaging.services import message_queue, outbox_retry
from backoffice.messaging.templates_service import message_template_render
from backoffice.money import money

PDF = "application/pdf"


def invoice_recipient(invoice: Invoice) -> str:
    """The payer's billing email, or the direct client's own."""
    if invoice.payer_id:
        return invoice.payer.billing_email
    return invoice.client.email if invoice.client_id else ""


def invoice_pdf_path(invoice: Invoice) -> str:
    return f"invoices/{invoice.issued_on:%Y}/{invoice.number}.pdf"


def receipt_pdf_path(receipt: Receipt) -> str:
    return f"receipts/{receipt.issued_on:%Y}/{receipt.number}.pdf"


def store_document(path: str, content: bytes) -> str:
    # The name must be exactly `path` (storages rename rather than overwrite).
    if default_storage.exists(path):
        default_storage.delete(path)
    return default_storage.save(path, ContentFile(content))


def _bill_to_name(invoice: Invoice) -> str:
    if invoice.payer_id:
        return invoice.payer.name
    return f"{invoice.client.first_name} {invoice.client.last_name}"


def record_queued(document, message: OutboxMessage, by) -> None:
    document.send_status = _send_status(message.status)
    document.outbox_message = message
    if by is not None:
        document._history_user = by
    document.save(update_fields=["send_status", "outbox_message"])


def _send_status(outbox_status: str) -> SendStatus:
    return {
        OutboxStatus.SENT: SendStatus.SENT,
        OutboxStatus.FAILED: SendStatus.FAILED,
    }.get(outbox_status, SendStatus.QUEUED)


# An invoice, receipt or statement is emailed (again) only when it never was, or it failed.
SENDABLE = (SendStatus.NOT_SENT, SendStatus.FAILED)


def sending_refusal(document) -> str:
    """Why the document's email is not sent now ("" when it may go): it is already queued, or
    it went out. Any document with `send_status` (invoice, receipt, statement)."""
    if document.send_status == SendStatus.QUEUED:
        return _("Its email is already queued.")
    if document.send_status not in SENDABLE:
        return _("It was already emailed; it is sent again only if the email fails.")
    return ""


def document_email_queue(
    *, document, dedupe_key: str, compose: Callable[[], OutboxMessage], by=None
) -> OutboxMessage:
    """The one way a document's email is queued: refused while queued or once sent; the
    first time `compose()` stores the PDF and queues the message (with `dedupe_key`); a
    failed message is queued again. The document's `send_status` follows the outbox."""
    refusal = sending_refusal(document)
    if refusal:
        raise ValidationError(refusal)
    message = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
    if message is None:
        message = compose()
    elif message.status == OutboxStatus.FAILED:
        outbox_retry(message_ids=[message.pk])
        message.refresh_from_db()
    record_queued(document, message, by)
    return message


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

    The PDF is stored at invoices/<year>/<number>.pdf; the message is sent when the
    transaction commits and `invoice.send_status` follows it (`send_status_follow`).
    """
    refusal = _unsendable(invoice)
    if refusal:
        raise ValidationError(refusal)

    def compose() -> OutboxMessage:
        path = store_document(invoice_pdf_path(invoice), invoice_pdf(invoice=invoice))
        with translation.override(invoice.language):
            context = {
                "invoice_number": invoice.number,
                "bill_to_name": _bill_to_name(invoice),
                "total": money(invoice.total_amount),
                "due_date": day(invoice.due_on),
                "clinic_name": settings.LETTERHEAD["NAME"],
            }
        subject, body = message_template_render(
            purpose=Purpose.INVOICE, language=invoice.language, context=context
        )
        return message_queue(
            channel=Channel.EMAIL,
            recipient=invoice_recipient(invoice),
            subject=subject,
            body_text=body,
            purpose=Purpose.INVOICE,
            attachments=[{"name": f"{invoice.number}.pdf", "path": path, "mimetype": PDF}],
            dedupe_key=dedupe_key,
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
        path = store_document(receipt_pdf_path(receipt), receipt_pdf(receipt=receipt))
        with translation.override(language):
            context = {
                "receipt_number": receipt.number,
                "client_name": client.preferred_name or client.first_name,
                "amount": money(payment.amount),
                "received_on": day(payment.received_on),
                "clinic_name": settings.LETTERHEAD["NAME"],
            }
        subject, body = message_template_render(
            purpose=Purpose.RECEIPT, language=language, context=context
        )
        return message_queue(
            channel=Channel.EMAIL,
            recipient=client.email,
            subject=subject,
            body_text=body,
            purpose=Purpose.RECEIPT,
            attachments=[{"name": f"{receipt.number}.pdf", "path": path, "mimetype": PDF}],
            dedupe_key=dedupe_key,
        )

    dedupe_key = f"receipt:{receipt.pk}:{receipt.number}"
    return document_email_queue(document=receipt, dedupe_key=dedupe_key, compose=compose, by=by)


@dataclass
class SendBatch:
    """What staff's "send selected" did: how many go out, and why the others do not."""

    sent: int = 0
    refused: list[str] = field(default_factory=list)


def send_each(*, documents, send: Callable, by=None) -> SendBatch:
    """`send(document, by=by)` for each; one that cannot be sent is reported, the others go."""
    result = SendBatch()
    for document in documents:
        try:
            send(document, by=by)
        except ValidationError as error:
            result.refused.append(f"{document}: {' '.join(error.messages)}")
        else:
            result.sent += 1
    return result


def send_later(
    *, documents, unsendable: Callable, enqueue: Callable, by=None, result: SendBatch | None = None
) -> SendBatch:
    """Staff's "send selected": what cannot be sent (`unsendable` says why) is reported at once;
    `enqueue(ids, by_id)` has the worker render the PDFs and queue the emails after the commit
    (a PDF takes about a tenth of a second: 200 would hold the page for 20)."""
    result = result or SendBatch()
    ready = []
    for document in documents:
        refusal = unsendable(document)
        if refusal:
            result.refused.append(f"{document}: {refusal}")
        else:
            ready.append(document.pk)
    result.sent = len(ready)
    if ready:
        by_id = getattr(by, "pk", None)
        transaction.on_commit(lambda: enqueue(ready, by_id))
    return result


def invoices_send(*, invoices, by=None) -> SendBatch:
    return send_each(
        documents=invoices,
        send=lambda invoice, by: invoice_send(invoice=invoice, by=by),
        by=by,
    )


def invoices_send_later(*, invoices, issue_drafts: bool = False, by=None) -> SendBatch:
    """Send selected invoices (issuing the drafts first when asked) through the worker."""
    result, issued = SendBatch(), []
    for invoice in invoices:
        if issue_drafts and invoice.status == InvoiceStatus.DRAFT:
            try:
                invoice = invoice_issue(invoice=invoice, by=by)
            except ValidationError as error:
                result.refused.append(f"{invoice}: {' '.join(error.messages)}")
                continue
        issued.append(invoice)
    return send_later(
        documents=issued, unsendable=_unsendable, enqueue=_enqueue_sending, by=by, result=result
    )


def _enqueue_sending(invoice_ids: list[int], by_id: int | None) -> None:
    from jobs.tasks import invoices_send_task

    invoices_send_task(invoice_ids, by_id)


def send_status_follow(*, message_id: int, models: Iterable[type[Model]]) -> None:
    """Copy one outbox message's outcome to the documents it carries (invoice, receipt,
    statement: models with `send_status` and `outbox_message`).

    Called by the outbox task after each attempt; operational status, so no history rows.
    """
    status = _send_status(OutboxMessage.objects.values_list("status", flat=True).get(pk=message_id))
    for model in models:
        model.objects.filter(outbox_message_id=message_id).exclude(send_status=status).update(
            send_status=status
        )
