"""An SMS reminder through the outbox and the real VonageSmsTransport to Vonage on loopback
HTTPS, then Vonage's delivery receipt back to Caseload's webhook."""

import pytest

from backoffice.messaging.models import Channel, DeliveryStatus, OutboxStatus, Purpose
from backoffice.messaging.services import message_queue

pytestmark = pytest.mark.django_db


def test_an_sms_goes_through_vonage_and_its_receipt_comes_back(
    vonage_server, client, settings, django_capture_on_commit_callbacks
):
    settings.SMS_TRANSPORT = "vonage"
    with django_capture_on_commit_callbacks(execute=True):
        message = message_queue(
            channel=Channel.SMS,
            recipient="+16045550142",
            body_text="Rappel : séance demain à 14 h. Répondez C ou X.",
            purpose=Purpose.REMINDER,
        )
    [sent] = vonage_server.received
    assert (sent["to"], sent["client-ref"]) == ("16045550142", str(message.pk))
    assert sent["text"] == "Rappel : séance demain à 14 h. Répondez C ou X."
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == (OutboxStatus.SENT, sent["message-id"])
    vonage_server.receipt(client, message_id=sent["message-id"], status="delivered")
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.DELIVERED


def test_an_error_status_fails_the_message_for_good(
    vonage_server, settings, django_capture_on_commit_callbacks
):
    settings.SMS_TRANSPORT = "vonage"
    vonage_server.answer_status = "3"  # invalid parameters: permanent
    with django_capture_on_commit_callbacks(execute=True):
        message = message_queue(
            channel=Channel.SMS, recipient="+16045550142", body_text="Hi", purpose=Purpose.REMINDER
        )
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
