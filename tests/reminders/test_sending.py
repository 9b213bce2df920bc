"""Sending reminders (docs/rules.md, Reminders): due ones go through the outbox once, in the
client's language, still only with consent; booking, moving and cancelling re-plan them."""

from datetime import timedelta

import pytest

from backoffice.caseload.models import ConsentMethod
from backoffice.caseload.services import client_consent_record
from backoffice.fields import Language
from backoffice.messaging.models import Channel, OutboxMessage, Purpose
from backoffice.reminders.models import Reminder, ReminderStatus
from backoffice.reminders.services import (
    SkipReason,
    reminder_send,
    reminders_plan,
    reminders_send_due,
)
from backoffice.scheduling.models import Attendance
from backoffice.scheduling.services import appointment_book, appointment_cancel, appointment_move
from tests.factories import ServiceTypeFactory, UserFactory
from tests.peers.smtp import body_text
from tests.reminders.conftest import local, reminded_client, reminder, session

pytestmark = pytest.mark.django_db


def send_due(capture):
    with capture(execute=True):
        return reminders_send_due()


def test_an_email_reminder_reaches_the_client_with_its_links(
    clock, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://caseload.example"
    client = reminded_client(preferred_name="Frankie")
    appointment = session(local(13, 15), client)
    reminders_plan()
    clock.move_to(local(11, 15))
    assert send_due(django_capture_on_commit_callbacks) == 1  # the SMS is due tomorrow
    [email] = smtp_server.wait_for(1)
    assert email["To"] == client.email
    assert email["Subject"] == "Reminder: your appointment on Thursday 13 May 2027 at 15:00"
    text = body_text(email)
    assert "Hello Frankie" in text
    assert appointment.therapist.full_name in text
    assert "https://caseload.example/reminders/" in text
    assert "/confirm/" in text and "/cancel/" in text
    row = reminder(appointment, client, Channel.EMAIL)
    assert row.status == ReminderStatus.QUEUED
    assert row.message.dedupe_key == f"reminder:{row.pk}"
    assert row.message.purpose == Purpose.REMINDER


def test_an_email_reminder_is_in_the_clients_language(
    clock, smtp_server, django_capture_on_commit_callbacks
):
    client = reminded_client(preferred_language=Language.FRENCH, sms_consent=False)
    session(local(13, 15), client)
    reminders_plan()
    clock.move_to(local(11, 15))
    send_due(django_capture_on_commit_callbacks)
    [email] = smtp_server.wait_for(1)
    subject = email["Subject"].strip()  # a folded encoded header keeps its leading space
    assert subject.startswith("Rappel : votre rendez-vous le jeudi 13 mai 2027 à 15:00")
    assert "13 mai 2027" in body_text(email)


def test_an_sms_reminder_is_short_and_asks_for_a_reply(clock, django_capture_on_commit_callbacks):
    client = reminded_client()
    appointment = session(local(13, 15), client)
    reminders_plan()
    clock.move_to(local(12, 15))
    send_due(django_capture_on_commit_callbacks)
    message = reminder(appointment, client, Channel.SMS).message
    assert message.recipient == "+16045550142"
    assert message.body_text.endswith("Reply C to confirm or X to cancel.")
    assert len(message.body_text) <= 160
    assert client.last_name not in message.body_text


def test_a_due_reminder_goes_once_however_many_senders_run(
    clock, django_capture_on_commit_callbacks
):
    client = reminded_client()
    appointment = session(local(13, 15), client)
    reminders_plan()
    clock.move_to(local(11, 15))
    stale = Reminder.objects.select_related("client", "appointment").get(channel=Channel.EMAIL)
    assert send_due(django_capture_on_commit_callbacks) == 1
    assert send_due(django_capture_on_commit_callbacks) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert reminder_send(reminder=stale) is False  # a sender that read it before
    assert OutboxMessage.objects.count() == 1
    reminders_plan()
    assert Reminder.objects.filter(appointment=appointment).count() == 2


def test_consent_withdrawn_after_planning_stops_the_reminder(
    clock, django_capture_on_commit_callbacks
):
    client = reminded_client()
    appointment = session(local(13, 15), client)
    reminders_plan()
    client_consent_record(
        client=client,
        channel=Channel.SMS,
        given=False,
        method=ConsentMethod.PHONE,
        by=UserFactory(is_staff=True),
    )
    clock.move_to(local(12, 15))
    send_due(django_capture_on_commit_callbacks)
    row = reminder(appointment, client, Channel.SMS)
    assert (row.status, row.skip_reason) == (ReminderStatus.SKIPPED, SkipReason.NO_CONSENT)
    assert not OutboxMessage.objects.filter(channel=Channel.SMS).exists()


def test_booking_plans_and_cancelling_stops_the_reminders(
    clock, django_capture_on_commit_callbacks
):
    client = reminded_client()
    with django_capture_on_commit_callbacks(execute=True):
        booked = appointment_book(
            therapist=client.primary_therapist,
            billing_client=client,
            service_type=ServiceTypeFactory(),
            starts_at=local(13, 15),
            attendance=Attendance.ONLINE,
        ).appointment
    assert reminder(booked, client, Channel.EMAIL).status == ReminderStatus.PLANNED
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=booked)
    assert set(Reminder.objects.values_list("status", "skip_reason")) == {
        (ReminderStatus.SKIPPED, SkipReason.NOT_SCHEDULED)
    }
    clock.move_to(local(12, 15))
    assert send_due(django_capture_on_commit_callbacks) == 0


def test_moving_re_plans_unsent_reminders_and_never_sends_one_twice(
    clock, django_capture_on_commit_callbacks
):
    client = reminded_client()
    appointment = session(local(13, 15), client)
    reminders_plan()
    clock.move_to(local(11, 15))
    send_due(django_capture_on_commit_callbacks)  # the email went
    with django_capture_on_commit_callbacks(execute=True):
        appointment_move(appointment=appointment, starts_at=local(14, 10))
    email, sms = (
        reminder(appointment, client, Channel.EMAIL),
        reminder(appointment, client, Channel.SMS),
    )
    assert (email.status, sms.status, sms.send_at) == (
        ReminderStatus.QUEUED,
        ReminderStatus.PLANNED,
        local(13, 10),
    )
    clock.move_to(local(13, 10))
    assert send_due(django_capture_on_commit_callbacks) == 1
    assert OutboxMessage.objects.filter(channel=Channel.EMAIL).count() == 1


def test_a_session_moved_beyond_the_planning_days_keeps_its_reminders_in_step(
    clock, settings, django_capture_on_commit_callbacks
):
    settings.REMINDER_PLAN_DAYS = 3
    client = reminded_client()
    appointment = session(local(12, 15), client)
    reminders_plan()
    appointment.starts_at += timedelta(days=14)
    appointment.ends_at += timedelta(days=14)
    type(appointment).objects.filter(pk=appointment.pk).update(  # a set-wise write: no event
        starts_at=appointment.starts_at, ends_at=appointment.ends_at
    )
    reminders_plan()
    assert reminder(appointment, client, Channel.SMS).send_at == local(25, 15)


def test_an_sms_the_sender_reaches_in_quiet_hours_waits_for_the_morning(
    clock, django_capture_on_commit_callbacks
):
    client = reminded_client()
    appointment = session(local(13, 7, 30), client)
    reminders_plan()  # SMS planned Tuesday 20:30
    clock.move_to(local(11, 22))  # the worker was down until 22:00
    send_due(django_capture_on_commit_callbacks)
    row = reminder(appointment, client, Channel.SMS)
    assert (row.status, row.send_at) == (ReminderStatus.PLANNED, local(12, 8))
    assert not OutboxMessage.objects.filter(channel=Channel.SMS).exists()


def test_a_client_who_left_the_session_is_not_reminded(clock, django_capture_on_commit_callbacks):
    staying, leaving = reminded_client(), reminded_client()
    appointment = session(local(13, 15), staying, leaving)
    reminders_plan()
    appointment.clients.remove(leaving)  # a set-wise change the periodic planner has not seen
    clock.move_to(local(11, 15))
    assert send_due(django_capture_on_commit_callbacks) == 1
    row = reminder(appointment, leaving, Channel.EMAIL)
    assert (row.status, row.skip_reason) == (ReminderStatus.SKIPPED, SkipReason.NOT_IN_SESSION)


def test_a_session_cancelled_while_the_sender_ran_gets_no_reminder(
    clock, django_capture_on_commit_callbacks
):
    client = reminded_client()
    appointment = session(local(13, 15), client)
    reminders_plan()
    clock.move_to(local(11, 15))
    read = Reminder.objects.select_related("client", "appointment").get(channel=Channel.EMAIL)
    appointment_cancel(appointment=appointment)  # committed after the sender's read
    with django_capture_on_commit_callbacks(execute=True):
        assert reminder_send(reminder=read) is False
    assert not OutboxMessage.objects.exists()
