"""A client's SMS answer to a reminder: C confirms, X cancels (late inside the window), anything
else is a task for staff; the client is answered in their language (docs/rules.md, SMS
replies)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from backoffice.caseload.models import ConsentMethod, ContactConsent
from backoffice.messaging.models import Channel, InboundSms, OutboxMessage, Purpose, SmsReplyOutcome
from backoffice.reminders.models import Reminder, ReminderStatus
from backoffice.reminders.replies import sms_reply_handle
from backoffice.reminders.selectors import sms_number
from backoffice.scheduling.models import AppointmentStatus, ConfirmedVia
from backoffice.worklist.models import Priority, RuleKey, Task
from backoffice.worklist.rules import RULES
from backoffice.worklist.services import tasks_mark_done, worklist_sweep
from tests.factories import AppointmentFactory, ClientFactory, OutboxMessageFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 5, 10, 12, tzinfo=ZoneInfo("America/Vancouver"))


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def sms_reminder(client, *, starts_in_hours=48):
    """A session of `client` and the SMS reminder that went to their mobile number."""
    appointment = AppointmentFactory(
        billing_client=client,
        therapist=client.primary_therapist,
        starts_at=NOW + timedelta(hours=starts_in_hours),
    )
    message = OutboxMessageFactory(
        channel=Channel.SMS, recipient=sms_number(client.phone), purpose=Purpose.REMINDER
    )
    return Reminder.objects.create(
        appointment=appointment,
        client=client,
        channel=Channel.SMS,
        hours_before=24,
        send_at=NOW - timedelta(minutes=5),
        status=ReminderStatus.QUEUED,
        message=message,
    )


@pytest.fixture
def reply(vonage_server, client, django_capture_on_commit_callbacks):
    """The client's phone answering through Vonage's signed webhook; the worker runs."""

    def send(phone: str, text: str) -> InboundSms:
        with django_capture_on_commit_callbacks(execute=True):
            response = vonage_server.inbound(client, msisdn=sms_number(phone)[1:], text=text)
        assert response.status_code == 204
        return InboundSms.objects.latest("pk")

    return send


def test_c_confirms_the_session_and_the_client_is_answered(reply):
    reminder = sms_reminder(ClientFactory(phone="604-555-0142"))
    inbound = reply("604-555-0142", " c. ")
    appointment = reminder.appointment
    appointment.refresh_from_db()
    assert appointment.confirmed_via == ConfirmedVia.SMS
    assert appointment.confirmed_at == NOW
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert inbound.outcome == SmsReplyOutcome.CONFIRMED
    assert inbound.in_reply_to == reminder.message
    assert inbound.answer.recipient == "+16045550142"
    assert inbound.answer.channel == Channel.SMS
    assert inbound.answer.body_text == (
        "Thank you: your session on Wednesday 12 May at 12:00 is confirmed."
    )
    assert not Task.objects.filter(rule=RuleKey.SMS_FOR_STAFF).exists()


def test_the_answer_is_in_the_clients_language(reply):
    """The session's day is written in French for a French-speaking client (the texts
    themselves come from the French catalogue, compiled at the end)."""
    sms_reminder(ClientFactory(phone="604-555-0142", preferred_language="fr"))
    inbound = reply("604-555-0142", "OUI")
    assert inbound.outcome == SmsReplyOutcome.CONFIRMED
    assert "mercredi 12 mai at 12:00" in inbound.answer.body_text or (
        "mercredi 12 mai à 12:00" in inbound.answer.body_text
    )


def test_x_cancels_in_time(reply):
    reminder = sms_reminder(ClientFactory(phone="604-555-0142"), starts_in_hours=48)
    inbound = reply("604-555-0142", "X")
    reminder.appointment.refresh_from_db()
    assert reminder.appointment.status == AppointmentStatus.CANCELLED
    assert inbound.outcome == SmsReplyOutcome.CANCELLED
    assert "cancelled" in inbound.answer.body_text
    assert "fee" not in inbound.answer.body_text


def test_x_inside_the_window_is_a_late_cancellation(reply):
    reminder = sms_reminder(ClientFactory(phone="604-555-0142"), starts_in_hours=5)
    inbound = reply("604-555-0142", "annuler")
    reminder.appointment.refresh_from_db()
    assert reminder.appointment.status == AppointmentStatus.LATE_CANCELLED
    assert inbound.outcome == SmsReplyOutcome.LATE_CANCELLED
    assert "late-cancellation fee" in inbound.answer.body_text


def test_another_text_is_a_task_for_staff_with_the_text(reply):
    person = ClientFactory(phone="604-555-0142", first_name="Amélie", last_name="Roy")
    reminder = sms_reminder(person)
    inbound = reply("604-555-0142", "Can we move it to Thursday?")
    reminder.appointment.refresh_from_db()
    assert reminder.appointment.status == AppointmentStatus.SCHEDULED
    assert reminder.appointment.confirmed_at is None
    assert inbound.outcome == SmsReplyOutcome.FOR_STAFF
    assert "staff" in inbound.answer.body_text
    [task] = Task.objects.filter(rule=RuleKey.SMS_FOR_STAFF)
    assert (task.subject_id, task.subject_label) == (inbound.pk, "Amélie Roy")
    assert task.priority == Priority.HIGH
    assert "Can we move it to Thursday?" in RULES[task.rule].describe(task.facts)


def test_each_message_is_its_own_task(reply):
    sms_reminder(ClientFactory(phone="604-555-0142"))
    reply("604-555-0142", "Question")
    reply("604-555-0142", "Another question")
    assert Task.objects.filter(rule=RuleKey.SMS_FOR_STAFF, state="open").count() == 2


def test_an_unknown_number_is_a_task_and_is_not_answered(reply):
    sms_reminder(ClientFactory(phone="604-555-0142"))
    inbound = reply("778-555-0199", "C")
    assert inbound.outcome == SmsReplyOutcome.FOR_STAFF
    assert inbound.in_reply_to is None
    assert inbound.answer is None
    [task] = Task.objects.filter(rule=RuleKey.SMS_FOR_STAFF)
    assert task.subject_label == "+17785550199"
    assert "no reminder went to" in RULES[task.rule].describe(task.facts)
    assert not OutboxMessage.objects.filter(recipient="+17785550199").exists()


def test_a_reply_only_touches_the_session_of_the_reminder_sent_to_that_number(reply):
    """Two therapists' clients with sessions at the same time: A's X cancels A's session only."""
    mine = sms_reminder(ClientFactory(phone="604-555-0142"))
    theirs = sms_reminder(ClientFactory(phone="604-555-0177"))
    reply("604-555-0142", "X")
    mine.appointment.refresh_from_db()
    theirs.appointment.refresh_from_db()
    assert mine.appointment.status == AppointmentStatus.CANCELLED
    assert theirs.appointment.status == AppointmentStatus.SCHEDULED
    assert theirs.appointment.confirmed_at is None


def test_a_reply_after_the_session_started_goes_to_staff(reply):
    reminder = sms_reminder(ClientFactory(phone="604-555-0142"), starts_in_hours=1)
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        inbound = reply("604-555-0142", "C")
    reminder.appointment.refresh_from_db()
    assert reminder.appointment.confirmed_at is None
    assert inbound.outcome == SmsReplyOutcome.FOR_STAFF


def test_a_reply_is_acted_on_once(reply):
    reminder = sms_reminder(ClientFactory(phone="604-555-0142"))
    inbound = reply("604-555-0142", "C")
    again = sms_reply_handle(inbound=inbound)
    assert again.answer == inbound.answer
    assert OutboxMessage.objects.filter(recipient="+16045550142").count() == 2  # reminder, answer
    reminder.appointment.refresh_from_db()
    assert reminder.appointment.confirmed_at == NOW


def test_staff_mark_the_task_done_and_it_stays_done(reply, admin_user):
    sms_reminder(ClientFactory(phone="604-555-0142"))
    reply("604-555-0142", "Call me please")
    tasks_mark_done(
        tasks=Task.objects.filter(rule=RuleKey.SMS_FOR_STAFF), by=admin_user, note="Called back"
    )
    worklist_sweep()
    [task] = Task.objects.filter(rule=RuleKey.SMS_FOR_STAFF)
    assert task.state == "done"


def test_staff_mark_the_sms_answered_and_its_task_closes(reply, admin_client):
    sms_reminder(ClientFactory(phone="604-555-0142"))
    inbound = reply("604-555-0142", "Call me please")
    changelist = reverse("admin:messaging_inboundsms_changelist")
    response = admin_client.post(
        changelist, {"action": "mark_answered", "_selected_action": [inbound.pk]}
    )
    assert response.status_code == 302
    inbound.refresh_from_db()
    assert inbound.outcome == SmsReplyOutcome.ANSWERED
    worklist_sweep()
    assert Task.objects.get(rule=RuleKey.SMS_FOR_STAFF).state == "closed"


def test_stop_withdraws_sms_consent_for_every_file_with_that_number(reply):
    parent = ClientFactory(phone="604-555-0142", sms_consent=True)
    child = ClientFactory(phone="(604) 555-0142", sms_consent=True)
    other = ClientFactory(phone="604-555-0177", sms_consent=True)
    sms_reminder(child)
    inbound = reply("604-555-0142", "Arrêt")
    assert inbound.outcome == SmsReplyOutcome.SMS_STOPPED
    assert inbound.answer is None
    for person in (parent, child, other):
        person.refresh_from_db()
    assert (parent.sms_consent, child.sms_consent, other.sms_consent) == (False, False, True)
    records = ContactConsent.objects.filter(channel=Channel.SMS, given=False)
    assert sorted(records.values_list("client_id", flat=True)) == sorted([parent.pk, child.pk])
    assert {record.method for record in records} == {ConsentMethod.SMS_REPLY}
    assert not Task.objects.filter(rule=RuleKey.SMS_FOR_STAFF).exists()
