"""Reads of the outbox."""

from django.db.models import QuerySet

from backoffice.messaging.models import OutboxMessage, OutboxStatus


def outbox_messages_failed() -> QuerySet[OutboxMessage]:
    """Messages that failed to send, for staff to send again from the outbox."""
    return OutboxMessage.objects.filter(status=OutboxStatus.FAILED)
