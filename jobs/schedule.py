"""Periodic schedules on the clinic's wall clock, each tick run once however many consumers."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage
from redis import RedisError

logger = logging.getLogger(__name__)

# A claimed tick is remembered this long: far past any scheduler's drift, and Redis stays small.
TICK_CLAIM_SECONDS = 3600


def tick_claim(name: str, timestamp: datetime) -> bool:
    """Whether this scheduler enqueues `name`'s tick of this minute. Scaling out adds consumers
    that each run the schedule; on Redis, the first to SET the tick's key NX enqueues it and the
    others skip. The embedded queue (SQLite) has a single consumer and no claims."""
    if not isinstance(HUEY.storage, RedisStorage):
        return True
    key = f"{HUEY.name}:tick:{name}:{timestamp:%Y-%m-%dT%H:%M}"
    try:
        return bool(HUEY.storage.conn.set(key, 1, nx=True, ex=TICK_CLAIM_SECONDS))
    except RedisError:
        # Raising here would stop the consumer's scheduler for good; the queue is down anyway.
        logger.exception("periodic %s not enqueued: the tick could not be claimed", name)
        return False


def clinic_crontab(name: str, **fields: str) -> Callable[[datetime], bool]:
    """Huey's crontab read in Vancouver time: Huey (utc=True) checks schedules on naive UTC.
    `name` (the task's lock name) keys its ticks' claims."""
    matches = crontab(**fields)

    def validate(timestamp: datetime) -> bool:
        return matches(timezone.localtime(timestamp.replace(tzinfo=UTC))) and tick_claim(
            name, timestamp
        )

    return validate
