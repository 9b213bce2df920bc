"""The email reminder's links (docs/rules.md, Reminders): confirm or cancel without signing in,
only by a POST, once, until the session starts, only that appointment for that client; inside
the late-cancellation window the cancel is refused with the clinic to call."""

from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.urls import reverse

from backoffice.fields import Language
from backoffice.messaging.models import Channel
from backoffice.reminders.services import reminder_link, reminders_plan, reminders_send_due
from backoffice.scheduling.models import AppointmentStatus, ConfirmedVia
from tests.reminders.conftest import local, reminded_client, reminder, session

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(clock, django_capture_on_commit_callbacks):
    """An email reminder sent on Tuesday 15:00 for Thursday 15:00's session."""
    client = reminded_client(preferred_language=Language.ENGLISH)
    appointment = session(local(13, 15), client)
    reminders_plan()
    clock.move_to(local(11, 15))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send_due()
    return reminder(appointment, client, Channel.EMAIL)


def path(row, action):
    return urlsplit(reminder_link(reminder=row, action=action)).path


def test_opening_the_link_changes_nothing_the_button_confirms(client, sent):
    url = path(sent, "confirm")
    page = client.get(url)
    assert page.status_code == 200
    assert "Confirm my appointment" in page.content.decode()
    sent.appointment.refresh_from_db()
    assert sent.appointment.confirmed_at is None
    done = client.post(url)
    assert "Your appointment is confirmed" in done.content.decode()
    sent.appointment.refresh_from_db()
    assert sent.appointment.confirmed_via == ConfirmedVia.EMAIL_LINK
    sent.refresh_from_db()
    assert sent.link_used_at is not None


def test_cancelling_in_time_cancels_the_session(client, sent):
    done = client.post(path(sent, "cancel"))
    assert done.status_code == 200
    sent.appointment.refresh_from_db()
    assert sent.appointment.status == AppointmentStatus.CANCELLED


def test_inside_the_late_window_the_cancel_is_refused_and_the_link_still_confirms(
    client, sent, clock
):
    clock.move_to(local(12, 20))  # 19 hours before
    refused = client.post(path(sent, "cancel"))
    assert refused.status_code == 409
    assert "please call the clinic" in refused.content.decode()
    sent.appointment.refresh_from_db()
    assert sent.appointment.status == AppointmentStatus.SCHEDULED
    assert client.post(path(sent, "confirm")).status_code == 200


def test_a_link_works_once(client, sent):
    client.post(path(sent, "confirm"))
    again = client.post(path(sent, "cancel"))
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    sent.appointment.refresh_from_db()
    assert sent.appointment.status == AppointmentStatus.SCHEDULED


def test_a_link_expires_when_the_session_starts(client, sent, clock):
    clock.move_to(local(13, 15))
    expired = client.post(path(sent, "confirm"))
    assert expired.status_code == 410
    assert "expired" in expired.content.decode()
    sent.appointment.refresh_from_db()
    assert sent.appointment.confirmed_at is None


def test_a_tampered_link_or_one_for_another_reminder_changes_nothing(client, sent):
    token = signing.dumps(sent.pk, salt="another purpose")
    forged = client.post(reverse("reminder_confirm", kwargs={"token": token}))
    assert forged.status_code == 400
    token = reminder_link(reminder=sent, action="confirm").split("/")[-3]
    altered = token.replace(token[0], "9" if token[0] != "9" else "8", 1)
    assert client.post(reverse("reminder_cancel", kwargs={"token": altered})).status_code == 400
    sent.appointment.refresh_from_db()
    assert (sent.appointment.status, sent.appointment.confirmed_at) == ("scheduled", None)


def test_a_link_acts_only_on_its_own_appointment(client, sent, clock):
    other = session(local(14, 15), sent.client)
    client.post(path(sent, "confirm"))
    other.refresh_from_db()
    assert other.confirmed_at is None


def test_an_sms_reminder_has_no_link(client, sent, clock, django_capture_on_commit_callbacks):
    sms = reminder(sent.appointment, sent.client, Channel.SMS)
    assert client.post(path(sms, "confirm")).status_code == 400


def test_the_page_speaks_the_clients_language(client, sent):
    type(sent.client).objects.filter(pk=sent.client_id).update(preferred_language=Language.FRENCH)
    page = client.get(path(sent, "confirm"))
    assert '<html lang="fr-ca">' in page.content.decode()
