"""What an SMS reply answers: the SMS reminder most recently queued to that number whose session
is still scheduled and ahead (the reply webhook's read)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backoffice.messaging.models import Channel, Purpose
from backoffice.reminders.models import Reminder, ReminderStatus
from backoffice.reminders.selectors import sms_number, sms_reminder_answered_by
from backoffice.scheduling.models import AppointmentStatus
from tests.factories import AppointmentFactory, ClientFactory, OutboxMessageFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 5, 10, 12, tzinfo=ZoneInfo("America/Vancouver"))


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def sms_reminder(client, *, starts_in_hours, queued_minutes_ago=0, status=ReminderStatus.QUEUED):
    appointment = AppointmentFactory(
        billing_client=client, starts_at=NOW + timedelta(hours=starts_in_hours)
    )
    message = OutboxMessageFactory(
        channel=Channel.SMS, recipient=sms_number(client.phone), purpose=Purpose.REMINDER
    )
    type(message).objects.filter(pk=message.pk).update(
        created_at=NOW - timedelta(minutes=queued_minutes_ago)
    )
    return Reminder.objects.create(
        appointment=appointment,
        client=client,
        channel=Channel.SMS,
        hours_before=24,
        send_at=NOW - timedelta(minutes=queued_minutes_ago),
        status=status,
        message=message,
    )


def test_numbers_are_read_as_providers_write_them():
    assert sms_number("604-555-0142") == "+16045550142"
    assert sms_number("(604) 555 0142") == "+16045550142"
    assert sms_number("16045550142") == "+16045550142"
    assert sms_number("+44 20 7946 0018") == "+442079460018"
    assert sms_number("") == ""


def test_a_reply_answers_the_latest_sms_reminder_to_that_number_in_any_writing():
    client = ClientFactory(phone="604-555-0142", sms_consent=True)
    sms_reminder(client, starts_in_hours=30, queued_minutes_ago=120)
    latest = sms_reminder(client, starts_in_hours=20, queued_minutes_ago=5)
    assert sms_reminder_answered_by("16045550142") == latest
    assert sms_reminder_answered_by("+1 (604) 555-0142") == latest


def test_a_session_cancelled_or_started_is_not_answered_any_more():
    client = ClientFactory(phone="604-555-0142", sms_consent=True)
    earlier = sms_reminder(client, starts_in_hours=30, queued_minutes_ago=120)
    cancelled = sms_reminder(client, starts_in_hours=20, queued_minutes_ago=5)
    cancelled.appointment.status = AppointmentStatus.CANCELLED
    cancelled.appointment.save()
    sms_reminder(client, starts_in_hours=-1, queued_minutes_ago=1)  # already started
    assert sms_reminder_answered_by("6045550142") == earlier


def test_another_number_or_a_reminder_never_sent_answers_nothing():
    client = ClientFactory(phone="604-555-0142", sms_consent=True)
    sms_reminder(client, starts_in_hours=20, status=ReminderStatus.PLANNED)
    assert sms_reminder_answered_by("604-555-0142") is None
    sms_reminder(client, starts_in_hours=20)
    assert sms_reminder_answered_by("604-555-0199") is None
    assert sms_reminder_answered_by("") is None
