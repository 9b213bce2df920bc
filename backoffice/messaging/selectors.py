"""Reads of the outbox and the message templates."""

from django.db.models import QuerySet

from backoffice.messaging.models import (
    InboundSms,
    MessageTemplate,
    OutboxMessage,
    OutboxStatus,
    SmsReplyOutcome,
)


def outbox_messages_failed() -> QuerySet[OutboxMessage]:
    """Messages that failed to send, or whose sending was interrupted after the provider got
    them (unconfirmed), for staff to look at and send again from the outbox."""
    return OutboxMessage.objects.filter(status__in=[OutboxStatus.FAILED, OutboxStatus.UNCONFIRMED])


def message_template_of(*, purpose: str, language: str) -> MessageTemplate | None:
    """The staff's template for a purpose and language, if they wrote one."""
    return MessageTemplate.objects.filter(purpose=purpose, language=language).first()


def sms_received_for_staff() -> QuerySet[InboundSms]:
    """SMS received that no rule could act on (a question, a refused confirmation, an unknown
    number): staff read and answer them."""
    return InboundSms.objects.filter(outcome=SmsReplyOutcome.FOR_STAFF)
