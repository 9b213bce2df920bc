"""Reads of the outbox and the message templates."""

from django.db.models import QuerySet

from backoffice.messaging.models import MessageTemplate, OutboxMessage, OutboxStatus


def outbox_messages_failed() -> QuerySet[OutboxMessage]:
    """Messages that failed to send, for staff to send again from the outbox."""
    return OutboxMessage.objects.filter(status=OutboxStatus.FAILED)


def message_template_of(*, purpose: str, language: str) -> MessageTemplate | None:
    """The staff's template for a purpose and language, if they wrote one."""
    return MessageTemplate.objects.filter(purpose=purpose, language=language).first()
