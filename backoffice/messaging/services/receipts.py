"""What providers tell us after sending: delivery receipts of SMS and email, and the SMS that
clients send to the clinic's number (docs/architecture.md, Receipts and replies).

The webhooks (messaging.webhooks) check who is calling and translate each provider's words;
these services record the facts and hand the rest to the worker once they commit: acting on a
reply (reminders.replies) and marking a contact undeliverable (reminders.contacts) belong to
the apps above messaging.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from backoffice.messaging.models import (
    Channel,
    DeliveryStatus,
    InboundSms,
    OutboxMessage,
    OutboxStatus,
    SmsReplyOutcome,
)
from backoffice.messaging.worker import enqueue_after_commit

# The worker's jobs (messaging.worker): act on an SMS received; mark the recipient of a
# message that could never be delivered.
SMS_RECEIVED = "sms_received"
CONTACT_UNDELIVERABLE = "contact_undeliverable"


def sms_inbound_record(*, provider_message_id: str, sender: str, text: str) -> InboundSms | None:
    """Keep one SMS sent to the clinic's number and have the worker act on it after the
    commit. The provider's id is unique: the same message reported again (a retry, a replay)
    changes nothing and returns None."""
    try:
        with transaction.atomic():
            inbound = InboundSms.objects.create(
                provider_message_id=provider_message_id[:120],
                sender=sender[:30],
                text=text,
                received_at=timezone.now(),
            )
    except IntegrityError:
        return None
    enqueue_after_commit(SMS_RECEIVED, inbound.pk)
    return inbound


@transaction.atomic
def sms_received_answered(*, inbound_ids: list[int], note: str = "") -> int:
    """Staff dealt with SMS passed to them (called the client back, moved the session): each
    is marked answered, which ends its worklist task. Others are left as they are."""
    waiting = InboundSms.objects.select_for_update().filter(
        pk__in=inbound_ids, outcome=SmsReplyOutcome.FOR_STAFF
    )
    answered = 0
    for inbound in waiting:  # saved one by one: history, and the event that ends the task
        inbound.outcome, inbound.outcome_note = SmsReplyOutcome.ANSWERED, note[:255]
        inbound.save(update_fields=["outcome", "outcome_note"])
        answered += 1
    return answered


def _message_reported(
    message: OutboxMessage,
    *,
    delivery: DeliveryStatus,
    error: str,
    provider_message_id: str,
    undeliverable: bool,
) -> OutboxMessage:
    if message.delivery_status == delivery:  # the same receipt again: nothing new
        return message
    message.delivery_status = delivery
    message.delivery_reported_at = timezone.now()
    message.delivery_error = error[:200]
    fields = ["delivery_status", "delivery_reported_at", "delivery_error"]
    if message.status in (OutboxStatus.UNCONFIRMED, OutboxStatus.SENDING):
        # The worker never heard the provider's answer; the receipt says it had the message.
        message.status = OutboxStatus.SENT
        message.sent_at = message.sent_at or message.delivery_reported_at
        message.provider_message_id = provider_message_id[:120]
        fields += ["status", "sent_at", "provider_message_id"]
    message.save(update_fields=fields)
    if undeliverable:
        enqueue_after_commit(CONTACT_UNDELIVERABLE, message.pk)
    return message


@transaction.atomic
def sms_receipt_record(
    *,
    provider_message_id: str,
    delivery: DeliveryStatus,
    error: str = "",
    number_dead: bool = False,
    reference: str = "",
) -> OutboxMessage | None:
    """Record an SMS delivery receipt on its outbox message, found by the provider's id or,
    for a message whose sending was never confirmed, by our reference (the outbox id the
    transport gave the provider). `number_dead`: the provider says the number cannot receive
    SMS; the client's phone is marked undeliverable after the commit. None: no such message."""
    if not provider_message_id:
        return None
    messages = OutboxMessage.objects.select_for_update().filter(channel=Channel.SMS)
    message = messages.filter(provider_message_id=provider_message_id).first()
    if message is None and reference.isdigit():
        message = messages.filter(pk=int(reference), provider_message_id="").first()
    if message is None:
        return None
    return _message_reported(
        message,
        delivery=delivery,
        error=error,
        provider_message_id=provider_message_id,
        undeliverable=number_dead and delivery != DeliveryStatus.DELIVERED,
    )


@transaction.atomic
def email_event_record(
    *, provider_message_id: str, delivery: DeliveryStatus, error: str = ""
) -> OutboxMessage | None:
    """Record what the email provider reported for a message (delivered, bounced, refused).
    A bounce is a hard bounce: the client's address is marked undeliverable after the
    commit. None: no such message."""
    message = (
        OutboxMessage.objects.select_for_update()
        .filter(channel=Channel.EMAIL, provider_message_id=provider_message_id)
        .first()
        if provider_message_id
        else None
    )
    if message is None:
        return None
    return _message_reported(
        message,
        delivery=delivery,
        error=error,
        provider_message_id=provider_message_id,
        undeliverable=delivery == DeliveryStatus.BOUNCED,
    )
