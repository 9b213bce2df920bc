"""Vonage calling Caseload: signed inbound SMS and delivery receipts, replays refused; and the
loopback Vonage peer speaking the SMS API (docs/architecture.md, Receipts and replies)."""

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from vonage import Auth, HttpClientOptions, Vonage
from vonage_http_client.errors import HttpRequestError

from backoffice.messaging.models import (
    Channel,
    DeliveryStatus,
    InboundSms,
    OutboxStatus,
    Purpose,
)
from backoffice.worklist.models import RuleKey, Task
from tests.factories import ClientFactory, OutboxMessageFactory
from tests.peers.vonage import API_KEY, API_SECRET, vonage_signature

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 5, 10, 12, tzinfo=ZoneInfo("America/Vancouver"))
NUMBER = "+16045550142"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def sent_sms(**fields):
    """An SMS reminder the transport handed to Vonage (its message id recorded)."""
    return OutboxMessageFactory(
        **{
            "channel": Channel.SMS,
            "recipient": NUMBER,
            "purpose": Purpose.REMINDER,
            "status": OutboxStatus.SENT,
            "provider_message_id": "0A0000000123ABCD",
            **fields,
        }
    )


def test_a_signed_inbound_sms_is_kept(vonage_server, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = vonage_server.inbound(client, msisdn="16045550142", text="Running late")
    assert response.status_code == 204
    [inbound] = InboundSms.objects.all()
    assert (inbound.sender, inbound.text) == (NUMBER, "Running late")
    assert inbound.received_at == NOW


def test_a_bad_signature_is_refused_and_nothing_kept(vonage_server, client):
    params = vonage_server.signed({"msisdn": "16045550142", "messageId": "A1", "text": "X"})
    params["text"] = "C"  # changed after signing
    assert client.post("/webhooks/vonage/inbound/", params).status_code == 403
    forged = vonage_server.signed(
        {"msisdn": "16045550142", "messageId": "A2", "text": "X"}, secret="not-the-secret"
    )
    assert client.post("/webhooks/vonage/inbound/", forged).status_code == 403
    assert not InboundSms.objects.exists()


def test_an_unsigned_call_is_refused(vonage_server, client):
    params = {"msisdn": "16045550142", "messageId": "A1", "text": "X", "api-key": API_KEY}
    assert client.post("/webhooks/vonage/inbound/", params).status_code == 403
    unsigned_receipt = {"messageId": "0A0000000123ABCD", "status": "delivered"}
    assert client.post("/webhooks/vonage/status/", unsigned_receipt).status_code == 403
    assert not InboundSms.objects.exists()


def test_without_a_signature_secret_every_call_is_refused(vonage_server, client, settings):
    settings.VONAGE_SIGNATURE_SECRET = ""
    response = vonage_server.inbound(client, msisdn="16045550142", text="C")
    assert response.status_code == 403
    assert not InboundSms.objects.exists()


def test_a_get_changes_nothing(vonage_server, client):
    params = vonage_server.signed({"msisdn": "16045550142", "messageId": "A1", "text": "C"})
    assert client.get("/webhooks/vonage/inbound/", params).status_code == 405
    assert not InboundSms.objects.exists()


def test_a_json_post_is_read_like_a_form(vonage_server, client, django_capture_on_commit_callbacks):
    params = vonage_server.signed({"msisdn": "16045550142", "messageId": "J1", "text": "Hi"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/webhooks/vonage/inbound/", params, content_type="application/json")
    assert response.status_code == 204
    assert InboundSms.objects.get().provider_message_id == "J1"


def test_the_same_message_twice_changes_nothing(
    vonage_server, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = vonage_server.inbound(client, msisdn="16045550142", text="Hi", message_id="M1")
        again = vonage_server.inbound(client, msisdn="16045550142", text="Hi", message_id="M1")
    assert (first.status_code, again.status_code) == (204, 204)  # Vonage stops retrying
    assert InboundSms.objects.count() == 1
    assert Task.objects.filter(rule=RuleKey.SMS_FOR_STAFF).count() == 1


def test_a_stale_call_is_refused(vonage_server, client):
    with time_machine.travel(NOW - timedelta(minutes=6), tick=False):
        old = vonage_server.signed({"msisdn": "16045550142", "messageId": "M1", "text": "C"})
    assert client.post("/webhooks/vonage/inbound/", old).status_code == 403
    with time_machine.travel(NOW - timedelta(minutes=4), tick=False):
        recent = vonage_server.signed({"msisdn": "16045550142", "messageId": "M2", "text": "C"})
    assert client.post("/webhooks/vonage/inbound/", recent).status_code == 204
    assert list(InboundSms.objects.values_list("provider_message_id", flat=True)) == ["M2"]


def test_a_delivered_receipt_is_recorded_on_the_message(vonage_server, client):
    message = sent_sms()
    response = vonage_server.receipt(client, message_id="0A0000000123ABCD", status="delivered")
    assert response.status_code == 204
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.DELIVERED
    assert message.delivery_reported_at == NOW
    assert message.delivery_error == ""


def test_a_failed_receipt_is_recorded_and_the_number_stays_in_use(
    vonage_server, client, django_capture_on_commit_callbacks
):
    person = ClientFactory(phone="604-555-0142")
    message = sent_sms()
    with django_capture_on_commit_callbacks(execute=True):
        vonage_server.receipt(
            client, message_id=message.provider_message_id, status="expired", err_code="2"
        )  # absent subscriber, for now
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_error) == (
        DeliveryStatus.UNDELIVERED,
        "expired 2",
    )
    person.refresh_from_db()
    assert person.phone_undeliverable_at is None
    assert not Task.objects.filter(rule=RuleKey.PHONE_UNDELIVERABLE).exists()


def test_a_dead_number_marks_the_clients_phone_and_opens_one_task(
    vonage_server, client, django_capture_on_commit_callbacks
):
    person = ClientFactory(phone="(604) 555-0142")
    other = ClientFactory(phone="604-555-9142")  # the same last digits, another number
    first, second = sent_sms(), sent_sms(provider_message_id="0A0000000456ABCD")
    with django_capture_on_commit_callbacks(execute=True):
        vonage_server.receipt(
            client, message_id=first.provider_message_id, status="failed", err_code="3"
        )
    later = time_machine.travel(NOW + timedelta(hours=1), tick=False)
    with later, django_capture_on_commit_callbacks(execute=True):
        vonage_server.receipt(
            client, message_id=second.provider_message_id, status="rejected", err_code="9"
        )
    person.refresh_from_db()
    other.refresh_from_db()
    assert person.phone_undeliverable_at == NOW  # the first time stays
    assert other.phone_undeliverable_at is None
    [task] = Task.objects.filter(rule=RuleKey.PHONE_UNDELIVERABLE)
    assert (task.subject_id, task.state) == (person.pk, "open")


def test_the_same_receipt_twice_changes_nothing(vonage_server, client):
    message = sent_sms()
    vonage_server.receipt(client, message_id=message.provider_message_id, status="delivered")
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        vonage_server.receipt(client, message_id=message.provider_message_id, status="delivered")
    message.refresh_from_db()
    assert message.delivery_reported_at == NOW
    assert message.history.count() == 2  # created, then the first receipt


def test_a_receipt_settles_a_message_whose_sending_was_never_confirmed(vonage_server, client):
    """The worker handed it over and died before Vonage answered: our reference (client-ref,
    the outbox id) finds it."""
    message = sent_sms(status=OutboxStatus.UNCONFIRMED, provider_message_id="")
    vonage_server.received.append(
        {"to": "16045550142", "message-id": "0B00000000000001", "client-ref": str(message.pk)}
    )
    vonage_server.receipt(client, message_id="0B00000000000001", status="delivered")
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.provider_message_id == "0B00000000000001"
    assert message.delivery_status == DeliveryStatus.DELIVERED


def test_a_receipt_for_no_message_of_ours_changes_nothing(vonage_server, client):
    message = sent_sms()
    email = OutboxMessageFactory(provider_message_id="0A0000000999ABCD")  # an email's id
    assert (
        vonage_server.receipt(client, message_id="0A0000000999ABCD", status="delivered").status_code
        == 204
    )
    for row in (message, email):
        row.refresh_from_db()
        assert row.delivery_status == ""


def test_an_interim_receipt_is_not_recorded(vonage_server, client):
    message = sent_sms()
    vonage_server.receipt(client, message_id=message.provider_message_id, status="accepted")
    message.refresh_from_db()
    assert message.delivery_status == ""


def test_the_signature_is_vonages(settings):
    """The peer signs as Vonage describes it; the SDK helper the webhook uses agrees, for
    each method the dashboard offers (values with & and = included)."""
    params = {"text": "a&b=c", "msisdn": "16045550142", "timestamp": str(int(time.time()))}
    for method in ("md5", "sha1", "sha256", "sha512"):
        auth = Auth(api_key=API_KEY, signature_secret="s3cret", signature_method=method)
        signed = {**params, "sig": vonage_signature(params, "s3cret", method)}
        assert auth.check_signature(signed)


def test_the_peer_speaks_the_sms_api(vonage_server):
    """Through the SDK's own HTTP client, with the REST host pointed at the peer (what
    VonageSmsTransport does once given VONAGE_REST_HOST)."""
    sdk = Vonage(
        Auth(api_key=API_KEY, api_secret=API_SECRET),
        HttpClientOptions(rest_host=vonage_server.host, timeout=5),
    )
    http = sdk.http_client
    form = {"from": "Caseload", "to": "16045550142", "text": "Bonjour", "type": "unicode"}
    answer = http.post(http.rest_host, "/sms/json", form, "basic", "form")
    [sent] = vonage_server.received
    assert answer["messages"][0]["message-id"] == sent["message-id"]
    assert answer["messages"][0]["status"] == "0"
    assert sent["text"] == "Bonjour"
    assert vonage_server.authorizations == [
        Auth(api_key=API_KEY, api_secret=API_SECRET).create_basic_auth_string()
    ]
    vonage_server.answer_status = "3"
    assert (
        http.post(http.rest_host, "/sms/json", form, "basic", "form")["messages"][0]["status"]
        == "3"
    )
    vonage_server.answer_http = 500
    with pytest.raises(HttpRequestError):
        http.post(http.rest_host, "/sms/json", form, "basic", "form")
