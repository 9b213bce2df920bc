"""SMS transports: the console keeps messages on disk; Vonage statuses split permanent/transient.

Vonage is mocked only at the HTTP edge (requests.Session.request).
"""

import json
from unittest import mock

import pytest
import requests

from backoffice.messaging.models import Channel, OutboxStatus
from backoffice.messaging.services import outbox_send
from backoffice.messaging.transports import (
    ConsoleSmsTransport,
    PermanentError,
    TransientError,
    VonageSmsTransport,
)
from tests.factories import OutboxMessageFactory


@pytest.fixture
def vonage_settings(settings):
    settings.SMS_TRANSPORT = "vonage"
    settings.VONAGE_API_KEY = "key"
    settings.VONAGE_API_SECRET = "secret"
    settings.VONAGE_FROM = "Caseload"


def vonage_answer(status_code=200, sms_status="0"):
    response = requests.Response()
    response.status_code = status_code
    response.headers["Content-Type"] = "application/json"
    body = {
        "message-count": "1",
        "messages": [
            {
                "status": sms_status,
                "message-id": "abc123",
                "to": "16045550100",
                "error-text": "" if sms_status == "0" else "rejected",
            }
        ],
    }
    response._content = json.dumps(body).encode()
    return response


def send_with(answer):
    with mock.patch("requests.Session.request", side_effect=[answer]) as request:
        message_id = VonageSmsTransport().send(
            to="+16045550100", body="Rappel: rendez-vous", reference=7
        )
    return message_id, request


def test_console_transport_writes_the_sms_to_disk(settings, tmp_path):
    settings.SMS_LOG_PATH = tmp_path / "sms.log"
    ConsoleSmsTransport().send(to="+16045550100", body="Rappel: rendez-vous à 10 h", reference=7)
    assert "+16045550100\tRappel: rendez-vous à 10 h" in settings.SMS_LOG_PATH.read_text()


def test_vonage_accepts_and_returns_the_message_id(vonage_settings):
    message_id, request = send_with(vonage_answer())
    assert message_id == "abc123"
    sent = request.call_args.kwargs
    assert sent["url"].endswith("/sms/json")
    assert sent["data"]["to"] == "16045550100"
    assert sent["data"]["type"] == "unicode"


@pytest.mark.parametrize("status", ["1", "5"])
def test_vonage_throttling_and_internal_errors_are_transient(vonage_settings, status):
    with pytest.raises(TransientError):
        send_with(vonage_answer(sms_status=status))


@pytest.mark.parametrize("status", ["3", "4", "6", "15", "29"])
def test_vonage_bad_number_content_or_credentials_are_permanent(vonage_settings, status):
    with pytest.raises(PermanentError):
        send_with(vonage_answer(sms_status=status))


def test_vonage_http_5xx_and_timeouts_are_transient(vonage_settings):
    with pytest.raises(TransientError):
        send_with(vonage_answer(status_code=503))
    with (
        mock.patch("requests.Session.request", side_effect=requests.Timeout()),
        pytest.raises(TransientError),
    ):
        VonageSmsTransport().send(to="+16045550100", body="x", reference=7)


def test_vonage_http_401_is_permanent(vonage_settings):
    with pytest.raises(PermanentError):
        send_with(vonage_answer(status_code=401))


@pytest.mark.django_db
def test_an_sms_outbox_row_goes_through_vonage(vonage_settings):
    message = OutboxMessageFactory(channel=Channel.SMS, recipient="+16045550100")
    with mock.patch("requests.Session.request", side_effect=[vonage_answer()]):
        assert outbox_send(message_id=message.pk).status == OutboxStatus.SENT
    message.refresh_from_db()
    assert message.provider_message_id == "abc123"
