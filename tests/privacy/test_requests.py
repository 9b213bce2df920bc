"""A privacy request is due 30 days after it is received; a withdrawal of consent recorded by
staff stops the client's reminders on that channel, through caseload's consent records."""

from datetime import date

import pytest

from backoffice.caseload.models import ConsentMethod, ContactConsent
from backoffice.messaging.models import Channel
from backoffice.privacy.models import PrivacyRequest, RequestKind, WithdrawnChannels
from backoffice.privacy.services import privacy_request_record
from backoffice.reminders.models import ReminderStatus
from backoffice.reminders.services import reminders_plan
from tests.reminders.conftest import clock, local, reminded_client, reminder, session  # noqa: F401

pytestmark = pytest.mark.django_db


def _withdrawal(client, channels: str) -> PrivacyRequest:
    return privacy_request_record(
        request=PrivacyRequest(
            client=client,
            kind=RequestKind.CONSENT_WITHDRAWAL,
            received_on=date(2027, 5, 10),
            received_how=ConsentMethod.EMAIL,
            withdrawn_channels=channels,
        ),
        by=None,
    )


def test_the_answer_is_due_thirty_days_after_the_request_came(clock):  # noqa: F811
    request = _withdrawal(reminded_client(), WithdrawnChannels.SMS)
    assert request.due_on == date(2027, 6, 9)


def test_a_withdrawal_stops_the_reminders_already_planned_on_that_channel(clock):  # noqa: F811
    client = reminded_client()
    appointment = session(local(13, 15), client)
    reminders_plan()
    assert reminder(appointment, client, Channel.EMAIL).status == ReminderStatus.PLANNED

    request = _withdrawal(client, WithdrawnChannels.EMAIL)
    reminders_plan()

    assert reminder(appointment, client, Channel.EMAIL).status == ReminderStatus.SKIPPED
    assert reminder(appointment, client, Channel.SMS).status == ReminderStatus.PLANNED
    consent = ContactConsent.objects.get(client=client)
    assert (consent.channel, consent.given, consent.method) == (
        Channel.EMAIL,
        False,
        ConsentMethod.EMAIL,
    )
    assert consent.note == f"Privacy request #{request.pk}"


def test_both_channels_are_withdrawn_at_once(clock):  # noqa: F811
    client = reminded_client()
    _withdrawal(client, WithdrawnChannels.BOTH)
    client.refresh_from_db()
    assert (client.email_consent, client.sms_consent) == (False, False)
    assert ContactConsent.objects.filter(client=client, given=False).count() == 2
