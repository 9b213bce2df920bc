"""Staff see on the appointment whether and how the client confirmed, and its reminders with why
one did not go; the clinic's reminder times are edited in the admin."""

import pytest
from django.urls import reverse

from backoffice.messaging.models import Channel
from backoffice.reminders.models import ReminderOffset
from backoffice.reminders.services import reminders_plan
from backoffice.scheduling.models import ConfirmedVia
from backoffice.scheduling.services import appointment_confirm
from tests.reminders.conftest import local, reminded_client, session

pytestmark = pytest.mark.django_db


def test_the_appointment_page_lists_its_reminders_and_the_confirmation(clock, admin_client):
    client = reminded_client(sms_consent=False)
    appointment = session(local(13, 15), client)
    reminders_plan()
    appointment_confirm(appointment=appointment, via=ConfirmedVia.EMAIL_LINK)
    page = admin_client.get(reverse("admin:scheduling_appointment_change", args=[appointment.pk]))
    text = page.content.decode()
    assert "2027-05-11 15:00" in text  # the email, 48 hours before
    assert "The client has not consented to reminders on this channel." in text
    assert "2027-05-10 12:00 · Link in the email reminder" in text


def test_the_appointment_list_shows_who_confirmed_and_how(clock, admin_client):
    appointment = session(local(10, 15), reminded_client())
    appointment_confirm(appointment=appointment, via=ConfirmedVia.SMS)
    page = admin_client.get(reverse("admin:scheduling_appointment_changelist"))
    assert "2027-05-10 12:00 · SMS reply" in page.content.decode()


def test_staff_add_a_reminder_time(admin_client):
    response = admin_client.post(
        reverse("admin:reminders_reminderoffset_add"),
        {"channel": Channel.SMS, "hours_before": "2", "is_active": "on"},
    )
    assert response.status_code == 302
    assert ReminderOffset.objects.filter(channel=Channel.SMS, hours_before=2).exists()
