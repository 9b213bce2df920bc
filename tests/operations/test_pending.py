"""`manage.py pending`: what waits in the outbox and the queue, what failed, the heartbeat."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from huey.contrib.djhuey import HUEY

from backoffice.messaging.models import Channel, OutboxMessage, OutboxStatus
from backoffice.operations.models import HEARTBEAT_PK, FailedJob, WorkerHeartbeat
from jobs.tasks import outbox_send_task
from tests.factories import OutboxMessageFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 15, 20, 0, tzinfo=UTC)


@pytest.fixture
def waiting(time_machine):
    """Two emails queued 3 and 2 hours ago, an SMS that failed yesterday, one sent (not
    waiting); a retry scheduled in the queue; failed jobs of this week and of last month."""
    time_machine.move_to(NOW, tick=False)
    for hours, channel, status in [
        (3, Channel.EMAIL, OutboxStatus.PENDING),
        (2, Channel.EMAIL, OutboxStatus.PENDING),
        (26, Channel.SMS, OutboxStatus.FAILED),
        (1, Channel.EMAIL, OutboxStatus.SENT),
    ]:
        message = OutboxMessageFactory(channel=channel, status=status)
        OutboxMessage.objects.filter(pk=message.pk).update(created_at=NOW - timedelta(hours=hours))
    outbox_send_task.schedule((message.pk,), eta=NOW + timedelta(minutes=8))
    for days, task in [
        (1, "outbox_send_task"),
        (2, "outbox_send_task"),
        (40, "reminders_send_task"),
    ]:
        FailedJob.objects.create(
            task_name=f"jobs.tasks.{task}",
            task_id=f"{task}-{days}",
            failed_at=NOW - timedelta(days=days),
            exception_type="builtins.OSError",
        )
    WorkerHeartbeat.objects.create(pk=HEARTBEAT_PK, beat_at=NOW - timedelta(seconds=35), beats=1234)
    yield
    HUEY.flush()


def pending(*args) -> str:
    out = StringIO()
    call_command("pending", *args, stdout=out)
    return out.getvalue()


def test_pending_counts_what_waits_for_machines(waiting):
    assert json.loads(pending("--json")) == {
        "outbox": [
            {"channel": "email", "status": "pending", "count": 2, "oldest_age_seconds": 3 * 3600},
            {"channel": "sms", "status": "failed", "count": 1, "oldest_age_seconds": 26 * 3600},
        ],
        "tasks": {"pending": 0, "scheduled": 1},
        "failed_jobs": [
            {"task": "jobs.tasks.outbox_send_task", "count": 2, "last": "2026-12-14T20:00:00+00:00"}
        ],
        "heartbeat": {"age_seconds": 35, "beats": 1234},
    }


def test_pending_for_people(waiting):
    assert pending().splitlines() == [
        "Outbox, not sent yet:",
        "  email  pending           2  oldest 3h 00m ago",
        "  sms    failed            1  oldest 1d 2h ago",
        "Tasks: 0 pending, 1 scheduled",
        "Failed jobs, last 7 days:",
        f"  {'jobs.tasks.outbox_send_task':<48}    2  last 2026-12-14 13:00",
        "Worker heartbeat: 0m 35s ago (1234 beats)",
    ]


def test_nothing_waiting():
    assert pending().splitlines() == [
        "Outbox, not sent yet:",
        "  nothing",
        "Tasks: 0 pending, 0 scheduled",
        "Failed jobs, last 7 days:",
        "  none",
        "Worker heartbeat: never",
    ]
