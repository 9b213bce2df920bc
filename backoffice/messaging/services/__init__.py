"""Messaging writes: the outbox (outbox.py), editable texts (templates.py), and emailing
documents (documents.py)."""

from backoffice.messaging.services.outbox import (
    OUTBOX_SEND,
    SendResult,
    message_queue,
    outbox_due_ids,
    outbox_retry,
    outbox_send,
)

__all__ = [
    "OUTBOX_SEND",
    "SendResult",
    "message_queue",
    "outbox_due_ids",
    "outbox_retry",
    "outbox_send",
]
