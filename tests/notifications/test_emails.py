"""Which notifications also come by email (docs/rules.md, Notifications): each user chooses
per kind never, at once, or in the morning email; the defaults; the morning email once a user
and day, with what waited, in the reader's language, read back from a real SMTP server."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.fields import Language
from backoffice.messaging.models import OutboxMessage, Purpose
from backoffice.notifications.models import (
    EmailChoice,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from backoffice.notifications.selectors import email_choices
from backoffice.notifications.services import notifications_digest_send, notify
from jobs.tasks import notifications_digest_task
from tests.factories import TherapistFactory, UserFactory
from tests.peers.smtp import body_text

pytestmark = pytest.mark.django_db

REQUEST = NotificationKind.REQUEST_ANSWERED
STATEMENT = NotificationKind.STATEMENT_SENT
ASSIGNED = NotificationKind.TASK_ASSIGNED


def answered(therapist, client_name="Zoé Gagnon", pk=1):
    return notify(
        user_id=therapist.user_id,
        kind=REQUEST,
        facts={"client": client_name, "action": "deactivate", "approved": True},
        link=f"/portal/clients/{pk}/",
        key=f"client-request:{pk}",
    )


def choose(user, kind, email):
    NotificationPreference.objects.create(user=user, kind=kind, email=email)


def next_morning():
    """07:30 in Vancouver the next day, when the morning email runs."""
    return time_machine.travel("2026-11-19 07:30 -07:00", tick=False)


def test_the_defaults_digest_for_therapists_and_the_app_only_for_staff(therapist, colleague):
    assert email_choices(user=therapist.user) == {
        REQUEST: EmailChoice.DIGEST,
        NotificationKind.APPROVAL_RUNNING_OUT: EmailChoice.NEVER,  # the alert emails it
        STATEMENT: EmailChoice.NEVER,  # the statement is an email itself
    }
    assert email_choices(user=colleague) == {ASSIGNED: EmailChoice.NEVER}


def test_at_once_emails_the_therapist_after_the_commit(
    therapist, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://caseload.example"
    choose(therapist.user, REQUEST, EmailChoice.AT_ONCE)
    with django_capture_on_commit_callbacks(execute=True):
        answered(therapist, pk=41)
    (email,) = smtp_server.wait_for(1)
    assert email["To"] == therapist.email  # the therapist record's address, as statements
    assert email["Subject"] == "Client request answered"  # no client name in a subject
    text = body_text(email)
    assert "Your request to deactivate Zoé Gagnon was approved." in text
    assert "https://caseload.example/portal/clients/41/" in text
    assert "https://caseload.example/portal/notifications/emails/" in text
    assert Notification.objects.get().emailed_at is not None
    with next_morning():
        assert notifications_digest_send() == 0  # emailed already


def test_never_means_the_app_only(therapist):
    choose(therapist.user, REQUEST, EmailChoice.NEVER)
    answered(therapist)
    with next_morning():
        assert notifications_digest_send() == 0
    assert not OutboxMessage.objects.exists()


def test_a_staff_member_may_have_tasks_emailed_at_once(superuser, colleague):
    colleague.email = "nadia@caseload.example"
    colleague.save()
    choose(colleague, ASSIGNED, EmailChoice.AT_ONCE)
    notify(user_id=colleague.pk, kind=ASSIGNED, facts={"by": "Aiko", "count": 2}, link="/admin/")
    (message,) = OutboxMessage.objects.all()
    assert (message.recipient, message.purpose) == ("nadia@caseload.example", Purpose.NOTIFICATION)
    assert "Aiko assigned you 2 tasks." in message.body_text
    assert "/admin/notifications/emails/" in message.body_text


def test_the_morning_email_gathers_each_users_waiting_notifications_once_a_day(
    therapist, smtp_server, django_capture_on_commit_callbacks
):
    answered(therapist, "Zoé Gagnon", pk=1)
    answered(therapist, "Luc Roy", pk=2)
    seen = answered(therapist, "Ana Silva", pk=3)
    seen.read_at = timezone.now()  # read in the app: not emailed again
    seen.save()
    other = TherapistFactory()
    answered(other, "Marc Dubé", pk=4)
    assert not OutboxMessage.objects.exists()  # nothing at once

    with next_morning(), django_capture_on_commit_callbacks(execute=True):
        assert notifications_digest_send() == 2
        assert notifications_digest_send() == 0  # the same day again
    emails = {email["To"]: email for email in smtp_server.wait_for(2)}
    mine = emails[therapist.email]
    assert mine["Subject"] == "2 new notifications"
    text = body_text(mine)
    assert "Zoé Gagnon" in text and "Luc Roy" in text and "Ana Silva" not in text
    assert "Marc Dubé" not in text
    assert "Marc Dubé" in body_text(emails[other.email])

    later = answered(therapist, "Eve Lam", pk=5)
    with next_morning():
        assert notifications_digest_send() == 0  # one email a day: it waits for tomorrow
    later.refresh_from_db()
    assert later.emailed_at is None
    with time_machine.travel("2026-11-20 07:30 -07:00", tick=False):
        assert notifications_digest_send() == 1
    assert OutboxMessage.objects.filter(recipient=therapist.email).count() == 2


def test_the_morning_email_is_in_a_french_speaking_therapists_language(
    smtp_server, django_capture_on_commit_callbacks
):
    french = TherapistFactory(preferred_language=Language.FRENCH)
    choose(french.user, STATEMENT, EmailChoice.DIGEST)
    notify(
        user_id=french.user_id,
        kind=STATEMENT,
        facts={"month": "2026-10-01"},
        link="/portal/statements/",
        key="statement-sent:1",
    )
    with next_morning(), django_capture_on_commit_callbacks(execute=True):
        assert notifications_digest_send() == 1
    (email,) = smtp_server.wait_for(1)
    assert "octobre 2026" in body_text(email)  # the month written in French


@pytest.mark.parametrize(
    ("before", "after"),
    [("2026-12-31 23:30", "2027-01-01 00:30"), ("2027-02-28 23:45", "2027-03-01 00:15")],
)
def test_one_email_a_vancouver_day_either_side_of_local_midnight(therapist, before, after):
    with time_machine.travel(f"{before} -07:00", tick=False):
        answered(therapist, pk=1)
        assert notifications_digest_send() == 1
        answered(therapist, pk=2)
        assert notifications_digest_send() == 0  # the same local day
    with time_machine.travel(f"{after} -07:00", tick=False):
        assert notifications_digest_send() == 1  # a new day in Vancouver, though UTC's is not
    day_keys = OutboxMessage.objects.values_list("dedupe_key", flat=True).order_by("pk")
    assert [key.rsplit(":", 1)[1] for key in day_keys] == [before[:10], after[:10]]


def test_the_morning_email_reads_the_same_for_2_or_8_users():
    def waiting(count):
        for n in range(count):
            answered(TherapistFactory(), pk=n)

    def counted():
        with next_morning(), CaptureQueriesContext(connection) as context:
            sent = notifications_digest_send()
        return sent, len(context.captured_queries)

    waiting(2)
    (few, few_queries), (_none, few_again) = counted(), counted()
    Notification.objects.update(emailed_at=None)
    OutboxMessage.objects.all().delete()
    waiting(6)
    Notification.objects.filter(emailed_at__isnull=False).update(emailed_at=None)
    more, more_queries = counted()
    assert (few, more) == (2, 8)
    # Each email is what `message_queue` costs (five queries); the reads stay the same.
    assert more_queries - few_queries == 6 * 5
    _none, many_again = counted()
    assert many_again == few_again


def test_the_morning_email_runs_at_half_past_seven_in_vancouver():
    task = notifications_digest_task.s()
    assert task.validate_datetime(datetime(2026, 11, 19, 14, 30))  # 07:30, UTC-7
    assert not task.validate_datetime(datetime(2026, 11, 19, 14, 0))


# --- The pages where each user chooses ----------------------------------------------------


def test_a_therapist_chooses_in_the_portal(client, therapist):
    client.force_login(therapist.user)
    url = reverse("notifications:portal_preferences")
    form = client.get(url).context["form"]
    assert set(form.fields) == {REQUEST, NotificationKind.APPROVAL_RUNNING_OUT, STATEMENT}
    response = client.post(
        url,
        {
            REQUEST: EmailChoice.AT_ONCE,
            NotificationKind.APPROVAL_RUNNING_OUT: EmailChoice.DIGEST,
            STATEMENT: EmailChoice.NEVER,
            ASSIGNED: EmailChoice.AT_ONCE,  # not a therapist's kind: ignored
        },
    )
    assert response.status_code == 302
    assert email_choices(user=therapist.user)[REQUEST] == EmailChoice.AT_ONCE
    assert not NotificationPreference.objects.filter(kind=ASSIGNED).exists()
    answered(therapist)
    assert OutboxMessage.objects.count() == 1  # at once, from now on


def test_a_staff_member_chooses_in_the_admin(client, colleague):
    client.force_login(colleague)
    url = reverse("notifications:staff_preferences")
    assert set(client.get(url).context["form"].fields) == {ASSIGNED}
    response = client.post(url, {ASSIGNED: EmailChoice.DIGEST, "_submit": "1"})
    assert response.status_code == 302
    assert email_choices(user=colleague) == {ASSIGNED: EmailChoice.DIGEST}
    assert not NotificationPreference.objects.exclude(user=colleague).exists()


def test_a_notification_emailed_at_once_is_not_in_the_next_digest_nor_a_later_one(therapist):
    choose(therapist.user, REQUEST, EmailChoice.AT_ONCE)
    answered(therapist)
    for days in (1, 2):
        with time_machine.travel(timezone.now() + timedelta(days=days), tick=False):
            assert notifications_digest_send() == 0
    assert OutboxMessage.objects.count() == 1


def test_a_user_without_an_address_gets_the_app_only():
    user = UserFactory(email="", is_staff=True)
    choose(user, ASSIGNED, EmailChoice.AT_ONCE)
    notify(user_id=user.pk, kind=ASSIGNED, facts={"by": "Aiko", "count": 1}, link="/admin/")
    assert Notification.objects.filter(user=user).exists()
    assert not OutboxMessage.objects.exists()
