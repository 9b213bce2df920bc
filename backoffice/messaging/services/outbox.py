"""Queue and send outbox messages. A message is a row before it is anything else, so nothing
queued is lost (docs/quality.md, messages).
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from anymail.exceptions import AnymailAPIError, AnymailInvalidAddress, AnymailRecipientsRefused
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
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
# What the sweep writes on a message whose worker stopped mid-send.
UNCONFIRMED_ERROR = (
    "The worker stopped after handing the message to the provider: it may have gone. "
    "Not sent again by itself."
)
STOPPED_ERROR = "The worker stopped before sending, on the last attempt."


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

    Every exception ends in a retry or a failure within OUTBOX_MAX_ATTEMPTS: transient ones
    (and any the transport does not map) are retried with exponential backoff, permanent ones
    fail at once. `handed_at` is written just before the provider is called, so a worker that
    dies after that moment leaves a message the sweep never sends again (docs/quality.md,
    Outbox). A message is claimed by one worker at a time.
    """
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=message_id,
        status=OutboxStatus.PENDING,
        attempt_count__lt=settings.OUTBOX_MAX_ATTEMPTS,
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
    except PermanentError as error:
        return _record_failure(message, str(error), retry=False)
    except TransientError as error:
        return _record_failure(message, str(error), retry=True)
    except Exception as error:
        logger.exception("outbox message %s: unexpected %s", message.pk, type(error).__name__)
        # Staff read the whole error on the message; the log gets its type only (it may hold
        # the recipient's address).
        return _record_failure(
            message, f"{type(error).__name__}: {error}", retry=True, logged=type(error).__name__
        )
    message.status = OutboxStatus.SENT
    message.sent_at = timezone.now()
    message.next_attempt_at = None
    message.handed_at = None
    message.provider_message_id = provider_id[:120]
    message.last_error = ""
    message.save(
        update_fields=[
            "status",
            "sent_at",
            "next_attempt_at",
            "handed_at",
            "provider_message_id",
            "last_error",
        ]
    )
    return SendResult(status=OutboxStatus.SENT)


def _record_failure(
    message: OutboxMessage, error: str, *, retry: bool, logged: str | None = None
) -> SendResult:
    message.last_error = error[:2000]
    message.handed_at = None
    if retry and message.attempt_count < settings.OUTBOX_MAX_ATTEMPTS:
        delay = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (message.attempt_count - 1)
        message.status = OutboxStatus.PENDING
        message.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    else:
        message.status = OutboxStatus.FAILED
        message.next_attempt_at = None
    message.save(update_fields=["status", "next_attempt_at", "handed_at", "last_error"])
    # Only ids and the error go to the log: never recipients or text (docs/quality.md, logs).
    logger.warning(
        "outbox message %s attempt %s: %s -> %s",
        message.pk,
        message.attempt_count,
        (error if logged is None else logged)[:200],
        message.status,
    )
    return SendResult(status=OutboxStatus(message.status), retry_at=message.next_attempt_at)


def _handed(message: OutboxMessage) -> None:
    """Recorded (committed) right before the provider is called: from here on, a worker that
    dies leaves a message that may have gone, which is never sent again by itself."""
    message.handed_at = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(handed_at=message.handed_at)


def _deliver(message: OutboxMessage) -> str:
    if message.channel == Channel.SMS:
        transport = sms_transport()
        _handed(message)
        return transport.send(to=message.recipient, body=message.body_text, reference=message.pk)
    return _deliver_email(message)


def outbox_email_id(message: OutboxMessage) -> str:
    """The Message-ID header of an outbox email: the same on every attempt, so a receiving
    server or the provider's logs can tell a repeat from a new message."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "caseload"
    return f"<outbox-{message.pk}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"


def _deliver_email(message: OutboxMessage) -> str:
    message_id = outbox_email_id(message)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        to=[message.recipient],
        headers={"Message-ID": message_id, "X-Caseload-Message": str(message.pk)},
    )
    # Providers echo metadata in their delivery events: the receipts find the message by it.
    email.metadata = {"outbox_message": str(message.pk)}
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments:
        with default_storage.open(attachment["path"], "rb") as stored:
            email.attach(attachment["name"], stored.read(), attachment["mimetype"])
    connection = get_connection()
    try:
        connection.open()
        try:
            _handed(message)
            connection.send_messages([email])
        finally:
            connection.fail_silently = True  # the message's fate is known: a failed QUIT is not
            connection.close()
    except (AnymailRecipientsRefused, AnymailInvalidAddress) as error:
        raise PermanentError(type(error).__name__) from error
    except AnymailAPIError as error:
        status = getattr(error, "status_code", None)
        if status and 400 <= status < 500 and status != 429:
            raise PermanentError(f"{type(error).__name__} {status}") from error
        raise TransientError(f"{type(error).__name__} {status or ''}".strip()) from error
    except smtplib.SMTPException as error:
        code = _smtp_code(error)
        reason = f"{type(error).__name__} {code or ''}".strip()
        if code and code >= 500 and not isinstance(error, smtplib.SMTPConnectError):
            raise PermanentError(reason) from error
        raise TransientError(reason) from error
    except OSError as error:
        raise TransientError(type(error).__name__) from error
    anymail_status = getattr(email, "anymail_status", None)
    return getattr(anymail_status, "message_id", None) or message_id


def _smtp_code(error: smtplib.SMTPException) -> int | None:
    """The SMTP reply code of a refusal: 5xx is permanent, 4xx worth retrying."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in error.recipients.values()]
        return min(codes) if codes else None
    return getattr(error, "smtp_code", None)


def outbox_due_ids(*, limit: int = 500) -> list[int]:
    """Messages to (re)send now: pending and due, after settling those stuck "sending" past
    their lease (their worker stopped).

    A stuck message never handed to the provider goes back to the queue while it has attempts
    left, else fails; one handed to the provider becomes "unconfirmed" and is not sent again
    (a delivery receipt or staff settle it). Messages queued in the last minute are left to
    the task their commit enqueued.
    """
    now = timezone.now()
    stale = OutboxMessage.objects.filter(status=OutboxStatus.SENDING, next_attempt_at__lt=now)
    stale.filter(handed_at__isnull=False).update(
        status=OutboxStatus.UNCONFIRMED,
        next_attempt_at=None,
        last_error=UNCONFIRMED_ERROR,
    )
    never_handed = stale.filter(handed_at__isnull=True)
    never_handed.filter(attempt_count__gte=settings.OUTBOX_MAX_ATTEMPTS).update(
        status=OutboxStatus.FAILED, next_attempt_at=None, last_error=STOPPED_ERROR
    )
    never_handed.update(status=OutboxStatus.PENDING, next_attempt_at=None)
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
    """Staff retry of failed or unconfirmed messages (an unconfirmed one may then arrive
    twice: staff decide): back to the queue with a fresh attempt count."""
    failed = OutboxMessage.objects.filter(
        pk__in=message_ids, status__in=[OutboxStatus.FAILED, OutboxStatus.UNCONFIRMED]
    )
    retried = list(failed.values_list("pk", flat=True))
    OutboxMessage.objects.filter(pk__in=retried).update(
        status=OutboxStatus.PENDING, attempt_count=0, next_attempt_at=None, handed_at=None
    )
    for message_id in retried:
        enqueue_after_commit(OUTBOX_SEND, message_id)
    return len(retried)
