"""Every message is an outbox row first; sending retries with backoff; nothing twice
(docs/quality.md, Outbox)."""

import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
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
def test_provider_down_is_retried_with_exponential_backoff():
    message = OutboxMessageFactory()
    down = mock.patch(
        "django.core.mail.EmailMessage.send", side_effect=smtplib.SMTPServerDisconnected("down")
    )
    delays = []
    with down:
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
    assert "SMTPServerDisconnected" in message.last_error


def test_a_retry_waits_for_its_time():
    message = OutboxMessageFactory(
        status=OutboxStatus.PENDING, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert outbox_send(message_id=message.pk).status is None
    assert mail.outbox == []


def test_timeout_then_success_sends_exactly_once():
    message = OutboxMessageFactory()
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=TimeoutError("slow")):
        assert outbox_send(message_id=message.pk).status == OutboxStatus.PENDING
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox_send(message_id=message.pk).status == OutboxStatus.SENT
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "error",
    [
        AnymailRecipientsRefused("refused"),
        AnymailAPIError("bad request", status_code=400),
    ],
)
def test_permanent_errors_fail_at_once(error):
    message = OutboxMessageFactory()
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=error):
        result = outbox_send(message_id=message.pk)
    assert result.status == OutboxStatus.FAILED
    assert result.retry_at is None


def test_esp_server_error_is_transient():
    message = OutboxMessageFactory()
    with mock.patch(
        "django.core.mail.EmailMessage.send", side_effect=AnymailAPIError("oops", status_code=503)
    ):
        assert outbox_send(message_id=message.pk).status == OutboxStatus.PENDING


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


def test_the_sweep_leaves_fresh_and_failed_messages_alone():
    OutboxMessageFactory()
    OutboxMessageFactory(status=OutboxStatus.FAILED)
    assert outbox_due_ids() == []


def test_staff_retry_requeues_only_failed_messages(django_capture_on_commit_callbacks):
    failed = OutboxMessageFactory(status=OutboxStatus.FAILED, attempt_count=6)
    sent = OutboxMessageFactory(status=OutboxStatus.SENT)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_retry(message_ids=[failed.pk, sent.pk]) == 1
    failed.refresh_from_db()
    assert failed.status == OutboxStatus.SENT
    assert len(mail.outbox) == 1


def test_failures_log_no_recipient_or_text(caplog):
    message = OutboxMessageFactory(
        recipient="secret-client@example.test", body_text="Séance de thérapie"
    )
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("unreachable")):
        outbox_send(message_id=message.pk)
    assert "secret-client" not in caplog.text
    assert "thérapie" not in caplog.text
