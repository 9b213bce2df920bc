"""What running Caseload reads: the health check's answers and what is waiting."""

import logging
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Count, Max, Min
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from backoffice.messaging.models import OutboxMessage, OutboxStatus
from backoffice.operations.models import HEARTBEAT_PK, FailedJob, WorkerHeartbeat

logger = logging.getLogger(__name__)

OK = "ok"
FAILING = "failing"
STALE = "stale"
NOT_USED = "not used"
# Without these an instance cannot serve a page: the load balancer should take it out. A queue
# problem (Redis, the worker) is every instance's at once, so it only degrades the answer.
ESSENTIAL_CHECKS = ("database", "storage", "time_zone")
# A name the storage is asked about (S3: a HEAD request); it never needs to exist.
STORAGE_PROBE = "healthz-probe"
# British Columbia kept UTC-7 from 8 March 2026 (docs/architecture.md, "Time"): zone data older
# than the change puts this winter noon in Vancouver at UTC-8.
WINTER_NOON = datetime(2026, 12, 15, 12)
WINTER_OFFSET = timedelta(hours=-7)
REDIS_TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class Health:
    checks: dict[str, str]

    @property
    def status(self) -> str:
        if any(self.checks[name] != OK for name in ESSENTIAL_CHECKS):
            return FAILING
        if any(state not in (OK, NOT_USED) for state in self.checks.values()):
            return "degraded"
        return OK


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return OK


def _redis() -> str:
    if not settings.REDIS_URL:
        return NOT_USED
    with redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    ) as client:
        client.ping()
    return OK


def _storage() -> str:
    default_storage.exists(STORAGE_PROBE)
    return OK


def _worker() -> str:
    age = worker_heartbeat_age()
    if age is not None and age <= timedelta(seconds=settings.WORKER_HEARTBEAT_STALE_SECONDS):
        return OK
    logger.warning("health check worker: last beat %s ago", age)
    return STALE


def _time_zone() -> str:
    zone = zoneinfo.ZoneInfo.no_cache(settings.TIME_ZONE)
    from_package = zoneinfo.TZPATH == ()  # backoffice.zone_data.use_tzdata_package
    if from_package and WINTER_NOON.replace(tzinfo=zone).utcoffset() == WINTER_OFFSET:
        return OK
    logger.warning("health check time_zone: zone data without British Columbia's UTC-7")
    return FAILING


HEALTH_CHECKS: dict[str, Callable[[], str]] = {
    "database": _database,
    "redis": _redis,
    "storage": _storage,
    "worker": _worker,
    "time_zone": _time_zone,
}


def _checked(name: str, check: Callable[[], str]) -> str:
    try:
        return check()
    except Exception:
        logger.exception("health check %s failing", name)
        return FAILING


def health_check() -> Health:
    """Every check's answer; details of a failure go to the log, not into the answer."""
    return Health(checks={name: _checked(name, check) for name, check in HEALTH_CHECKS.items()})


def worker_heartbeat() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.filter(pk=HEARTBEAT_PK).first()


def worker_heartbeat_age() -> timedelta | None:
    """How long ago the worker's periodic job last beat (None: it never has)."""
    heartbeat = worker_heartbeat()
    return timezone.now() - heartbeat.beat_at if heartbeat else None


# Messages not sent yet: waiting or sending, and those waiting for staff (failed, unconfirmed).
OUTBOX_NOT_SENT = [
    OutboxStatus.PENDING,
    OutboxStatus.SENDING,
    OutboxStatus.FAILED,
    OutboxStatus.UNCONFIRMED,
]
FAILED_JOBS_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Pending:
    """What is waiting, for `manage.py pending`."""

    outbox: list[dict]  # channel, status, count, oldest (when the oldest was queued)
    tasks_pending: int
    tasks_scheduled: int
    failed_jobs: list[dict]  # task_name, count, last
    heartbeat: WorkerHeartbeat | None


def pending_summary() -> Pending:
    return Pending(
        outbox=list(
            OutboxMessage.objects.filter(status__in=OUTBOX_NOT_SENT)
            .values("channel", "status")
            .annotate(count=Count("pk"), oldest=Min("created_at"))
            .order_by("channel", "status")
        ),
        tasks_pending=HUEY.pending_count(),
        tasks_scheduled=HUEY.scheduled_count(),
        failed_jobs=list(
            FailedJob.objects.filter(failed_at__gte=timezone.now() - FAILED_JOBS_WINDOW)
            .values("task_name")
            .annotate(count=Count("pk"), last=Max("failed_at"))
            .order_by("-count", "task_name")
        ),
        heartbeat=worker_heartbeat(),
    )
