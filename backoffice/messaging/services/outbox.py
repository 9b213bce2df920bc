"""Queue and send outbox messages. A message is a row before it is anything else, so nothing
queued is lost (docs/quality.md, messages).
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from anymail.exceptions import AnymailAPIError, AnymailInvalidAddress, AnymailRecipientsRefused
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from backoffice.messaging.models import Channel, OutboxMessage, OutboxStatus, Purpose
from backoffice.messaging.transports import PermanentError, TransientError, sms_transport
from backoffice.messaging.worker import enqueue_after_commit

logger = logging.getLogger(__name__)

# A worker that claimed a message and died leaves it "sending"; after this lease the sweep
# hands it to another worker.
SENDING_LEASE = timedelta(minutes=10)
# The worker's job that sends one message (messaging.worker).
OUTBOX_SEND = "outbox_send"


def message_queue(
    *,
    channel: Channel,
    recipient: str,
    body_text: str,
    purpose: Purpose,
    subject: str = "",
    body_html: str = "",
    attachments: list[dict] | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """Store a message in the outbox and send it once the caller's transaction commits.

    With a `dedupe_key` already in the outbox, returns that message and queues nothing.
    Attachments are stored files: [{"name", "path" (in default storage), "mimetype"}].
    """
    if dedupe_key:
        existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                channel=channel,
                recipient=recipient,
                subject=subject,
                body_text=body_text,
                body_html=body_html,
                attachments=attachments or [],
                purpose=purpose,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        return OutboxMessage.objects.get(dedupe_key=dedupe_key)
    enqueue_after_commit(OUTBOX_SEND, message.pk)
    return message


@dataclass(frozen=True)
class SendResult:
    status: OutboxStatus | None  # None: someone else holds or finished the message
    retry_at: datetime | None = None


def outbox_send(*, message_id: int) -> SendResult:
    """Claim one due message, hand it to its transport and record what happened.

    Transient failures are retried with exponential backoff up to OUTBOX_MAX_ATTEMPTS;
    permanent ones fail at once. A message is claimed by one worker at a time.
    """
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=message_id,
        status=OutboxStatus.PENDING,
    ).update(
        status=OutboxStatus.SENDING,
        attempt_count=F("attempt_count") + 1,
        next_attempt_at=now + SENDING_LEASE,
    )
    if not claimed:
        return SendResult(status=None)
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        provider_id = _deliver(message)
    except TransientError as error:
        return _record_failure(message, str(error), retry=True)
    except PermanentError as error:
        return _record_failure(message, str(error), retry=False)
    message.status = OutboxStatus.SENT
    message.sent_at = timezone.now()
    message.next_attempt_at = None
    message.provider_message_id = provider_id[:120]
    message.last_error = ""
    message.save(
        update_fields=["status", "sent_at", "next_attempt_at", "provider_message_id", "last_error"]
    )
    return SendResult(status=OutboxStatus.SENT)


def _record_failure(message: OutboxMessage, error: str, *, retry: bool) -> SendResult:
    message.last_error = error[:2000]
    if retry and message.attempt_count < settings.OUTBOX_MAX_ATTEMPTS:
        delay = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (message.attempt_count - 1)
        message.status = OutboxStatus.PENDING
        message.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    else:
        message.status = OutboxStatus.FAILED
        message.next_attempt_at = None
    message.save(update_fields=["status", "next_attempt_at", "last_error"])
    # Only ids and the error go to the log: never recipients or text (docs/quality.md, logs).
    logger.warning(
        "outbox message %s attempt %s: %s -> %s",
        message.pk,
        message.attempt_count,
        error[:200],
        message.status,
    )
    return SendResult(status=OutboxStatus(message.status), retry_at=message.next_attempt_at)


def _deliver(message: OutboxMessage) -> str:
    if message.channel == Channel.SMS:
        return sms_transport().send(to=message.recipient, body=message.body_text)
    return _deliver_email(message)


def _deliver_email(message: OutboxMessage) -> str:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        to=[message.recipient],
        headers={"X-Caseload-Message": str(message.pk)},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments:
        with default_storage.open(attachment["path"], "rb") as stored:
            email.attach(attachment["name"], stored.read(), attachment["mimetype"])
    try:
        email.send()
    except (
        AnymailRecipientsRefused,
        AnymailInvalidAddress,
        smtplib.SMTPRecipientsRefused,
    ) as error:
        raise PermanentError(type(error).__name__) from error
    except AnymailAPIError as error:
        status = getattr(error, "status_code", None)
        if status and 400 <= status < 500 and status != 429:
            raise PermanentError(f"{type(error).__name__} {status}") from error
        raise TransientError(f"{type(error).__name__} {status or ''}".strip()) from error
    except (smtplib.SMTPException, OSError) as error:
        raise TransientError(type(error).__name__) from error
    anymail_status = getattr(email, "anymail_status", None)
    return getattr(anymail_status, "message_id", None) or f"email-{message.pk}"


def outbox_due_ids(*, limit: int = 500) -> list[int]:
    """Messages to (re)send now: pending and due, or stuck "sending" past their lease.

    Messages queued in the last minute are left to the task their commit enqueued.
    """
    now = timezone.now()
    stale = OutboxMessage.objects.filter(status=OutboxStatus.SENDING, next_attempt_at__lt=now)
    stale.update(status=OutboxStatus.PENDING, next_attempt_at=None)
    return list(
        OutboxMessage.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            status=OutboxStatus.PENDING,
            created_at__lt=now - timedelta(minutes=1),
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_retry(*, message_ids: list[int]) -> int:
    """Staff retry of failed messages: they go back to the queue with a fresh attempt count."""
    failed = OutboxMessage.objects.filter(pk__in=message_ids, status=OutboxStatus.FAILED)
    retried = list(failed.values_list("pk", flat=True))
    OutboxMessage.objects.filter(pk__in=retried).update(
        status=OutboxStatus.PENDING, attempt_count=0, next_attempt_at=None
    )
    for message_id in retried:
        enqueue_after_commit(OUTBOX_SEND, message_id)
    return len(retried)
