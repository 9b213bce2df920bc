"""Every message is an outbox row first; sending retries with backoff; nothing twice
(docs/quality.md, Outbox)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail.backends.base import BaseEmailBackend
from django.test import override_settings
from django.utils import timezone

from backoffice.messaging.models import Channel, OutboxMessage, OutboxStatus, Purpose
from backoffice.messaging.services import (
    message_queue,
    outbox_due_ids,
    outbox_retry,
    outbox_send,
)
from jobs.tasks import outbox_sweep_task
from tests.factories import OutboxMessageFactory
from tests.peers.smtp import free_port

pytestmark = pytest.mark.django_db


def queue_email(**overrides):
    fields = {
        "channel": Channel.EMAIL,
        "recipient": "hélène@example.test",
        "subject": "Reçu",
        "body_text": "Merci",
        "purpose": Purpose.RECEIPT,
    }
    return message_queue(**{**fields, **overrides})


def test_queued_email_is_sent_once_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = queue_email()
        assert mail.outbox == []
    for callback in callbacks:
        callback()
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.attempt_count == 1
    assert [m.to for m in mail.outbox] == [["hélène@example.test"]]


def test_attachments_come_from_storage(django_capture_on_commit_callbacks, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    path = default_storage.save("invoices/INV-2026-00001.pdf", ContentFile(b"%PDF-1.4 test"))
    with django_capture_on_commit_callbacks(execute=True):
        queue_email(
            attachments=[
                {"name": "INV-2026-00001.pdf", "path": path, "mimetype": "application/pdf"}
            ]
        )
    assert mail.outbox[0].attachments == [
        ("INV-2026-00001.pdf", b"%PDF-1.4 test", "application/pdf")
    ]


def test_the_same_dedupe_key_is_queued_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue_email(dedupe_key="reminder:42:email")
        second = queue_email(dedupe_key="reminder:42:email")
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_sent_message_is_never_sent_again():
    message = OutboxMessageFactory()
    assert outbox_send(message_id=message.pk).status == OutboxStatus.SENT
    assert outbox_send(message_id=message.pk).status is None
    assert len(mail.outbox) == 1


@override_settings(OUTBOX_RETRY_BASE_SECONDS=60, OUTBOX_MAX_ATTEMPTS=3)
def test_provider_down_is_retried_with_exponential_backoff(smtp_server, settings):
    settings.EMAIL_PORT = free_port()  # nothing listens there
    message = OutboxMessageFactory()
    delays = []
    for _attempt in range(3):
        before = timezone.now()
        result = outbox_send(message_id=message.pk)
        if result.retry_at:
            delays.append(round((result.retry_at - before).total_seconds() / 60))
            OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=before)
    message.refresh_from_db()
    assert delays == [1, 2]
    assert message.status == OutboxStatus.FAILED
    assert message.attempt_count == 3
    assert "ConnectionRefusedError" in message.last_error


def test_a_retry_waits_for_its_time():
    message = OutboxMessageFactory(
        status=OutboxStatus.PENDING, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert outbox_send(message_id=message.pk).status is None
    assert mail.outbox == []


def test_the_email_keeps_its_message_id_on_every_attempt(smtp_server):
    message = OutboxMessageFactory()
    smtp_server.answer_data_with = "451 4.3.0 Try again later"
    assert outbox_send(message_id=message.pk).status == OutboxStatus.PENDING
    smtp_server.answer_data_with = None
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox_send(message_id=message.pk).status == OutboxStatus.SENT
    [email] = smtp_server.wait_for(1)
    message.refresh_from_db()
    assert email["Message-ID"] == message.provider_message_id
    assert message.provider_message_id.startswith(f"<outbox-{message.pk}.")


def test_the_provider_message_id_is_kept(postmark_server):
    message = OutboxMessageFactory()
    assert outbox_send(message_id=message.pk).status == OutboxStatus.SENT
    [accepted] = postmark_server.accepted
    message.refresh_from_db()
    assert message.provider_message_id == accepted["MessageID"]
    assert accepted["Metadata"] == {"outbox_message": str(message.pk)}


@pytest.mark.parametrize("answer", ["inactive", "unauthorized"])
def test_permanent_provider_refusals_fail_at_once(postmark_server, answer):
    postmark_server.answer = answer
    message = OutboxMessageFactory()
    result = outbox_send(message_id=message.pk)
    assert result.status == OutboxStatus.FAILED
    assert result.retry_at is None


def test_esp_server_error_is_transient(postmark_server):
    postmark_server.answer = "unavailable"
    message = OutboxMessageFactory()
    assert outbox_send(message_id=message.pk).status == OutboxStatus.PENDING


def test_a_refused_recipient_fails_at_once(smtp_server):
    smtp_server.answer_data_with = "554 5.7.1 Rejected"
    message = OutboxMessageFactory()
    assert outbox_send(message_id=message.pk).status == OutboxStatus.FAILED


def test_a_crash_between_claim_and_send_is_recovered_by_the_sweep():
    old = timezone.now() - timedelta(hours=1)
    crashed = OutboxMessageFactory(
        status=OutboxStatus.SENDING, attempt_count=1, next_attempt_at=old
    )
    lost = OutboxMessageFactory()
    OutboxMessage.objects.filter(pk__in=[crashed.pk, lost.pk]).update(created_at=old)
    outbox_sweep_task.call_local()
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert len(mail.outbox) == 2


def test_a_crash_after_handing_to_the_provider_is_never_sent_again():
    old = timezone.now() - timedelta(hours=1)
    handed = OutboxMessageFactory(
        status=OutboxStatus.SENDING, attempt_count=1, next_attempt_at=old, handed_at=old
    )
    OutboxMessage.objects.filter(pk=handed.pk).update(created_at=old)
    outbox_sweep_task.call_local()
    handed.refresh_from_db()
    assert handed.status == OutboxStatus.UNCONFIRMED
    assert mail.outbox == []


def test_a_stuck_message_on_its_last_attempt_fails_instead_of_looping(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    old = timezone.now() - timedelta(hours=1)
    stuck = OutboxMessageFactory(status=OutboxStatus.SENDING, attempt_count=3, next_attempt_at=old)
    OutboxMessage.objects.filter(pk=stuck.pk).update(created_at=old)
    outbox_sweep_task.call_local()
    stuck.refresh_from_db()
    assert stuck.status == OutboxStatus.FAILED
    assert mail.outbox == []


def test_the_sweep_leaves_fresh_and_failed_messages_alone():
    OutboxMessageFactory()
    OutboxMessageFactory(status=OutboxStatus.FAILED)
    assert outbox_due_ids() == []


def test_staff_retry_requeues_only_failed_and_unconfirmed_messages(
    django_capture_on_commit_callbacks,
):
    failed = OutboxMessageFactory(status=OutboxStatus.FAILED, attempt_count=6)
    unconfirmed = OutboxMessageFactory(status=OutboxStatus.UNCONFIRMED, attempt_count=1)
    sent = OutboxMessageFactory(status=OutboxStatus.SENT)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_retry(message_ids=[failed.pk, unconfirmed.pk, sent.pk]) == 2
    failed.refresh_from_db()
    assert failed.status == OutboxStatus.SENT
    assert len(mail.outbox) == 2


def test_failures_log_no_recipient_or_text(caplog, smtp_server):
    smtp_server.answer_data_with = "550 5.1.1 <secret-client@example.test> unknown"
    message = OutboxMessageFactory(
        recipient="secret-client@example.test", body_text="Séance de thérapie"
    )
    outbox_send(message_id=message.pk)
    assert "secret-client" not in caplog.text
    assert "thérapie" not in caplog.text


def test_an_unexpected_failure_logs_its_type_not_its_text(caplog, settings):
    """An error nobody foresaw can quote the recipient: staff see it on the message, the log
    only its type."""
    settings.EMAIL_BACKEND = "tests.messaging.test_outbox.AddressQuotingBackend"
    message = OutboxMessageFactory(recipient="secret-client@example.test")
    outbox_send(message_id=message.pk)
    message.refresh_from_db()
    assert "secret-client@example.test" in message.last_error
    logged = [record.getMessage() for record in caplog.records]
    assert any("ValueError" in line for line in logged)
    # (the traceback's text is dropped by the production log format: tests/operations/test_logs)
    assert not any("secret-client" in line for line in logged)


class AddressQuotingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ValueError(f"cannot send to {messages[0].to[0]}")
