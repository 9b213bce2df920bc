"""Periodic ticks run once however many consumers run the schedule: on Redis, the scheduler
that claims a tick enqueues it; the embedded queue (one consumer) claims nothing."""

import uuid
from datetime import datetime

import pytest
from django.conf import settings
from huey.contrib.djhuey import HUEY

from jobs import tasks
from jobs.schedule import clinic_crontab

# Huey hands schedules naive UTC. 15:00 UTC on a Monday is 08:00 in Vancouver (UTC-7).
MONDAY_8AM = datetime(2030, 12, 2, 15, 0)
NEXT_MINUTE = datetime(2030, 12, 2, 15, 1)


@pytest.fixture
def redis_queue():
    """The project's queue on Redis, out of the tests' immediate mode (as a consumer runs it);
    the ticks of these minutes forgotten before and after."""
    if not settings.REDIS_URL:
        pytest.skip("tick claims live in Redis: REDIS_URL")
    HUEY.immediate = False

    def forget():
        for minute in (MONDAY_8AM, NEXT_MINUTE):
            keys = HUEY.storage.conn.keys(f"{HUEY.name}:tick:*:{minute:%Y-%m-%dT%H:%M}")
            if keys:
                HUEY.storage.conn.delete(*keys)

    forget()
    yield
    forget()
    HUEY.immediate = True


def test_a_tick_is_claimed_once(redis_queue):
    every_minute = clinic_crontab(f"test-{uuid.uuid4().hex}", minute="*")
    assert every_minute(MONDAY_8AM), "the first scheduler enqueues"
    assert not every_minute(MONDAY_8AM.replace(second=40)), "another, the same minute, does not"
    assert every_minute(NEXT_MINUTE), "the next minute is a tick of its own"


def test_a_time_off_the_schedule_claims_nothing(redis_queue):
    at_twenty_past = clinic_crontab(f"test-{uuid.uuid4().hex}", minute="20")
    assert not at_twenty_past(MONDAY_8AM)
    assert at_twenty_past(MONDAY_8AM.replace(minute=20))


def test_every_periodic_task_claims_its_own_ticks(redis_queue):
    """A name shared by two tasks would let the first one's claim skip the other."""
    periodic = HUEY._registry.periodic_tasks
    HUEY.immediate = True  # no claims: which tasks this minute's schedule holds
    due = [task.name for task in periodic if task.validate_datetime(MONDAY_8AM)]
    HUEY.immediate = False
    assert {"worker_heartbeat_task", "outbox_sweep_task"} <= set(due)
    assert [task.name for task in periodic if task.validate_datetime(MONDAY_8AM)] == due


def test_the_embedded_queue_claims_nothing():
    """One consumer on SQLite (and the tests' immediate mode): every check of a tick holds."""
    assert not settings.REDIS_URL or HUEY.immediate
    heartbeat = tasks.worker_heartbeat_task.s()
    assert heartbeat.validate_datetime(MONDAY_8AM)
    assert heartbeat.validate_datetime(MONDAY_8AM)
