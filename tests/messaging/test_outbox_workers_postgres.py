"""Real worker processes (Huey consumers on Redis, PostgreSQL): a consumer killed while the
provider takes a message, and two consumers given the same messages, neither lose nor double
a message (docs/quality.md, Outbox). The counts print at the end of the run."""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from huey import PriorityRedisHuey

from backoffice.messaging.models import Channel, OutboxMessage, OutboxStatus, Purpose
from backoffice.messaging.services import outbox_due_ids
from jobs.tasks import outbox_send_task
from tests.peers.faults import fault_count

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MESSAGES = 200


@pytest.fixture(autouse=True)
def postgresql_and_redis():
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("worker processes share the database and the queue: PostgreSQL and Redis")


@pytest.fixture
def queue():
    """A Huey queue of its own on Redis, emptied after the test."""
    huey = PriorityRedisHuey(f"caseload-test-{uuid.uuid4().hex[:8]}", url=settings.REDIS_URL)
    yield huey
    huey.storage.flush_all()


@pytest.fixture
def messages():
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


def consumer(queue, smtp_server, *, workers: int) -> subprocess.Popen:
    """`manage.py run_huey` as production runs it, on this test's database and queue."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "HUEY_NAME": queue.name,
        "HUEY_IMMEDIATE": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--no-periodic", "--workers", str(workers)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def enqueue(queue, message_ids):
    """What a commit's on-commit hook does: one send task per message, on the test's queue."""
    from huey.contrib.djhuey import HUEY

    for message_id in message_ids:
        queue.storage.enqueue(HUEY.serialize_task(outbox_send_task.s(message_id)))


def settled(message_ids) -> bool:
    return not OutboxMessage.objects.filter(
        pk__in=message_ids, status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]
    ).exists()


def wait_until(condition, *, process=None, seconds=60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process is not None and process.poll() is not None:
            return
        assert time.monotonic() < deadline, "the workers did not finish in time"
        time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def leases_expire(message_ids) -> None:
    """The clock moves past the sending lease of messages whose worker died."""
    OutboxMessage.objects.filter(pk__in=message_ids, status=OutboxStatus.SENDING).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    OutboxMessage.objects.filter(pk__in=message_ids).update(
        created_at=timezone.now() - timedelta(minutes=2)
    )


def test_a_consumer_killed_while_the_provider_takes_a_message(messages, queue, smtp_server):
    """Every 50th message the provider receives, the consumer is killed (SIGKILL) before it
    hears back; the sweep settles the one in flight as unconfirmed and sends the rest."""
    kills = []
    worker = None

    def kill_every_fiftieth(_email):
        if len(smtp_server.received) % 50 == 0:
            kills.append(len(smtp_server.received))
            os.kill(worker.pid, signal.SIGKILL)

    smtp_server.handler.on_receive = kill_every_fiftieth
    due = messages
    for _restart in range(10):
        worker = consumer(queue, smtp_server, workers=1)
        enqueue(queue, due)
        wait_until(lambda: settled(messages), process=worker)
        if worker.poll() is None:
            stop(worker)
            break
        worker.wait()
        queue.storage.flush_queue()
        leases_expire(messages)
        due = outbox_due_ids(limit=MESSAGES)
    received = [email["X-Caseload-Message"] for email in smtp_server.received]
    count = fault_count("consumer killed mid-send (SIGKILL), restarted", messages, received)
    assert len(kills) == MESSAGES // 50
    assert (count.delivered, count.lost, count.doubled) == (MESSAGES, 0, 0)
    unconfirmed = OutboxMessage.objects.filter(status=OutboxStatus.UNCONFIRMED).count()
    assert unconfirmed == len(kills)


def test_two_consumers_given_every_message_twice_send_each_once(messages, queue, smtp_server):
    workers = [consumer(queue, smtp_server, workers=2) for _ in range(2)]
    try:
        enqueue(queue, messages + messages)
        wait_until(lambda: settled(messages))
        time.sleep(1)  # the second copies of the tasks find nothing left to send
    finally:
        for worker in workers:
            stop(worker)
    received = [email["X-Caseload-Message"] for email in smtp_server.received]
    count = fault_count("two consumers, every task queued twice", messages, received)
    assert (count.delivered, count.lost, count.doubled) == (MESSAGES, 0, 0)
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
