"""The alert emails (docs/rules.md, Therapists' alerts): the weekly digest and the email at
the last approved session, each once per cause, in the therapist's language, through the
outbox; a constant number of reads whatever the number of therapists."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from backoffice.alerts import services
from backoffice.alerts.services import (
    _last_session_text,
    alerts_digest_send,
    alerts_last_session_send,
    alerts_page_url,
)
from backoffice.caseload.services import authorization_extend, client_deactivate
from backoffice.fields import Language
from backoffice.messaging.models import OutboxMessage, Purpose
from backoffice.scheduling.models import BadFitReason
from backoffice.scheduling.services.attendance import appointment_cancel, appointment_complete
from jobs.tasks import alerts_digest_task
from tests.alerts.conftest import completed, with_sessions_left
from tests.factories import (
    AppointmentFactory,
    BadFitEntryFactory,
    ClientFactory,
    PayerFactory,
    TherapistFactory,
)

pytestmark = pytest.mark.django_db


def emails_to(therapist):
    return list(OutboxMessage.objects.filter(recipient=therapist.email))


# --- Weekly digest ------------------------------------------------------------------------


def test_the_digest_goes_once_to_each_active_therapist_with_alerts(therapist, today, settings):
    settings.SITE_URL = "https://caseload.example/"
    payer = PayerFactory(name="Pacific Mutual", renewal_requirements="Form PM-7.\nA report.")
    authorization = with_sessions_left(therapist, 2, payer=payer, reference_number="PMI-1234")
    BadFitEntryFactory(client=ClientFactory(primary_therapist=therapist))
    quiet = TherapistFactory()
    ClientFactory(primary_therapist=quiet)
    inactive = TherapistFactory(is_active=False)
    with_sessions_left(inactive, 1)

    assert alerts_digest_send() == 1

    (message,) = OutboxMessage.objects.all()
    assert (message.recipient, message.purpose) == (therapist.email, Purpose.NOTIFICATION)
    assert message.dedupe_key == f"alerts-digest:{therapist.pk}:2026-W47"
    assert message.subject == "2 alerts need you this week"
    client = authorization.client
    assert (
        f"- {client.last_name}, {client.first_name}: 2 sessions left "
        "(Pacific Mutual, claim PMI-1234), until " in message.body_text
    )
    assert "What Pacific Mutual asks for a renewal:\n    Form PM-7.\n    A report." in (
        message.body_text
    )
    assert "https://caseload.example/portal/alerts/" in message.body_text
    assert emails_to(quiet) == [] and emails_to(inactive) == []


def test_the_digest_is_written_in_the_therapists_language(today):
    french = TherapistFactory(preferred_language=Language.FRENCH)
    BadFitEntryFactory(
        client=ClientFactory(primary_therapist=french), reason=BadFitReason.TWO_CANCELLATIONS
    )
    english = TherapistFactory(preferred_language=Language.ENGLISH)
    BadFitEntryFactory(
        client=ClientFactory(primary_therapist=english), reason=BadFitReason.TWO_CANCELLATIONS
    )
    assert alerts_digest_send() == 2
    # The reason's label is translated in the catalogue: the text was built in French.
    assert "Deux séances annulées consécutives" in emails_to(french)[0].body_text
    assert "Two cancelled sessions in a row" in emails_to(english)[0].body_text


def test_the_digest_goes_once_a_week(therapist, today):
    with_sessions_left(therapist, 1)
    assert alerts_digest_send() == 1
    assert alerts_digest_send() == 0
    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):  # Sunday
        assert alerts_digest_send() == 0
    with time_machine.travel(timezone.now() + timedelta(days=5), tick=False):  # next Monday
        assert alerts_digest_send() == 1
    assert len(emails_to(therapist)) == 2


def test_the_digest_runs_mondays_at_seven_in_vancouver():
    task = alerts_digest_task.s()
    assert task.validate_datetime(datetime(2026, 11, 23, 14, 0))  # Monday 07:00, UTC-7
    assert not task.validate_datetime(datetime(2026, 11, 23, 15, 0))
    assert not task.validate_datetime(datetime(2026, 11, 24, 14, 0))  # Tuesday


def therapists_with_alerts(count, today):
    for _n in range(count):
        therapist = TherapistFactory()
        with_sessions_left(therapist, 1)
        BadFitEntryFactory(client=ClientFactory(primary_therapist=therapist))


def counted(function, **arguments):
    with CaptureQueriesContext(connection) as context:
        result = function(**arguments)
    return result, len(context.captured_queries)


def test_the_digest_reads_the_same_for_3_or_12_therapists_and_queues_one_row_each(today):
    therapists_with_alerts(3, today)
    few, few_queries = counted(alerts_digest_send)
    _again, few_again = counted(alerts_digest_send)
    therapists_with_alerts(9, today)
    more, more_queries = counted(alerts_digest_send)
    _again, many_again = counted(alerts_digest_send)
    assert (few, more) == (3, 9)
    # Nothing new to send: the same reads at any size (therapists, alerts, dedupe keys).
    assert few_again == many_again == 4
    # Each new email is what `message_queue` costs: its dedupe check, savepoint, row, history
    # row, release. The reads stay those four.
    per_email = 5
    assert few_queries == 4 + 3 * per_email
    assert more_queries == 4 + 9 * per_email


# --- At the last approved session ---------------------------------------------------------


def test_completing_the_session_that_leaves_one_emails_the_therapist_once(
    therapist, superuser, django_capture_on_commit_callbacks
):
    payer = PayerFactory(name="Pacific Mutual", renewal_requirements="Form PM-7.")
    authorization = with_sessions_left(therapist, 2, payer=payer, reference_number="PMI-1")
    sessions = [
        AppointmentFactory(
            billing_client=authorization.client,
            therapist=therapist,
            authorization=authorization,
            starts_at=timezone.now() - timedelta(hours=hours),
        )
        for hours in (3, 2)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        appointment_complete(appointment=sessions[0], by=superuser)
    (message,) = emails_to(therapist)
    assert message.dedupe_key == f"alerts-last-session:{authorization.pk}:5"
    assert message.subject == "An authorization has reached its last approved session"
    assert "1 session left: the next one is the last approved (Pacific Mutual, claim PMI-1)" in (
        message.body_text
    )
    assert "What Pacific Mutual asks for a renewal:\n    Form PM-7." in message.body_text
    client = authorization.client
    assert client.last_name not in message.subject  # names stay out of the subject line

    with django_capture_on_commit_callbacks(execute=True):  # the last one: same cause
        appointment_complete(appointment=sessions[1], by=superuser)
    assert len(emails_to(therapist)) == 1


def test_an_outcome_that_uses_nothing_sends_nothing(
    therapist, superuser, django_capture_on_commit_callbacks
):
    authorization = with_sessions_left(therapist, 2)
    session = AppointmentFactory(
        billing_client=authorization.client,
        therapist=therapist,
        authorization=authorization,
        starts_at=timezone.now() + timedelta(days=3),
    )
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=session, by=superuser)
    assert emails_to(therapist) == []


def test_an_extension_used_up_again_alerts_again(therapist):
    authorization = with_sessions_left(therapist, 1)
    assert alerts_last_session_send() == 1
    assert alerts_last_session_send() == 0
    authorization_extend(authorization=authorization, sessions_approved=8)
    assert alerts_last_session_send() == 0  # 4 left
    completed(authorization, 3)
    assert alerts_last_session_send() == 1
    assert {message.dedupe_key for message in emails_to(therapist)} == {
        f"alerts-last-session:{authorization.pk}:5",
        f"alerts-last-session:{authorization.pk}:8",
    }


def test_only_the_authorizations_named_and_only_active_therapists_and_clients(therapist):
    named = with_sessions_left(therapist, 1)
    other = with_sessions_left(therapist, 0)
    with_sessions_left(therapist, 2)  # running out, not the last session
    assert alerts_last_session_send(authorization_ids=[]) == 0
    assert alerts_last_session_send(authorization_ids=[named.pk]) == 1
    client_deactivate(client=other.client, note="Moved away.")
    inactive = TherapistFactory(is_active=False)
    with_sessions_left(inactive, 1)
    assert alerts_last_session_send() == 0
    assert emails_to(inactive) == []


def test_the_email_is_written_in_the_therapists_language(monkeypatch):
    french = TherapistFactory(preferred_language=Language.FRENCH)
    with_sessions_left(french, 1)
    english = TherapistFactory(preferred_language=Language.ENGLISH)
    with_sessions_left(english, 1)
    written = _last_session_text
    languages = {}

    def noting_the_language(therapist, alert, url):
        languages[therapist.pk] = translation.get_language()
        return written(therapist, alert, url)

    monkeypatch.setattr(services, "_last_session_text", noting_the_language)
    assert alerts_last_session_send() == 2
    assert languages == {french.pk: "fr-ca", english.pk: "en"}


def test_its_reads_do_not_grow_with_the_authorizations(today):
    def last_sessions(count):
        for _n in range(count):
            with_sessions_left(TherapistFactory(), 1)

    last_sessions(2)
    sent, first = counted(alerts_last_session_send)
    _none, again = counted(alerts_last_session_send)
    last_sessions(6)
    more, more_queries = counted(alerts_last_session_send)
    _none, many_again = counted(alerts_last_session_send)
    assert (sent, more) == (2, 6)
    assert again == many_again == 2  # the last sessions, the dedupe keys
    # and the therapists, the in-app notifications (`notify_each`: seven), then each email's row
    assert first == 3 + 7 + 2 * 5
    assert more_queries == 3 + 7 + 6 * 5


def test_the_alerts_page_address_comes_from_site_url(settings):
    settings.SITE_URL = "https://caseload.example"
    assert alerts_page_url() == "https://caseload.example/portal/alerts/"
