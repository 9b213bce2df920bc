"""Reminder writes: planning each session's reminders, handing due ones to the outbox, and the
email's signed confirm / cancel links (docs/rules.md, Reminders).

Planning is idempotent and safe to run twice at once: new rows are inserted with
`ignore_conflicts` under the `reminder_never_twice` constraint, a row is only re-timed while
it is unsent, and only a row that moves planned → queued by a conditional UPDATE becomes an
outbox message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from backoffice.bulk import rows_per_statement
from backoffice.caseload.models import Client, ReminderChannel
from backoffice.messaging.models import Channel, Purpose
from backoffice.messaging.services import message_queue
from backoffice.messaging.services.templates import message_template_render
from backoffice.reminders.models import Reminder, ReminderStatus
from backoffice.reminders.selectors import (
    appointment_clients_to_remind,
    reminder_offsets_in_use,
    reminders_due,
    reminders_of_sessions_to_remind,
    sms_number,
)
from backoffice.scheduling.models import Appointment, AppointmentStatus, ConfirmedVia
from backoffice.scheduling.services import appointment_cancel_by_client, appointment_confirm

# The on-commit job that plans one appointment's reminders (jobs.tasks registers it).
REMINDERS_PLAN = "reminders_plan"
LINK_SALT = "backoffice.reminders.link"
# An SMS moved out of quiet hours goes this long before they start, so the sender (every
# minute) and an outbox retry or two still land before them.
SMS_EVENING_MARGIN = timedelta(minutes=30)


class SkipReason:
    """Why a reminder is not sent: stored in English, shown to staff in their language."""

    NOT_CHOSEN = gettext_noop("The client does not want reminders on this channel.")
    NO_CONSENT = gettext_noop("The client has not consented to reminders on this channel.")
    NO_CONTACT = gettext_noop("No email address or mobile phone on file for this channel.")
    UNDELIVERABLE = gettext_noop("The email address or mobile phone is marked undeliverable.")
    QUIET_HOURS = gettext_noop("No time outside the SMS quiet hours before the session.")
    PASSED_LATER_AHEAD = gettext_noop(
        "Its time had passed when it was planned; a later reminder on this channel will go."
    )
    PASSED_LATER_WENT = gettext_noop(
        "Its time had passed when it was planned; only the latest one went."
    )
    NOT_SCHEDULED = gettext_noop("The session is no longer scheduled, or it started first.")
    NOT_IN_SESSION = gettext_noop("The client is no longer in this session.")


# --- when -----------------------------------------------------------------------------------


def _at(day, clock) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock))


def _quiet_hours_around(at: datetime) -> tuple[datetime, datetime] | None:
    """The quiet hours (start, end) that `at` falls in, or None when it is outside them."""
    start, end = settings.REMINDER_SMS_QUIET_START, settings.REMINDER_SMS_QUIET_END
    local = timezone.localtime(at)
    if local.time() >= start:
        return _at(local.date(), start), _at(local.date() + timedelta(days=1), end)
    if local.time() < end:
        return _at(local.date() - timedelta(days=1), start), _at(local.date(), end)
    return None


def reminder_time(
    *, channel: str, at: datetime, starts_at: datetime, now: datetime
) -> datetime | None:
    """When a reminder due `at` goes. An SMS never goes in quiet hours: it goes earlier, before
    they start the evening before, if that is still ahead; else when they end, if that is
    before the session; else never (None)."""
    quiet = _quiet_hours_around(at) if channel == Channel.SMS else None
    if quiet is None:
        return at
    evening, morning = quiet[0] - SMS_EVENING_MARGIN, quiet[1]
    if evening > now:
        return evening
    return morning if morning < starts_at else None


def _channel_plan(
    *, channel: str, offsets: list[int], starts_at: datetime, now: datetime, sent: set[int]
) -> dict[int, tuple[datetime | None, str]]:
    """For each offset of one channel for one client's session: (send_at, "") to send then,
    or (None, reason) not to send. A time already past: only the latest one goes, at once,
    when no later one of the channel is ahead and it was not sent already."""
    times = {
        hours: reminder_time(
            channel=channel, at=starts_at - timedelta(hours=hours), starts_at=starts_at, now=now
        )
        for hours in offsets
    }
    ahead = any(at is not None and at > now for at in times.values())
    passed = [hours for hours, at in times.items() if at is not None and at <= now]
    latest = min(passed) if passed and not ahead else None
    plan = {}
    for hours, at in times.items():
        if at is None:
            plan[hours] = (None, SkipReason.QUIET_HOURS)
        elif at > now:
            plan[hours] = (at, "")
        elif hours == latest and hours not in sent:
            at_once = reminder_time(channel=channel, at=now, starts_at=starts_at, now=now)
            plan[hours] = (at_once, "" if at_once else SkipReason.QUIET_HOURS)
        else:
            reason = SkipReason.PASSED_LATER_AHEAD if ahead else SkipReason.PASSED_LATER_WENT
            plan[hours] = (None, reason)
    return plan


def reminder_refusal(*, client: Client, channel: str) -> str:
    """Why this client gets no reminder on this channel (a SkipReason), or "" when they do:
    the channel chosen, consent, a contact, not marked undeliverable."""
    if client.reminder_channel not in (channel, ReminderChannel.BOTH):
        return SkipReason.NOT_CHOSEN
    if channel == Channel.EMAIL:
        consent, contact, undeliverable = (
            client.email_consent,
            client.email,
            client.email_undeliverable_at,
        )
    else:
        consent, contact, undeliverable = (
            client.sms_consent,
            client.phone,
            client.phone_undeliverable_at,
        )
    if not consent:
        return SkipReason.NO_CONSENT
    if not contact:
        return SkipReason.NO_CONTACT
    if undeliverable:
        return SkipReason.UNDELIVERABLE
    return ""


# --- planning -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderPlan:
    """What one planner read: the rows each (appointment, client, channel, offset) should be,
    and the rows already there."""

    wanted: dict[tuple, tuple[str, datetime, str]]
    existing: dict[tuple, Reminder]
    now: datetime


def _key(reminder: Reminder) -> tuple:
    return (reminder.appointment_id, reminder.client_id, reminder.channel, reminder.hours_before)


def reminders_plan_read(
    *, appointment_ids: list[int] | None = None, now: datetime | None = None
) -> ReminderPlan:
    """Read the scheduled sessions ahead (those of `appointment_ids`, else the next
    REMINDER_PLAN_DAYS days and any later one with a planned reminder) and work out each
    reminder: three queries at any size."""
    now = now or timezone.now()
    offsets = reminder_offsets_in_use()
    largest = max((hours for channel in offsets.values() for hours in channel), default=0)
    horizon = max(timedelta(days=settings.REMINDER_PLAN_DAYS), timedelta(hours=largest + 24))
    period = {"now": now, "starts_before": now + horizon, "appointment_ids": appointment_ids}
    existing = {_key(r): r for r in reminders_of_sessions_to_remind(**period)}
    sent = {key for key, reminder in existing.items() if reminder.status == ReminderStatus.QUEUED}
    wanted = {}
    for pair in appointment_clients_to_remind(**period):
        appointment, client = pair.appointment, pair.client
        for channel, hours_list in offsets.items():
            refusal = reminder_refusal(client=client, channel=channel)
            sent_hours = {
                h for h in hours_list if (pair.appointment_id, pair.client_id, channel, h) in sent
            }
            plan = _channel_plan(
                channel=channel,
                offsets=hours_list,
                starts_at=appointment.starts_at,
                now=now,
                sent=sent_hours,
            )
            for hours, (send_at, reason) in plan.items():
                key = (appointment.pk, client.pk, channel, hours)
                if refusal or reason:
                    # A skipped row keeps its due time: the same on every run, so unchanged.
                    due = appointment.starts_at - timedelta(hours=hours)
                    wanted[key] = (ReminderStatus.SKIPPED, due, refusal or reason)
                else:
                    wanted[key] = (ReminderStatus.PLANNED, send_at, "")
    return ReminderPlan(wanted=wanted, existing=existing, now=now)


def _unchanged(reminder: Reminder, status: str, send_at: datetime, reason: str, now) -> bool:
    if reminder.status == ReminderStatus.QUEUED:
        return True  # sent: never again, whatever moved (the constraint keeps the row)
    if reminder.status == ReminderStatus.PLANNED and reminder.send_at <= now:
        return status == ReminderStatus.PLANNED  # due: the sender takes it unless now refused
    return (reminder.status, reminder.send_at, reminder.skip_reason) == (status, send_at, reason)


@dataclass(frozen=True)
class PlanResult:
    created: int
    changed: int
    now: datetime


INSERT_COLUMNS = (
    "appointment_id",
    "client_id",
    "channel",
    "hours_before",
    "status",
    "send_at",
    "skip_reason",
    "created_at",
)


def _insert_missing(rows: list[tuple]) -> None:
    """INSERT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL): the rows a concurrent planner
    wrote first win. Plain values in as few statements as the database takes
    (`bulk.rows_per_statement`), without a model instance per row: Django's bulk_create
    spends ~20 times the SQL's cost compiling each value (docs/quality.md, P12)."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in INSERT_COLUMNS)
    row = "(" + ", ".join(["%s"] * len(INSERT_COLUMNS)) + ")"
    adapt = connection.ops.adapt_datetimefield_value
    stamp = adapt(timezone.now())
    per_statement = rows_per_statement(len(INSERT_COLUMNS))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            values = [
                value
                for *first, send_at, reason in chunk
                for value in (*first, adapt(send_at), reason, stamp)
            ]
            # Identifiers come from the model's meta; every value is a parameter.
            cursor.execute(
                f"INSERT INTO {quote(Reminder._meta.db_table)} ({names}) "  # noqa: S608
                f"VALUES {', '.join([row] * len(chunk))} ON CONFLICT DO NOTHING",
                values,
            )


def reminders_plan_write(*, plan: ReminderPlan) -> PlanResult:
    """Insert the reminders not there yet (a concurrent planner's rows win: ignore_conflicts)
    and re-time or skip unsent ones whose session moved or whose client's consent changed."""
    new = [(*key, *wanted) for key, wanted in plan.wanted.items() if key not in plan.existing]
    changed = 0
    with transaction.atomic():
        _insert_missing(new)
        for key, reminder in plan.existing.items():
            if key not in plan.wanted:
                continue  # a client no longer in the session: the sender refuses it
            status, send_at, reason = plan.wanted[key]
            if _unchanged(reminder, status, send_at, reason, plan.now):
                continue
            # One UPDATE a moved or re-consented row (few); never touches a sent one.
            changed += Reminder.objects.filter(
                pk=reminder.pk, status__in=[ReminderStatus.PLANNED, ReminderStatus.SKIPPED]
            ).update(status=status, send_at=send_at, skip_reason=reason)
    return PlanResult(created=len(new), changed=changed, now=plan.now)


def reminders_plan(
    *, appointment_ids: list[int] | None = None, now: datetime | None = None
) -> PlanResult:
    """Plan the reminders of the scheduled sessions ahead (or of these appointments): each
    client of each session, per channel and offset the clinic sets, once. Planned reminders
    of sessions no longer scheduled are marked not sent."""
    result = reminders_plan_write(
        plan=reminders_plan_read(appointment_ids=appointment_ids, now=now)
    )
    now = result.now
    stale = Reminder.objects.filter(
        ~Q(appointment__status=AppointmentStatus.SCHEDULED) | Q(appointment__starts_at__lte=now),
        status=ReminderStatus.PLANNED,
    )
    if appointment_ids is not None:
        stale = stale.filter(appointment_id__in=appointment_ids)
    stale.update(status=ReminderStatus.SKIPPED, skip_reason=SkipReason.NOT_SCHEDULED)
    return result


# --- sending --------------------------------------------------------------------------------


def _when_text(starts_at: datetime) -> str:
    local = timezone.localtime(starts_at)
    return _("%(day)s at %(time)s") % {
        "day": date_format(local, _("l j F Y")),
        "time": date_format(local, "H:i"),
    }


def reminder_link(*, reminder: Reminder, action: str) -> str:
    """The absolute, signed address that confirms or cancels this reminder's session for its
    client without signing in (`action` "confirm" or "cancel")."""
    token = signing.dumps(reminder.pk, salt=LINK_SALT)
    path = reverse(f"reminder_{action}", kwargs={"token": token})
    return settings.SITE_URL.rstrip("/") + path


def _email(reminder: Reminder) -> dict:
    appointment, client = reminder.appointment, reminder.client
    room = appointment.room
    location = f"{room.site.name}, {room.name}" if room else _("online")
    subject, body = message_template_render(
        purpose=Purpose.REMINDER,
        language=client.preferred_language,
        context={
            "client_name": client.preferred_name or client.first_name,
            "starts_at": _when_text(appointment.starts_at),
            "therapist_name": appointment.therapist.full_name,
            "location": location,
            "clinic_name": settings.LETTERHEAD["NAME"],
            "confirm_link": reminder_link(reminder=reminder, action="confirm"),
            "cancel_link": reminder_link(reminder=reminder, action="cancel"),
        },
    )
    return {"recipient": client.email, "subject": subject, "body_text": body}


def _sms(reminder: Reminder) -> dict:
    text = _(
        "%(clinic)s: reminder of your appointment on %(when)s. Reply C to confirm or X to cancel."
    ) % {
        "clinic": settings.LETTERHEAD["NAME"],
        "when": _when_text(reminder.appointment.starts_at),
    }
    return {"recipient": sms_number(reminder.client.phone), "body_text": text}


def _send_refusal(reminder: Reminder, now: datetime) -> str:
    appointment = reminder.appointment
    if appointment.status != AppointmentStatus.SCHEDULED or appointment.starts_at <= now:
        return SkipReason.NOT_SCHEDULED
    if not appointment.clients.filter(pk=reminder.client_id).exists():
        return SkipReason.NOT_IN_SESSION
    return reminder_refusal(client=reminder.client, channel=reminder.channel)


def reminder_send(*, reminder: Reminder, now: datetime | None = None) -> bool:
    """Hand one due reminder to the outbox, in its client's language, if it is still planned
    (a conditional UPDATE: one sender wins) and still wanted; True when queued."""
    now = now or timezone.now()
    with transaction.atomic():
        refusal = _send_refusal(reminder, now)
        if refusal:
            Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.PLANNED).update(
                status=ReminderStatus.SKIPPED, skip_reason=refusal
            )
            return False
        if reminder.channel == Channel.SMS:
            at = reminder_time(
                channel=Channel.SMS, at=now, starts_at=reminder.appointment.starts_at, now=now
            )
            if at != now:  # late into quiet hours (the worker was down): morning, or never
                Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.PLANNED).update(
                    status=ReminderStatus.PLANNED if at else ReminderStatus.SKIPPED,
                    send_at=at or reminder.send_at,
                    skip_reason="" if at else SkipReason.QUIET_HOURS,
                )
                return False
        # The session must still be scheduled and ahead: its row is locked as the attendance
        # services lock it, so a cancellation committed since the read is seen.
        still_ahead = (
            Appointment.objects.select_for_update()
            .filter(
                pk=reminder.appointment_id, status=AppointmentStatus.SCHEDULED, starts_at__gt=now
            )
            .exists()
        )
        # One sender wins: the claim's condition is on the reminder's own row (no join), so
        # PostgreSQL checks it again on the row a concurrent sender just committed.
        claimed = still_ahead and Reminder.objects.filter(
            pk=reminder.pk, status=ReminderStatus.PLANNED
        ).update(status=ReminderStatus.QUEUED)
        if not claimed:
            return False
        with translation.override(reminder.client.preferred_language):
            content = _email(reminder) if reminder.channel == Channel.EMAIL else _sms(reminder)
        message = message_queue(
            channel=reminder.channel,
            purpose=Purpose.REMINDER,
            dedupe_key=f"reminder:{reminder.pk}",
            **content,
        )
        Reminder.objects.filter(pk=reminder.pk).update(message=message)
    return True


def reminders_send_due(*, now: datetime | None = None) -> int:
    """Hand every due reminder to the outbox (the frequent periodic job); how many went."""
    now = now or timezone.now()
    due = reminders_due(now=now).select_related(
        "client", "appointment__therapist", "appointment__room__site"
    )
    return sum(reminder_send(reminder=reminder, now=now) for reminder in due)


# --- the email's links ----------------------------------------------------------------------

LINK_NOT_VALID = gettext_lazy("This link is not valid. Please call the clinic.")
LINK_USED = gettext_lazy("This link has already been used.")
LINK_EXPIRED = gettext_lazy(
    "This link has expired: the appointment has started, or it is no longer scheduled."
)


class ReminderLinkError(Exception):
    """A link that cannot act: tampered, for a session passed or no longer scheduled, or used.
    `language` is its client's, when the link names one."""

    def __init__(self, reason, language: str | None = None):
        super().__init__(reason)
        self.reason, self.language = reason, language


def reminder_of_link(*, token: str, now: datetime | None = None) -> Reminder:
    """The email reminder a link was signed for, while it may still act; else
    ReminderLinkError with what the client should read."""
    now = now or timezone.now()
    try:
        reminder_id = signing.loads(token, salt=LINK_SALT)
    except signing.BadSignature as error:
        raise ReminderLinkError(LINK_NOT_VALID) from error
    reminder = (
        Reminder.objects.filter(pk=reminder_id, channel=Channel.EMAIL)
        .select_related("appointment__therapist", "client")
        .first()
    )
    if reminder is None:
        raise ReminderLinkError(LINK_NOT_VALID)
    language = reminder.client.preferred_language
    if reminder.link_used_at is not None:
        raise ReminderLinkError(LINK_USED, language)
    appointment = reminder.appointment
    if appointment.starts_at <= now or appointment.status != AppointmentStatus.SCHEDULED:
        raise ReminderLinkError(LINK_EXPIRED, language)
    return reminder


@transaction.atomic
def reminder_link_use(*, token: str, action: str) -> Appointment:
    """Confirm or cancel the session of a reminder's link, for its client, once. A cancellation
    inside the late-cancellation window is refused (ValidationError: call the clinic) and
    leaves the link usable."""
    reminder = reminder_of_link(token=token)
    locked = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if locked.link_used_at is not None:
        raise ReminderLinkError(LINK_USED, reminder.client.preferred_language)
    appointment = reminder.appointment
    if action == "confirm":
        appointment_confirm(
            appointment=appointment, via=ConfirmedVia.EMAIL_LINK, by=reminder.client.user
        )
    else:
        appointment_cancel_by_client(
            appointment=appointment, client=reminder.client, late_allowed=False
        )
    locked.link_used_at = timezone.now()
    locked.save(update_fields=["link_used_at"])
    return appointment
