"""Fault injection over 200 messages per case, against a real SMTP server on loopback: every
exception ends in a retry or a failure within the attempt limit, nothing is sent twice and
nothing is lost without a word (docs/quality.md, Outbox). The counts print at the end of the
run."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice.messaging.models import Channel, OutboxMessage, OutboxStatus, Purpose
from tests.peers.faults import FaultyEmailBackend, SilentServer, fault_count, worker_rounds
from tests.peers.smtp import free_port

pytestmark = pytest.mark.django_db

MESSAGES = 200


@pytest.fixture
def messages(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 4
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            channel=Channel.EMAIL,
            recipient=f"client-{n}@example.test",
            subject="Rappel",
            body_text="Votre rendez-vous",
            purpose=Purpose.REMINDER,
        )
        for n in range(MESSAGES)
    )
    return list(OutboxMessage.objects.values_list("pk", flat=True))


def received_ids(smtp_server) -> list[str]:
    return [email["X-Caseload-Message"] for email in smtp_server.received]


def statuses(message_ids) -> dict[str, int]:
    rows = OutboxMessage.objects.filter(pk__in=message_ids).values_list("status", flat=True)
    return {status: list(rows).count(status) for status in set(rows)}


def test_provider_down_then_back(messages, smtp_server, settings):
    settings.EMAIL_PORT = free_port()  # nothing listens there: connection refused
    worker_rounds(messages, rounds=2)
    assert statuses(messages) == {OutboxStatus.PENDING: MESSAGES}
    settings.EMAIL_PORT = smtp_server.port
    worker_rounds(messages)
    count = fault_count("provider down, then back", messages, received_ids(smtp_server))
    assert (count.delivered, count.lost, count.doubled) == (MESSAGES, 0, 0)
    assert statuses(messages) == {OutboxStatus.SENT: MESSAGES}


def test_provider_hangs_then_answers(messages, smtp_server, settings):
    settings.EMAIL_TIMEOUT = 0.05
    with SilentServer() as silent:
        settings.EMAIL_PORT = silent.port
        worker_rounds(messages, rounds=1)
        assert len(silent.connections) == MESSAGES
    assert statuses(messages) == {OutboxStatus.PENDING: MESSAGES}
    settings.EMAIL_PORT = smtp_server.port
    worker_rounds(messages)
    count = fault_count(
        "provider hangs (timeout), then answers", messages, received_ids(smtp_server)
    )
    assert (count.delivered, count.lost, count.doubled) == (MESSAGES, 0, 0)


def test_a_temporary_refusal_is_retried(messages, smtp_server):
    smtp_server.answer_data_with = "451 4.3.0 Try again later"
    worker_rounds(messages, rounds=1)
    assert statuses(messages) == {OutboxStatus.PENDING: MESSAGES}
    smtp_server.answer_data_with = None
    worker_rounds(messages)
    count = fault_count("SMTP 451, then accepted", messages, received_ids(smtp_server))
    assert (count.delivered, count.lost, count.doubled) == (MESSAGES, 0, 0)


def test_an_smtp_5xx_fails_at_once(messages, smtp_server):
    smtp_server.answer_data_with = "550 5.1.1 Mailbox unavailable"
    worker_rounds(messages)
    count = fault_count("SMTP 550 (permanent)", messages, received_ids(smtp_server))
    assert (count.delivered, count.lost, count.doubled) == (0, 0, 0)
    assert statuses(messages) == {OutboxStatus.FAILED: MESSAGES}
    assert set(OutboxMessage.objects.values_list("attempt_count", flat=True)) == {1}
    assert "550" in OutboxMessage.objects.get(pk=messages[0]).last_error


def test_an_unmapped_error_is_retried_then_sent(messages, smtp_server, settings):
    settings.EMAIL_BACKEND = "tests.peers.faults.FaultyEmailBackend"
    FaultyEmailBackend.failing = True
    try:
        worker_rounds(messages, rounds=2)
        assert statuses(messages) == {OutboxStatus.PENDING: MESSAGES}
        FaultyEmailBackend.failing = False
        worker_rounds(messages)
    finally:
        FaultyEmailBackend.failing = False
    count = fault_count("ValueError in the client, then fixed", messages, received_ids(smtp_server))
    assert (count.delivered, count.lost, count.doubled) == (MESSAGES, 0, 0)
    assert set(OutboxMessage.objects.values_list("attempt_count", flat=True)) == {3}


def test_an_unmapped_error_that_stays_fails_within_the_attempt_limit(
    messages, smtp_server, settings
):
    settings.EMAIL_BACKEND = "tests.peers.faults.FaultyEmailBackend"
    FaultyEmailBackend.failing = True
    try:
        worker_rounds(messages, rounds=50)
    finally:
        FaultyEmailBackend.failing = False
    count = fault_count("ValueError in the client, for good", messages, received_ids(smtp_server))
    assert (count.delivered, count.lost, count.doubled) == (0, 0, 0)
    assert statuses(messages) == {OutboxStatus.FAILED: MESSAGES}
    assert set(OutboxMessage.objects.values_list("attempt_count", flat=True)) == {4}
    assert "ValueError" in OutboxMessage.objects.get(pk=messages[0]).last_error


def test_a_worker_stopped_mid_send_is_settled_by_the_sweep(messages, smtp_server):
    """Half the workers stopped after handing their message to the provider (it arrived), half
    before (it did not): the first are never sent again, the second are sent once."""
    handed = messages[: MESSAGES // 2]
    stopped = timezone.now() - timedelta(minutes=30)
    OutboxMessage.objects.filter(pk__in=messages).update(
        status=OutboxStatus.SENDING, attempt_count=1, next_attempt_at=stopped
    )
    OutboxMessage.objects.filter(pk__in=handed).update(handed_at=stopped)
    for pk in handed:  # what the provider received before those workers stopped
        smtp_server.received.append({"X-Caseload-Message": str(pk)})
    worker_rounds(messages)
    count = fault_count(
        "worker stopped before / after the provider", messages, received_ids(smtp_server)
    )
    assert (count.delivered, count.lost, count.doubled) == (MESSAGES, 0, 0)
    assert statuses(messages) == {
        OutboxStatus.UNCONFIRMED: MESSAGES // 2,
        OutboxStatus.SENT: MESSAGES // 2,
    }


def test_an_email_provider_unavailable_then_back(messages, postmark_server):
    postmark_server.answer = "unavailable"
    worker_rounds(messages, rounds=1)
    assert statuses(messages) == {OutboxStatus.PENDING: MESSAGES}
    postmark_server.answer = "ok"
    worker_rounds(messages)
    received = [accepted["Metadata"]["outbox_message"] for accepted in postmark_server.accepted]
    count = fault_count("Postmark 503, then accepted", messages, received)
    assert (count.delivered, count.lost, count.doubled) == (MESSAGES, 0, 0)


def test_an_email_provider_refusing_the_address_fails_at_once(messages, postmark_server):
    postmark_server.answer = "inactive"
    worker_rounds(messages)
    count = fault_count("Postmark 422 inactive recipient (permanent)", messages, [])
    assert (count.delivered, count.lost, count.doubled) == (0, 0, 0)
    assert statuses(messages) == {OutboxStatus.FAILED: MESSAGES}
    assert set(OutboxMessage.objects.values_list("attempt_count", flat=True)) == {1}
