"""The outbox: every email and SMS is a row here before anything is sent."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.fields import Language


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Purpose(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    RECEIPT = "receipt", _("Receipt")
    STATEMENT = "statement", _("Therapist statement")
    REMINDER = "reminder", _("Appointment reminder")
    NOTIFICATION = "notification", _("Notification")
    SIGN_IN = "sign-in", _("Sign-in link")


# The purposes staff may word (message templates); sign-in emails are the accounts service's.
TEMPLATE_PURPOSES = [purpose for purpose in Purpose if purpose != Purpose.SIGN_IN]


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to send")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # The worker handed it to the provider and stopped before hearing back: it is never sent
    # again by itself; a delivery receipt settles it, or staff do (docs/quality.md, Outbox).
    UNCONFIRMED = "unconfirmed", _("Handed to the provider, unconfirmed")


class DeliveryStatus(models.TextChoices):
    """What the provider's delivery receipt said, after the message was sent."""

    DELIVERED = "delivered", _("Delivered")
    BOUNCED = "bounced", _("Bounced")
    UNDELIVERED = "undelivered", _("Not delivered")


class OutboxMessage(models.Model):
    """One email or SMS to one recipient; sent by a Huey task with retries and backoff."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    attachments = models.JSONField(
        _("attachments"),
        default=list,
        blank=True,
        help_text=_("Stored files: a list of {name, path, mimetype}."),
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    dedupe_key = models.CharField(
        _("deduplication key"),
        max_length=120,
        null=True,
        blank=True,
        unique=True,
        help_text=_("The same key is never queued twice (e.g. one reminder per appointment)."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempt_count = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    handed_at = models.DateTimeField(
        _("handed to the provider"),
        null=True,
        blank=True,
        help_text=_("Written just before the provider is called, cleared when it answers."),
    )
    last_error = models.TextField(_("last error"), blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivery_status = models.CharField(
        _("delivery"), max_length=12, choices=DeliveryStatus.choices, blank=True
    )
    delivery_reported_at = models.DateTimeField(_("delivery reported"), null=True, blank=True)
    delivery_error = models.CharField(
        _("delivery error"),
        max_length=200,
        blank=True,
        help_text=_("The provider's reason when it could not deliver (an error code, a bounce)."),
    )
    history = HistoricalRecords(excluded_fields=["body_text", "body_html", "attachments"])

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(fields=["-created_at"]),
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=Q(status__in=["pending", "sending", "failed", "unconfirmed"]),
                name="outbox_open_idx",
            ),
            # Delivery receipts find their message by the provider's id.
            models.Index(
                fields=["provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="outbox_provider_id_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.purpose} · #{self.pk}"


class MessageTemplate(models.Model):
    """The editable subject and text of one kind of message, in one language.

    Placeholders are written {like_this}; each purpose documents the ones it offers and an
    unknown placeholder is refused when the template is saved, not when a message goes out.
    """

    purpose = models.CharField(
        _("purpose"),
        max_length=20,
        choices=[(purpose.value, purpose.label) for purpose in TEMPLATE_PURPOSES],
    )
    language = models.CharField(_("language"), max_length=5, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body_text = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["purpose", "language"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "language"], name="one_template_per_purpose_language"
            )
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} · {self.get_language_display()}"


class SmsReplyOutcome(models.TextChoices):
    RECEIVED = "received", _("Received")
    CONFIRMED = "confirmed", _("Session confirmed")
    CANCELLED = "cancelled", _("Session cancelled")
    LATE_CANCELLED = "late-cancelled", _("Session cancelled late")
    FOR_STAFF = "for-staff", _("Passed to staff")
    ANSWERED = "answered", _("Answered by staff")
    SMS_STOPPED = "sms-stopped", _("SMS consent withdrawn")


class InboundSms(models.Model):
    """One SMS a client (or anyone) sent to the clinic's number, as the provider reported it,
    and what was done with it (docs/rules.md, SMS replies)."""

    provider_message_id = models.CharField(_("provider message id"), max_length=120, unique=True)
    sender = models.CharField(_("from"), max_length=30, help_text=_("E.164, e.g. +16045550123."))
    text = models.TextField(_("text"), blank=True)
    received_at = models.DateTimeField(_("received"))
    in_reply_to = models.ForeignKey(
        OutboxMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sms_replies",
        verbose_name=_("answers"),
        help_text=_("The SMS reminder this message answers, when one was found."),
    )
    outcome = models.CharField(
        _("what was done"),
        max_length=20,
        choices=SmsReplyOutcome.choices,
        default=SmsReplyOutcome.RECEIVED,
    )
    outcome_note = models.CharField(_("note"), max_length=255, blank=True)
    answer = models.OneToOneField(
        OutboxMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("our answer"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("SMS received")
        verbose_name_plural = _("SMS received")
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=Q(outcome="for-staff"),
                name="inbound_sms_for_staff_idx",
            )
        ]

    def __str__(self):
        return f"{self.get_outcome_display()} · #{self.pk}"
