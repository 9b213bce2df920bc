"""`manage.py pending`: what is waiting (outbox, task queue, failed jobs, the heartbeat)."""

import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from backoffice.operations.selectors import FAILED_JOBS_WINDOW, pending_summary


def _age(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {seconds:02d}s"


class Command(BaseCommand):
    help = (
        "What is waiting: outbox messages not sent yet (by channel and status, with the oldest's "
        "age), tasks pending and scheduled in the queue, failed jobs of the last 7 days, the "
        "worker's heartbeat. --json for machines."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="One JSON object.")

    def handle(self, *args, **options):
        summary = pending_summary()
        now = timezone.now()
        outbox = [
            {
                "channel": row["channel"],
                "status": row["status"],
                "count": row["count"],
                "oldest_age_seconds": int((now - row["oldest"]).total_seconds()),
            }
            for row in summary.outbox
        ]
        heartbeat = summary.heartbeat
        heartbeat_age = int((now - heartbeat.beat_at).total_seconds()) if heartbeat else None
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "outbox": outbox,
                        "tasks": {
                            "pending": summary.tasks_pending,
                            "scheduled": summary.tasks_scheduled,
                        },
                        "failed_jobs": [
                            {
                                "task": row["task_name"],
                                "count": row["count"],
                                "last": row["last"].isoformat(),
                            }
                            for row in summary.failed_jobs
                        ],
                        "heartbeat": {
                            "age_seconds": heartbeat_age,
                            "beats": heartbeat.beats if heartbeat else 0,
                        },
                    },
                    indent=2,
                )
            )
            return
        self.stdout.write("Outbox, not sent yet:")
        for row in outbox:
            self.stdout.write(
                f"  {row['channel']:<6} {row['status']:<12} {row['count']:>6}"
                f"  oldest {_age(row['oldest_age_seconds'])} ago"
            )
        if not outbox:
            self.stdout.write("  nothing")
        self.stdout.write(
            f"Tasks: {summary.tasks_pending} pending, {summary.tasks_scheduled} scheduled"
        )
        self.stdout.write(f"Failed jobs, last {FAILED_JOBS_WINDOW.days} days:")
        for row in summary.failed_jobs:
            last = timezone.localtime(row["last"])
            self.stdout.write(
                f"  {row['task_name']:<48} {row['count']:>4}  last {last:%Y-%m-%d %H:%M}"
            )
        if not summary.failed_jobs:
            self.stdout.write("  none")
        self.stdout.write(
            f"Worker heartbeat: {_age(heartbeat_age)} ago ({heartbeat.beats} beats)"
            if heartbeat
            else "Worker heartbeat: never"
        )
