"""Periodic schedules on the clinic's wall clock."""

from collections.abc import Callable
from datetime import UTC, datetime

from django.utils import timezone
from huey import crontab


def clinic_crontab(**fields: str) -> Callable[[datetime], bool]:
    """Huey's crontab read in Vancouver time: Huey (utc=True) checks schedules on naive UTC."""
    matches = crontab(**fields)

    def validate(timestamp: datetime) -> bool:
        return matches(timezone.localtime(timestamp.replace(tzinfo=UTC)))

    return validate
