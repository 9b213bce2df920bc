import pytest
import time_machine
from django.utils import timezone

from backoffice.worklist.models import Task, TaskState
from backoffice.worklist.rules import RULES


@pytest.fixture(autouse=True)
def wednesday_morning():
    """Rules read today: a fixed Vancouver morning, mid-month."""
    with time_machine.travel("2026-11-18 09:00 -07:00", tick=False):
        yield


@pytest.fixture
def today():
    return timezone.localdate()


def current_tasks(rule_key):
    """The rule's current tasks (open or done while their cause lasts), by subject."""
    return {
        task.subject_id: task
        for task in Task.objects.filter(rule=rule_key, cause_ended_at__isnull=True)
    }


def open_subjects(rule_key):
    return set(
        Task.objects.filter(rule=rule_key, state=TaskState.OPEN).values_list(
            "subject_id", flat=True
        )
    )


def rule(rule_key):
    return RULES[rule_key]
