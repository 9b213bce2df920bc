"""Two workers sweeping at once end with the tasks one sweep writes (docs/quality.md,
periodic jobs once): each rule's row is locked while it runs, the second run waits and then
sees the first's tasks; the partial unique constraint is the last guard."""

import threading

import pytest
from django.db import connection

from backoffice.worklist.models import Task
from backoffice.worklist.services import worklist_sweep
from tests.factories import AuthorizationFactory, BadFitEntryFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks between connections: PostgreSQL")


def causes_without_tasks():
    """Subjects for five tasks; the tasks their saves' events opened are removed, so the
    sweeps find every cause new."""
    BadFitEntryFactory.create_batch(3)
    AuthorizationFactory.create_batch(2, sessions_approved=1)
    Task.history.all().delete()
    Task.objects.all().delete()


def tasks():
    return sorted(Task.objects.values_list("rule", "subject_id", "state", "cause_ended_at"))


def sweeps_at_once(count: int) -> list:
    barrier = threading.Barrier(count, timeout=15)
    outcomes = []

    def sweep():
        try:
            barrier.wait()
            outcomes.append(worklist_sweep())
        except Exception as error:
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_sweeps_at_once_write_what_one_sweep_writes():
    causes_without_tasks()
    outcomes = sweeps_at_once(2)
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert sum(outcome.opened for outcome in outcomes) == Task.objects.count() == 5
    concurrent = tasks()

    worklist_sweep()  # a third, alone, finds nothing to do
    assert tasks() == concurrent


def test_a_sweep_run_twice_gives_the_same_tasks():
    causes_without_tasks()
    first = worklist_sweep()
    after_first = tasks()
    second = worklist_sweep()
    assert first.opened == 5
    assert (second.opened, second.ended, second.refreshed) == (0, 0, 0)
    assert tasks() == after_first
