"""Emailing documents (invoices, receipts, statements): one rule for all of them.

A document (a `documents.models.SentDocument`) is emailed with its PDF stored and attached, once
per document; again only when its email failed. Its `send_status` follows the outbox message
that carries it. Billing and payouts say what their documents are (recipient, text, PDF); the
queueing, the refusals, staff's "send selected" and the status are here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _

from backoffice.documents.models import SendStatus, SentDocument
from backoffice.documents.pdf import PDF
from backoffice.documents.storage import store_document
from backoffice.messaging.models import Channel, OutboxMessage, OutboxStatus
from backoffice.messaging.services.outbox import message_queue, outbox_retry
from backoffice.messaging.services.templates import message_template_render
from backoffice.messaging.worker import enqueue_after_commit

# A document is emailed (again) only when it never was, or it failed.
SENDABLE = (SendStatus.NOT_SENT, SendStatus.FAILED)


def send_status_of(outbox_status: str) -> SendStatus:
    """What a document's sending shows for the outbox status of its message."""
    return {
        OutboxStatus.SENT: SendStatus.SENT,
        OutboxStatus.FAILED: SendStatus.FAILED,
    }.get(outbox_status, SendStatus.QUEUED)


def sending_refusal(document: SentDocument) -> str:
    """Why the document's email is not sent now ("" when it may go): it is already queued, or
    it went out."""
    if document.send_status == SendStatus.QUEUED:
        return _("Its email is already queued.")
    if document.send_status not in SENDABLE:
        return _("It was already emailed; it is sent again only if the email fails.")
    return ""


def _record_queued(document: SentDocument, message: OutboxMessage, by) -> None:
    document.send_status = send_status_of(message.status)
    document.outbox_message = message
    if by is not None:
        document._history_user = by
    document.save(update_fields=["send_status", "outbox_message"])


def document_email_queue(
    *, document: SentDocument, dedupe_key: str, compose: Callable[[], OutboxMessage], by=None
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
    _record_queued(document, message, by)
    return message


@dataclass(frozen=True)
class DocumentEmail:
    """One document's email: its text from the purpose's template, its PDF stored and attached."""

    purpose: str
    language: str
    context: dict  # the template's placeholders, formatted in `language`
    recipient: str
    pdf: Callable[[], bytes]
    kind: str  # the stored PDF's folder ("invoices"); its name is unguessable
    filename: str  # the attachment's name
    dedupe_key: str


def document_email_compose(email: DocumentEmail) -> OutboxMessage:
    """Store the PDF and queue the email carrying it (`compose` of `document_email_queue`)."""
    path = store_document(email.kind, email.pdf())
    subject, body = message_template_render(
        purpose=email.purpose, language=email.language, context=email.context
    )
    return message_queue(
        channel=Channel.EMAIL,
        recipient=email.recipient,
        subject=subject,
        body_text=body,
        purpose=email.purpose,
        attachments=[{"name": email.filename, "path": path, "mimetype": PDF}],
        dedupe_key=email.dedupe_key,
    )


@dataclass
class SendBatch:
    """What staff's "send selected" did: how many go out, and why the others do not."""

    sent: int = 0
    refused: list[str] = field(default_factory=list)


def send_each(documents: Iterable, send: Callable) -> SendBatch:
    """`send(document)` for each; one that cannot be sent is reported, the others go."""
    result = SendBatch()
    for document in documents:
        try:
            send(document)
        except ValidationError as error:
            result.refused.append(f"{document}: {' '.join(error.messages)}")
        else:
            result.sent += 1
    return result


def send_later(
    *,
    documents: Iterable,
    unsendable: Callable,
    job: str,
    by=None,
    result: SendBatch | None = None,
) -> SendBatch:
    """Staff's "send selected": what cannot be sent (`unsendable` says why) is reported at once;
    the worker's `job` (messaging.worker) gets the ids and the staff member's id after the
    commit, renders the PDFs and queues the emails (a PDF takes about a tenth of a second:
    200 would hold the page for 20)."""
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
        enqueue_after_commit(job, ready, getattr(by, "pk", None))
    return result


def send_status_follow(*, message_id: int, models: Iterable[type[Model]]) -> None:
    """Copy one outbox message's outcome to the documents it carries (any `SentDocument`).

    Called by the outbox task after each attempt; operational status, so no history rows.
    """
    outbox_status = OutboxMessage.objects.values_list("status", flat=True).get(pk=message_id)
    status = send_status_of(outbox_status)
    for model in models:
        model.objects.filter(outbox_message_id=message_id).exclude(send_status=status).update(
            send_status=status
        )
