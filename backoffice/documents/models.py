"""What every emailed document (invoice, receipt, statement) records about its sending."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SendStatus(models.TextChoices):
    NOT_SENT = "not-sent", _("Not sent")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class SentDocument(models.Model):
    """A document emailed through the outbox: its `send_status` follows the message that
    carries it (messaging.services.documents)."""

    send_status = models.CharField(
        _("sending"), max_length=10, choices=SendStatus.choices, default=SendStatus.NOT_SENT
    )
    outbox_message = models.ForeignKey(
        "messaging.OutboxMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("email"),
    )

    class Meta:
        abstract = True
