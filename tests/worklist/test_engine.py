"""How every rule's tasks live: one current task per rule and subject, closed by the system
when the cause goes, a new one when it comes back; runs after events; staff's done and assign."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.scheduling.services.bad_fit import bad_fit_remove
from backoffice.worklist.models import RuleKey, Task, TaskState
from backoffice.worklist.services import (
    rule_run,
    tasks_assign,
    tasks_mark_done,
    worklist_event,
    worklist_sweep,
)
from tests.factories import BadFitEntryFactory, UserFactory
from tests.worklist.conftest import current_tasks, open_subjects, rule

pytestmark = pytest.mark.django_db
BAD_FIT = RuleKey.BAD_FIT_CALL


def test_a_cause_opens_one_task_and_a_second_run_adds_none():
    entry = BadFitEntryFactory()
    first = rule_run(rule(BAD_FIT))
    second = rule_run(rule(BAD_FIT))
    assert (first.opened, second.opened, second.ended) == (1, 0, 0)
    task = Task.objects.get(rule=BAD_FIT)
    assert (task.subject_id, task.state) == (entry.pk, TaskState.OPEN)
    assert task.subject_label == entry.client.full_name
    assert task.history.count() == 1


def test_the_database_refuses_a_second_current_task_for_a_subject():
    BadFitEntryFactory()
    rule_run(rule(BAD_FIT))
    task = Task.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(
            rule=task.rule,
            subject_id=task.subject_id,
            subject_label="again",
            due_on=task.due_on,
            opened_at=timezone.now(),
        )


def test_the_cause_going_closes_the_open_task(superuser):
    entry = BadFitEntryFactory()
    rule_run(rule(BAD_FIT))
    bad_fit_remove(entry=entry, by=superuser, note="Spoke with them.")
    result = rule_run(rule(BAD_FIT))
    task = Task.objects.get()
    assert result.ended == 1
    assert (task.state, task.cause_ended_at is not None) == (TaskState.CLOSED, True)
    assert task.history.first().history_type == "~"


def test_a_done_task_stays_done_while_its_cause_lasts_and_a_new_one_opens_when_it_returns(
    superuser,
):
    entry = BadFitEntryFactory()
    rule_run(rule(BAD_FIT))
    tasks_mark_done(tasks=Task.objects.all(), by=superuser, note="Left a message.")
    rule_run(rule(BAD_FIT))
    assert open_subjects(BAD_FIT) == set()
    assert current_tasks(BAD_FIT)[entry.pk].state == TaskState.DONE

    entry.resolved_at = timezone.now()
    entry.save()
    rule_run(rule(BAD_FIT))
    assert current_tasks(BAD_FIT) == {}
    done = Task.objects.get()
    assert (done.state, done.done_by, done.done_note) == (
        TaskState.DONE,
        superuser,
        "Left a message.",
    )

    entry.resolved_at = None
    entry.save()
    rule_run(rule(BAD_FIT))
    assert Task.objects.count() == 2
    assert open_subjects(BAD_FIT) == {entry.pk}


def test_an_event_runs_the_rule_for_its_subject_only():
    named, other = BadFitEntryFactory(), BadFitEntryFactory()
    worklist_event(model_label="scheduling.badfitentry", pk=named.pk)
    assert open_subjects(BAD_FIT) == {named.pk}
    other.delete()  # a deleted row: the event still ends its task
    worklist_event(model_label="scheduling.badfitentry", pk=named.pk)
    assert open_subjects(BAD_FIT) == {named.pk}


def test_a_committed_save_runs_the_rules_in_the_worker(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        entry = BadFitEntryFactory()
    assert open_subjects(BAD_FIT) == {entry.pk}


def test_a_sweep_runs_every_rule_and_a_second_changes_nothing():
    BadFitEntryFactory.create_batch(3)
    first = worklist_sweep()
    second = worklist_sweep()
    assert first.opened == 3
    assert (second.opened, second.ended, second.refreshed) == (0, 0, 0)


def test_a_rule_run_costs_the_same_queries_for_one_subject_or_many():
    def queries():
        with CaptureQueriesContext(connection) as captured:
            rule_run(rule(BAD_FIT))
        return len(captured)

    rule_run(rule(BAD_FIT))  # the rule's row exists from its first run on
    BadFitEntryFactory()
    small = queries()
    Task.objects.all().delete()
    BadFitEntryFactory.create_batch(20)
    assert queries() == small


def test_an_open_tasks_due_date_never_moves_later_by_itself():
    entry = BadFitEntryFactory()
    rule_run(rule(BAD_FIT))
    Task.objects.update(due_on=timezone.localdate() - timedelta(days=5))
    rule_run(rule(BAD_FIT))
    assert current_tasks(BAD_FIT)[entry.pk].due_on == timezone.localdate() - timedelta(days=5)


def test_staff_assign_open_tasks_and_history_names_them(superuser):
    BadFitEntryFactory.create_batch(2)
    rule_run(rule(BAD_FIT))
    colleague = UserFactory()
    assert tasks_assign(tasks=Task.objects.all(), assignee=colleague, by=superuser) == 2
    task = Task.objects.first()
    assert task.assignee == colleague
    assert task.history.first().history_user == superuser


def test_marking_done_tasks_that_are_not_open_is_refused(superuser):
    BadFitEntryFactory()
    rule_run(rule(BAD_FIT))
    tasks_mark_done(tasks=Task.objects.all(), by=superuser)
    with pytest.raises(ValidationError):
        tasks_mark_done(tasks=Task.objects.all(), by=superuser)
