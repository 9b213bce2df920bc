"""Planning reminders (docs/rules.md, Reminders): per client and channel at the clinic's
offsets, only with consent, outside SMS quiet hours, never for a cancelled session, never twice,
the latest passed one at once for a late booking; idempotent, concurrency-safe and a constant
number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.caseload.models import ReminderChannel
from backoffice.messaging.models import Channel
from backoffice.reminders.models import Reminder, ReminderOffset, ReminderStatus
from backoffice.reminders.services import (
    SkipReason,
    reminders_plan,
    reminders_plan_read,
    reminders_plan_write,
)
from tests.reminders.conftest import MONDAY_NOON, local, reminded_client, reminder, session

pytestmark = pytest.mark.django_db

PLANNED, SKIPPED = ReminderStatus.PLANNED, ReminderStatus.SKIPPED


def state(row: Reminder):
    return row.status, row.send_at, row.skip_reason


def test_an_email_48_hours_and_an_sms_24_hours_before_by_default(clock):
    client = reminded_client()
    appointment = session(local(13, 15), client)
    reminders_plan()
    assert state(reminder(appointment, client, Channel.EMAIL)) == (PLANNED, local(11, 15), "")
    assert state(reminder(appointment, client, Channel.SMS)) == (PLANNED, local(12, 15), "")


def test_the_offsets_are_the_clinics_setting(clock):
    ReminderOffset.objects.filter(channel=Channel.SMS).update(is_active=False)
    ReminderOffset.objects.create(channel=Channel.EMAIL, hours_before=72)
    client = reminded_client()
    appointment = session(local(14, 15), client)
    reminders_plan()
    rows = Reminder.objects.filter(appointment=appointment)
    assert sorted((r.channel, r.hours_before, r.send_at) for r in rows) == [
        (Channel.EMAIL, 48, local(12, 15)),
        (Channel.EMAIL, 72, local(11, 15)),
    ]


@pytest.mark.parametrize(
    ("fields", "email_reason", "sms_reason"),
    [
        ({"sms_consent": False}, "", SkipReason.NO_CONSENT),
        ({"email_consent": False}, SkipReason.NO_CONSENT, ""),
        ({"reminder_channel": ReminderChannel.EMAIL}, "", SkipReason.NOT_CHOSEN),
        ({"reminder_channel": ReminderChannel.NONE}, SkipReason.NOT_CHOSEN, SkipReason.NOT_CHOSEN),
        ({"phone_undeliverable_at": MONDAY_NOON}, "", SkipReason.UNDELIVERABLE),
        ({"email_undeliverable_at": MONDAY_NOON}, SkipReason.UNDELIVERABLE, ""),
        ({"sms_consent": True, "phone": ""}, "", SkipReason.NO_CONTACT),
    ],
)
def test_only_on_a_channel_the_client_chose_consented_to_and_can_receive(
    clock, fields, email_reason, sms_reason
):
    client = reminded_client(**fields)
    appointment = session(local(13, 15), client)
    reminders_plan()
    for channel, reason in ((Channel.EMAIL, email_reason), (Channel.SMS, sms_reason)):
        row = reminder(appointment, client, channel)
        assert (row.status, row.skip_reason) == (SKIPPED if reason else PLANNED, reason)


def test_every_client_of_a_couple_session_gets_their_own(clock):
    first, second = reminded_client(), reminded_client(sms_consent=False)
    appointment = session(local(13, 15), first, second)
    reminders_plan()
    assert reminder(appointment, first, Channel.SMS).status == PLANNED
    assert reminder(appointment, second, Channel.SMS).skip_reason == SkipReason.NO_CONSENT
    assert reminder(appointment, second, Channel.EMAIL).status == PLANNED


def test_an_sms_due_in_quiet_hours_goes_before_they_start_the_evening_before(clock):
    client = reminded_client()
    early = session(local(13, 7, 30), client)  # SMS due Wednesday 07:30
    late = session(local(12, 22), client)  # SMS due Tuesday 22:00
    reminders_plan()
    assert reminder(early, client, Channel.SMS).send_at == local(11, 20, 30)
    assert reminder(late, client, Channel.SMS).send_at == local(11, 20, 30)
    assert reminder(early, client, Channel.EMAIL).send_at == local(11, 7, 30)  # email: any time


def test_when_that_evening_has_passed_the_sms_waits_for_the_morning_or_is_skipped(clock):
    clock.move_to(local(10, 22))
    client = reminded_client()
    morning = session(local(12, 7, 30), client)  # due Tuesday 07:30, the evening before passed
    before_eight = session(local(11, 7, 45), client)  # due now, in quiet hours, session at 07:45
    reminders_plan()
    assert state(reminder(morning, client, Channel.SMS)) == (PLANNED, local(11, 8), "")
    assert reminder(before_eight, client, Channel.SMS).status == SKIPPED
    assert reminder(before_eight, client, Channel.SMS).skip_reason == SkipReason.QUIET_HOURS


def test_a_late_booking_sends_the_latest_passed_reminder_at_once_and_skips_the_others(clock):
    ReminderOffset.objects.create(channel=Channel.EMAIL, hours_before=24)
    client = reminded_client()
    tomorrow_evening = session(local(11, 18), client)  # 30 hours ahead
    tonight = session(local(10, 20), client)  # 8 hours ahead
    reminders_plan()
    row = Reminder.objects.get(appointment=tomorrow_evening, channel=Channel.EMAIL, hours_before=48)
    assert state(row) == (SKIPPED, local(9, 18), SkipReason.PASSED_LATER_AHEAD)
    row = Reminder.objects.get(appointment=tomorrow_evening, channel=Channel.EMAIL, hours_before=24)
    assert state(row) == (PLANNED, local(10, 18), "")
    row = Reminder.objects.get(appointment=tonight, channel=Channel.EMAIL, hours_before=24)
    assert state(row) == (PLANNED, MONDAY_NOON, "")
    row = Reminder.objects.get(appointment=tonight, channel=Channel.EMAIL, hours_before=48)
    assert row.skip_reason == SkipReason.PASSED_LATER_WENT
    assert state(reminder(tonight, client, Channel.SMS)) == (PLANNED, MONDAY_NOON, "")


def test_a_cancelled_or_past_session_gets_none(clock):
    client = reminded_client()
    session(local(13, 15), client).__class__.objects.update(status="cancelled")
    session(local(10, 9), client)
    reminders_plan()
    assert not Reminder.objects.exists()


def test_planning_again_changes_nothing_and_sessions_beyond_the_horizon_wait(clock, settings):
    settings.REMINDER_PLAN_DAYS = 3
    client = reminded_client()
    session(local(12, 15), client)
    far = session(local(20, 15), client)
    first = reminders_plan()
    again = reminders_plan()
    assert (first.created, again.created, again.changed) == (2, 0, 0)
    assert not Reminder.objects.filter(appointment=far).exists()


def test_two_planners_at_once_still_plan_each_reminder_once(clock):
    client = reminded_client()
    appointment = session(local(13, 15), client)
    slow = reminders_plan_read()  # read before the other planner wrote
    reminders_plan()
    result = reminders_plan_write(plan=slow)
    assert result.changed == 0
    assert Reminder.objects.filter(appointment=appointment).count() == 2


def test_planning_makes_the_same_queries_for_few_or_many_sessions(clock):
    def plan_queries(count: int, day: int) -> list[str]:
        for n in range(count):
            session(local(day, 9) + timedelta(minutes=10 * n), reminded_client())
        with CaptureQueriesContext(connection) as queries:
            reminders_plan()
        return [query["sql"] for query in queries.captured_queries]

    few, many = plan_queries(2, 12), plan_queries(12, 13)
    assert len(few) == len(many)
    nothing_new = plan_queries(0, 14)
    assert len(nothing_new) < len(many)
    assert not [sql for sql in nothing_new if sql.startswith("INSERT")]


def test_planning_again_leaves_skipped_and_due_reminders_alone(clock):
    refused, late = reminded_client(email_consent=False), reminded_client()
    session(local(10, 20), refused)
    session(local(10, 20), late)  # booked late: its email is due at once
    reminders_plan()
    clock.shift(timedelta(minutes=5))  # the sender has not run yet
    assert reminders_plan().changed == 0
    assert Reminder.objects.filter(status=PLANNED, send_at=MONDAY_NOON).count() == 3
    assert Reminder.objects.get(status=SKIPPED).skip_reason == SkipReason.NO_CONSENT


def test_consent_given_later_plans_the_reminder_it_had_skipped(clock):
    client = reminded_client(sms_consent=False)
    appointment = session(local(13, 15), client)
    reminders_plan()
    type(client).objects.filter(pk=client.pk).update(sms_consent=True)
    reminders_plan()
    assert state(reminder(appointment, client, Channel.SMS)) == (PLANNED, local(12, 15), "")


def test_a_client_joining_a_session_is_planned_on_commit(clock, django_capture_on_commit_callbacks):
    first, joining = reminded_client(), reminded_client()
    appointment = session(local(13, 15), first)
    with django_capture_on_commit_callbacks(execute=True):
        appointment.clients.add(joining)
    assert reminder(appointment, joining, Channel.EMAIL).status == PLANNED
