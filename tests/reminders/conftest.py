from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backoffice.caseload.models import ReminderChannel
from backoffice.messaging.models import Channel
from backoffice.reminders.models import Reminder
from backoffice.scheduling.models import Attendance
from tests.factories import AppointmentFactory, ClientFactory

VANCOUVER = ZoneInfo("America/Vancouver")
# Monday 10 May 2027, noon in Vancouver: reminders are planned from here.
MONDAY_NOON = datetime(2027, 5, 10, 12, tzinfo=VANCOUVER)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A Vancouver time in the week of 10 May 2027 (day 10 is Monday)."""
    return datetime(2027, 5, day, hour, minute, tzinfo=VANCOUVER)


@pytest.fixture
def clock():
    """The clinic's clock, stopped on Monday noon; `clock.move_to(when)` moves it."""
    with time_machine.travel(MONDAY_NOON, tick=False) as traveller:
        yield traveller


def reminded_client(**fields):
    """A client who wants both reminders and consented to both."""
    values = {
        "reminder_channel": ReminderChannel.BOTH,
        "email_consent": True,
        "sms_consent": True,
        "phone": "604-555-0142",
    }
    return ClientFactory(**{**values, **fields})


def session(starts_at: datetime, *clients):
    appointment = AppointmentFactory(
        billing_client=clients[0],
        therapist=clients[0].primary_therapist,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
        attendance=Attendance.ONLINE,
        room=None,
    )
    appointment.clients.add(*clients)
    return appointment


def reminder(appointment, client, channel: Channel) -> Reminder:
    return Reminder.objects.get(appointment=appointment, client=client, channel=channel)
