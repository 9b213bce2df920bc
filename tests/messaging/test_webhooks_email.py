"""The email provider's tracking webhook (Postmark's payloads, through django-anymail's view):
deliveries and bounces recorded on the outbox message; a hard bounce makes the client's
address undeliverable with one task for staff; correcting the address clears it."""

import base64
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from backoffice.caseload.services import client_contact_corrected
from backoffice.messaging.models import Channel, DeliveryStatus, OutboxStatus, Purpose
from backoffice.worklist.models import RuleKey, Task, TaskState
from backoffice.worklist.services import worklist_sweep
from tests.factories import ClientFactory, OutboxMessageFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 5, 10, 12, tzinfo=ZoneInfo("America/Vancouver"))
URL = "/webhooks/anymail/postmark/tracking/"
SECRET = "postmark:tracking-secret"
MESSAGE_ID = "883953f4-6105-42a2-a16a-77a8eac79483"


@pytest.fixture(autouse=True)
def clock(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}
    with time_machine.travel(NOW, tick=False):
        yield


def sent_email(recipient="amelie.roy@example.test"):
    """An email the ESP accepted (Postmark's MessageID recorded by the outbox)."""
    return OutboxMessageFactory(
        channel=Channel.EMAIL,
        recipient=recipient,
        purpose=Purpose.REMINDER,
        status=OutboxStatus.SENT,
        provider_message_id=MESSAGE_ID,
    )


def bounce(kind="HardBounce", email="amelie.roy@example.test"):
    """Postmark's bounce webhook body."""
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": kind,
        "TypeCode": 1 if kind == "HardBounce" else 4096,
        "Name": "Hard bounce" if kind == "HardBounce" else "Soft bounce",
        "Tag": "reminder",
        "MessageID": MESSAGE_ID,
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "office@caseload.example",
        "BouncedAt": "2027-05-10T19:00:00Z",
        "DumpAvailable": True,
        "Inactive": kind == "HardBounce",
        "CanActivate": True,
        "Subject": "Your session",
    }


def delivery():
    """Postmark's delivery webhook body."""
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": MESSAGE_ID,
        "Recipient": "amelie.roy@example.test",
        "Tag": "reminder",
        "DeliveredAt": "2027-05-10T19:00:00Z",
        "Details": "Test delivery webhook details",
        "Metadata": {},
    }


def post(client, body, *, secret=SECRET):
    headers = {}
    if secret:
        headers["Authorization"] = "Basic " + base64.b64encode(secret.encode()).decode()
    return client.post(URL, body, content_type="application/json", headers=headers)


def test_a_delivery_is_recorded(client):
    message = sent_email()
    assert post(client, delivery()).status_code == 200
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.DELIVERED
    assert message.delivery_reported_at == NOW


def test_a_hard_bounce_makes_the_address_undeliverable_with_one_task(
    client, django_capture_on_commit_callbacks
):
    person = ClientFactory(email="Amelie.Roy@example.test", first_name="Amélie", last_name="Roy")
    sibling = ClientFactory(email="amelie.roy@example.test")  # a family shares the address
    other = ClientFactory(email="someone.else@example.test")
    message = sent_email()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, bounce()).status_code == 200
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.BOUNCED
    assert "bounced" in message.delivery_error
    for row in (person, sibling, other):
        row.refresh_from_db()
    assert person.email_undeliverable_at == NOW
    assert sibling.email_undeliverable_at == NOW
    assert other.email_undeliverable_at is None
    tasks = Task.objects.filter(rule=RuleKey.EMAIL_UNDELIVERABLE, state=TaskState.OPEN)
    assert sorted(tasks.values_list("subject_id", flat=True)) == sorted([person.pk, sibling.pk])
    with django_capture_on_commit_callbacks(execute=True):  # the ESP calls again
        post(client, bounce())
    worklist_sweep()
    assert tasks.count() == 2


def test_a_soft_bounce_leaves_the_address_in_use(client, django_capture_on_commit_callbacks):
    person = ClientFactory(email="amelie.roy@example.test")
    message = sent_email()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, bounce(kind="SoftBounce"))
    message.refresh_from_db()
    person.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.UNDELIVERED
    assert person.email_undeliverable_at is None


def test_the_webhook_secret_is_required(client, django_capture_on_commit_callbacks):
    person = ClientFactory(email="amelie.roy@example.test")
    message = sent_email()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, bounce(), secret=None).status_code == 400
        assert post(client, bounce(), secret="postmark:guessed").status_code == 400
    message.refresh_from_db()
    person.refresh_from_db()
    assert message.delivery_status == ""
    assert person.email_undeliverable_at is None


def test_correcting_the_address_clears_the_mark_and_ends_the_task(
    client, django_capture_on_commit_callbacks
):
    person = ClientFactory(email="amelie.roy@example.test", phone="604-555-0142")
    sent_email()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, bounce())
    person.refresh_from_db()
    person.phone_undeliverable_at = NOW - timedelta(days=3)
    person.email = "amelie.roy@example.org"
    with django_capture_on_commit_callbacks(execute=True):
        person.save()
        client_contact_corrected(client=person, changed_fields=["email"])
    person.refresh_from_db()
    assert person.email_undeliverable_at is None
    assert person.phone_undeliverable_at is not None  # the phone was not corrected
    [task] = Task.objects.filter(rule=RuleKey.EMAIL_UNDELIVERABLE)
    assert task.state == TaskState.CLOSED
    assert person.history.first().history_change_reason == "Contact corrected"


def test_staff_correcting_the_address_on_the_clients_page_clears_the_mark(
    admin_client, django_capture_on_commit_callbacks
):
    person = ClientFactory(email="amelie.roy@example.test")
    sent_email()
    with django_capture_on_commit_callbacks(execute=True):
        post(admin_client, bounce())
    url = reverse("admin:caseload_client_change", args=[person.pk])
    page = admin_client.get(url).context
    form = page["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    for inline in page["inline_admin_formsets"]:
        management = inline.formset.management_form
        data |= {
            management[name].html_name: management[name].value()
            for name in ("TOTAL_FORMS", "INITIAL_FORMS")
        }
    data["address"] = "12 Example Road"  # another change: the mark stays
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, data).status_code == 302
    person.refresh_from_db()
    assert person.email_undeliverable_at == NOW
    data["email"] = "amelie.roy@example.org"
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, data).status_code == 302
    person.refresh_from_db()
    assert person.email_undeliverable_at is None
    assert Task.objects.get(rule=RuleKey.EMAIL_UNDELIVERABLE).state == TaskState.CLOSED
