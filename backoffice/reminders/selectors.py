"""Reminder reads: what the planner works from, what is due, what an SMS reply answers."""

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from backoffice.messaging.models import Channel
from backoffice.reminders.models import Reminder, ReminderOffset, ReminderStatus
from backoffice.scheduling.models import Appointment, AppointmentStatus

# What decides whether a client gets a reminder on a channel (services.reminder_refusal).
CLIENT_REMINDER_FIELDS = (
    "reminder_channel",
    "email_consent",
    "sms_consent",
    "email",
    "phone",
    "email_undeliverable_at",
    "phone_undeliverable_at",
)


def sms_number(phone: str) -> str:
    """A phone number as SMS providers write it (E.164): `+1` and ten digits for a North
    American number written without its country code; empty when it holds no digit."""
    digits = "".join(character for character in phone if character.isdigit())
    if len(digits) == 10 and not phone.strip().startswith("+"):
        digits = f"1{digits}"
    return f"+{digits}" if digits else ""


def sms_reminder_answered_by(phone: str) -> Reminder | None:
    """The SMS reminder most recently queued to this number whose session is still scheduled
    and has not started: what a reply (C / X) from that number answers. None otherwise."""
    number = sms_number(phone)
    if not number:
        return None
    return (
        Reminder.objects.filter(
            channel=Channel.SMS,
            status=ReminderStatus.QUEUED,
            message__recipient=number,
            appointment__status=AppointmentStatus.SCHEDULED,
            appointment__starts_at__gt=timezone.now(),
        )
        .select_related("appointment", "client", "message")
        .order_by("-message__created_at", "-pk")
        .first()
    )


def reminder_offsets_in_use() -> dict[str, list[int]]:
    """Channel → the hours before a session its reminders go, largest first."""
    offsets: dict[str, list[int]] = {}
    for channel, hours in ReminderOffset.objects.filter(is_active=True).values_list(
        "channel", "hours_before"
    ):
        offsets.setdefault(channel, []).append(hours)
    return {channel: sorted(hours, reverse=True) for channel, hours in offsets.items()}


def _sessions_to_remind(
    *, now: datetime, starts_before: datetime, appointment_ids: list[int] | None
) -> Q:
    """Scheduled sessions ahead: these appointments, else those starting before
    `starts_before` and any later one with a reminder still planned (moved further away)."""
    ahead = Q(appointment__status=AppointmentStatus.SCHEDULED, appointment__starts_at__gt=now)
    if appointment_ids is not None:
        return ahead & Q(appointment_id__in=appointment_ids)
    planned = Reminder.objects.filter(status=ReminderStatus.PLANNED).values("appointment_id")
    return ahead & (Q(appointment__starts_at__lte=starts_before) | Q(appointment_id__in=planned))


def appointment_clients_to_remind(
    *, now: datetime, starts_before: datetime, appointment_ids: list[int] | None = None
) -> QuerySet:
    """Each (session to remind, client) pair, with both loaded: one query, read from the
    appointments' clients table."""
    sessions = _sessions_to_remind(
        now=now, starts_before=starts_before, appointment_ids=appointment_ids
    )
    return (
        Appointment.clients.through.objects.filter(sessions)
        .select_related("appointment", "client")
        .only("appointment__starts_at", *(f"client__{name}" for name in CLIENT_REMINDER_FIELDS))
        .order_by("appointment_id", "client_id")
    )


def reminders_of_sessions_to_remind(
    *, now: datetime, starts_before: datetime, appointment_ids: list[int] | None = None
) -> QuerySet:
    """The reminders already planned, sent or skipped for the same sessions (read by the
    period, not by a list of ids: one query at any size)."""
    sessions = _sessions_to_remind(
        now=now, starts_before=starts_before, appointment_ids=appointment_ids
    )
    return Reminder.objects.filter(sessions)


def reminders_due(*, now: datetime) -> QuerySet:
    """Planned reminders whose time has come (the partial index on send_at), oldest first."""
    return Reminder.objects.filter(status=ReminderStatus.PLANNED, send_at__lte=now).order_by(
        "send_at", "pk"
    )


def reminders_of_appointment(*, appointment_id: int) -> list[Reminder]:
    """One appointment's reminders with their clients, in the order they go."""
    return list(
        Reminder.objects.filter(appointment_id=appointment_id)
        .select_related("client")
        .order_by("send_at", "client_id", "channel")
    )
