"""The worker's heartbeat and the record of failed jobs (names and exception types only)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from backoffice.operations.models import FailedJob, WorkerHeartbeat
from backoffice.operations.services import failed_jobs_purge, worker_heartbeat_record
from jobs import tasks
from tests.operations.failing import client_lookup_task

NOW = datetime(2026, 12, 15, 20, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_the_heartbeat_task_counts_each_beat(time_machine):
    time_machine.move_to(NOW, tick=False)
    tasks.worker_heartbeat_task()
    time_machine.move_to(NOW + timedelta(minutes=1), tick=False)
    tasks.worker_heartbeat_task()
    beat = WorkerHeartbeat.objects.get()
    assert (beat.pk, beat.beats, beat.beat_at) == (1, 2, NOW + timedelta(minutes=1))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_beats_at_once_are_all_counted():
    """Two consumers beating at the same moment, the first beat ever among them."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL")
    start = threading.Barrier(4)

    def beat():
        start.wait()
        for _ in range(5):
            worker_heartbeat_record()
        connection.close()

    beaters = [threading.Thread(target=beat) for _ in range(4)]
    for beater in beaters:
        beater.start()
    for beater in beaters:
        beater.join()
    assert WorkerHeartbeat.objects.get().beats == 20


@pytest.mark.django_db
def test_a_failed_task_is_recorded_without_its_arguments_or_message():
    result = client_lookup_task("helene.cote@example.test")
    with pytest.raises(Exception, match="LookupError"):
        result.get()
    failed = FailedJob.objects.get()
    assert failed.task_name == "tests.operations.failing.client_lookup_task"
    assert failed.task_id == result.id
    assert failed.exception_type == "builtins.LookupError"
    assert "helene" not in str(FailedJob.objects.values().get())


@pytest.mark.django_db
def test_failed_jobs_are_kept_ninety_days(time_machine):
    time_machine.move_to(NOW, tick=False)
    for days in (91, 89):
        FailedJob.objects.create(
            task_name="jobs.tasks.outbox_sweep_task",
            task_id=f"task-{days}",
            failed_at=NOW - timedelta(days=days),
            exception_type="builtins.OSError",
        )
    tasks.failed_jobs_retention_task()
    assert failed_jobs_purge() == 0
    assert list(FailedJob.objects.values_list("task_id", flat=True)) == ["task-89"]
