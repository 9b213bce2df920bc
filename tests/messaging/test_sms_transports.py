"""SMS transports: the console keeps messages on disk; Vonage's statuses split permanent from
transient, through the real SDK to Vonage's SMS API on loopback HTTPS (tests/peers/vonage.py)."""

import pytest

from backoffice.messaging.models import Channel, OutboxStatus
from backoffice.messaging.services import outbox_send
from backoffice.messaging.transports import (
    ConsoleSmsTransport,
    PermanentError,
    TransientError,
    VonageSmsTransport,
)
from tests.factories import OutboxMessageFactory
from tests.peers.faults import SilentServer


def send() -> str:
    return VonageSmsTransport().send(to="+16045550100", body="Rappel : rendez-vous", reference=7)


def test_console_transport_writes_the_sms_to_disk(settings, tmp_path):
    settings.SMS_LOG_PATH = tmp_path / "sms.log"
    ConsoleSmsTransport().send(to="+16045550100", body="Rappel: rendez-vous à 10 h", reference=7)
    assert "+16045550100\tRappel: rendez-vous à 10 h" in settings.SMS_LOG_PATH.read_text()


def test_vonage_accepts_and_returns_the_message_id(vonage_server):
    message_id = send()
    [sent] = vonage_server.received
    assert message_id == sent["message-id"]
    assert (sent["to"], sent["type"], sent["client-ref"]) == ("16045550100", "unicode", "7")
    assert sent["text"] == "Rappel : rendez-vous"


@pytest.mark.parametrize("status", ["1", "5"])
def test_vonage_throttling_and_internal_errors_are_transient(vonage_server, status):
    vonage_server.answer_status = status
    with pytest.raises(TransientError):
        send()


@pytest.mark.parametrize("status", ["3", "4", "6", "15", "29"])
def test_vonage_bad_number_content_or_credentials_are_permanent(vonage_server, status):
    vonage_server.answer_status = status
    with pytest.raises(PermanentError):
        send()


def test_vonage_http_5xx_is_transient(vonage_server):
    vonage_server.answer_http = 503
    with pytest.raises(TransientError):
        send()


def test_vonage_not_answering_is_transient(vonage_server, settings):
    with SilentServer() as silent:
        settings.VONAGE_REST_HOST = f"127.0.0.1:{silent.port}"
        with pytest.raises(TransientError):
            VonageSmsTransport(timeout=1).send(to="+16045550100", body="x", reference=7)


def test_vonage_http_401_is_permanent(vonage_server):
    vonage_server.answer_http = 401
    with pytest.raises(PermanentError):
        send()


@pytest.mark.django_db
def test_an_sms_outbox_row_goes_through_vonage(vonage_server, settings):
    settings.SMS_TRANSPORT = "vonage"
    message = OutboxMessageFactory(channel=Channel.SMS, recipient="+16045550100")
    assert outbox_send(message_id=message.pk).status == OutboxStatus.SENT
    [sent] = vonage_server.received
    message.refresh_from_db()
    assert message.provider_message_id == sent["message-id"]
