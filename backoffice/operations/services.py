"""Running Caseload: the worker's heartbeat and the record of failed jobs."""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from backoffice.logs import exception_name
from backoffice.operations.models import HEARTBEAT_PK, FailedJob, WorkerHeartbeat

# Failed jobs are kept this long, then the nightly retention job removes them.
FAILED_JOB_RETENTION = timedelta(days=90)


def worker_heartbeat_record() -> None:
    """One beat: the row is created by the first, then counted up in the database (two
    consumers beating at once each add theirs)."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        pk=HEARTBEAT_PK,
        defaults={"beat_at": now, "beats": F("beats") + 1},
        create_defaults={"beat_at": now, "beats": 1},
    )


def failed_job_record(*, task_name: str, task_id: str, error: BaseException) -> FailedJob:
    """A task raised: its name, id and the exception's type (never its message)."""
    return FailedJob.objects.create(
        task_name=task_name,
        task_id=task_id,
        failed_at=timezone.now(),
        exception_type=exception_name(type(error)),
    )


def failed_jobs_purge() -> int:
    """The retention job: failed jobs older than FAILED_JOB_RETENTION go."""
    deleted, _ = FailedJob.objects.filter(
        failed_at__lt=timezone.now() - FAILED_JOB_RETENTION
    ).delete()
    return deleted
