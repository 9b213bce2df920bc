"""Appointment reminders: when the clinic sends them, and one row per reminder planned."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.caseload.models import Client
from backoffice.messaging.models import Channel, OutboxMessage
from backoffice.scheduling.models import Appointment


class ReminderOffset(models.Model):
    """The clinic's setting: a reminder on this channel this many hours before each session."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    hours_before = models.PositiveSmallIntegerField(_("hours before the session"))
    is_active = models.BooleanField(_("in use"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["channel", "-hours_before"]
        verbose_name = _("reminder time")
        verbose_name_plural = _("reminder times")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "hours_before"], name="reminder_offset_once_per_channel"
            )
        ]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.hours_before} h"


class ReminderStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    QUEUED = "queued", _("Handed to the outbox")
    SKIPPED = "skipped", _("Not sent")


class Reminder(models.Model):
    """One reminder of one appointment to one client on one channel at one offset.

    The unique constraint is the rule "never twice": whatever plans, re-plans or retries,
    there is at most one row, and only a planned row becomes an outbox message.
    """

    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("appointment"),
    )
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("client")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    hours_before = models.PositiveSmallIntegerField(_("hours before the session"))
    send_at = models.DateTimeField(_("to send at"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PLANNED
    )
    skip_reason = models.CharField(_("why not sent"), max_length=200, blank=True)
    message = models.OneToOneField(
        OutboxMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reminder",
        verbose_name=_("outbox message"),
    )
    link_used_at = models.DateTimeField(
        _("link used"),
        null=True,
        blank=True,
        help_text=_("When the client used this reminder's confirm or cancel link (once only)."),
    )
    created_at = models.DateTimeField(_("planned"), auto_now_add=True)

    class Meta:
        ordering = ["send_at"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "client", "channel", "hours_before"],
                name="reminder_never_twice",
            )
        ]
        indexes = [
            models.Index(
                fields=["send_at"],
                condition=models.Q(status="planned"),
                name="reminder_planned_due_idx",
            )
        ]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.hours_before} h · #{self.appointment_id}"
