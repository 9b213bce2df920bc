"""What running Caseload keeps: the worker's heartbeat and the jobs that failed."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The heartbeat is one row.
HEARTBEAT_PK = 1


class WorkerHeartbeat(models.Model):
    """The periodic job's last beat (one row, pk 1): the health check reads how old it is, the
    production smoke counts the beats. Operational, so no history rows."""

    beat_at = models.DateTimeField(_("last beat"))
    beats = models.PositiveBigIntegerField(_("beats"), default=0)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self):
        return f"{self.beats} beats, last {self.beat_at:%Y-%m-%d %H:%M:%S}"


class FailedJob(models.Model):
    """A task that raised. Its arguments and the exception's message are not kept: they can
    name a client (a recipient, a DETAIL line of the database)."""

    task_name = models.CharField(_("task"), max_length=200)
    task_id = models.CharField(_("task id"), max_length=64)
    failed_at = models.DateTimeField(_("failed"), db_index=True)
    exception_type = models.CharField(_("exception type"), max_length=200)

    class Meta:
        ordering = ["-failed_at"]
        verbose_name = _("failed job")
        verbose_name_plural = _("failed jobs")

    def __str__(self):
        return f"{self.task_name} · {self.exception_type}"
