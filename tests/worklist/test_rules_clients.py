"""The client rules: a call to a client on the Bad Fit list, a therapist's request to activate or
deactivate a client."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from backoffice.caseload.models import ClientStatusAction
from backoffice.caseload.services import (
    client_status_request_create,
    client_status_request_decide,
)
from backoffice.scheduling.models import BadFitEntry, BadFitReason
from backoffice.scheduling.services.attendance import appointment_cancel, appointment_no_show
from backoffice.scheduling.services.bad_fit import bad_fit_remove
from backoffice.worklist.models import Priority, RuleKey, Task, TaskState
from backoffice.worklist.services import rule_run, tasks_mark_done, worklist_event
from tests.factories import AppointmentFactory, BadFitEntryFactory, ClientFactory
from tests.worklist.conftest import current_tasks, open_subjects, rule

pytestmark = pytest.mark.django_db
BAD_FIT = RuleKey.BAD_FIT_CALL
REQUEST = RuleKey.CLIENT_STATUS_REQUEST


def session(client, days_from_now):
    return AppointmentFactory(
        billing_client=client,
        therapist=client.primary_therapist,
        starts_at=timezone.now() + timedelta(days=days_from_now),
    )


def ask(client, action=ClientStatusAction.DEACTIVATE, reason="Treatment completed."):
    return client_status_request_create(
        therapist=client.primary_therapist, client=client, action=action, reason=reason
    )


# --- Bad Fit call -------------------------------------------------------------------------


def test_a_no_show_puts_the_client_on_the_list_and_opens_a_call_due_the_next_day(today, superuser):
    client = ClientFactory()
    appointment_no_show(appointment=session(client, -7), by=superuser)
    rule_run(rule(BAD_FIT))
    entry = BadFitEntry.objects.get()
    task = current_tasks(BAD_FIT)[entry.pk]
    assert (task.subject_label, task.due_on, task.priority) == (
        client.full_name,
        today + timedelta(days=1),
        Priority.NORMAL,
    )
    assert task.facts == {"reason": BadFitReason.NO_SHOW}
    assert "call the client" in rule(BAD_FIT).describe(task.facts)


def test_two_cancellations_in_a_row_open_a_call(superuser):
    client = ClientFactory()
    appointment_cancel(appointment=session(client, 7), by=superuser)
    rule_run(rule(BAD_FIT))
    assert open_subjects(BAD_FIT) == set()
    appointment_cancel(appointment=session(client, 14), by=superuser)
    rule_run(rule(BAD_FIT))
    entry = BadFitEntry.objects.get()
    assert open_subjects(BAD_FIT) == {entry.pk}
    assert current_tasks(BAD_FIT)[entry.pk].facts == {"reason": BadFitReason.TWO_CANCELLATIONS}


def test_a_later_trigger_joins_the_entry_and_its_task(superuser):
    client = ClientFactory()
    appointment_no_show(appointment=session(client, -14), by=superuser)
    rule_run(rule(BAD_FIT))
    appointment_no_show(appointment=session(client, -7), by=superuser)
    second = rule_run(rule(BAD_FIT))
    assert (second.opened, second.ended) == (0, 0)
    assert Task.objects.filter(rule=BAD_FIT).count() == 1


def test_removing_the_client_from_the_list_closes_the_call(superuser):
    entry = BadFitEntryFactory()
    rule_run(rule(BAD_FIT))
    bad_fit_remove(entry=entry, by=superuser, note="Spoke with them; staying on.")
    rule_run(rule(BAD_FIT))
    assert Task.objects.get(rule=BAD_FIT).state == TaskState.CLOSED
    assert current_tasks(BAD_FIT) == {}


def test_a_new_entry_after_a_removal_is_a_new_call(superuser):
    client = ClientFactory()
    appointment_no_show(appointment=session(client, -14), by=superuser)
    rule_run(rule(BAD_FIT))
    first = BadFitEntry.objects.get()
    bad_fit_remove(entry=first, by=superuser, note="Phoned.")
    rule_run(rule(BAD_FIT))

    after_removal = session(client, 1)
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        appointment_no_show(appointment=after_removal, by=superuser)
        rule_run(rule(BAD_FIT))
    second = BadFitEntry.objects.exclude(pk=first.pk).get()
    assert Task.objects.filter(rule=BAD_FIT).count() == 2
    assert open_subjects(BAD_FIT) == {second.pk}
    assert Task.objects.get(rule=BAD_FIT, subject_id=first.pk).state == TaskState.CLOSED


def test_a_no_show_committed_opens_the_call_through_its_event(
    superuser, django_capture_on_commit_callbacks
):
    client = ClientFactory()
    with django_capture_on_commit_callbacks(execute=True):
        appointment_no_show(appointment=session(client, -7), by=superuser)
    assert open_subjects(BAD_FIT) == {BadFitEntry.objects.get().pk}


# --- A therapist's request about a client -------------------------------------------------


def test_a_pending_request_opens_a_task_about_the_client_due_the_next_day(today):
    client = ClientFactory()
    ask(client, reason="Moved to Calgary.")
    rule_run(rule(REQUEST))
    task = current_tasks(REQUEST)[client.pk]
    assert (task.subject_label, task.due_on) == (client.full_name, today + timedelta(days=1))
    therapist = client.primary_therapist.full_name
    assert rule(REQUEST).describe(task.facts) == (
        f"{therapist} asks to deactivate the client: Moved to Calgary."
    )


def test_a_second_run_of_the_request_rule_does_not_duplicate():
    ask(ClientFactory())
    rule_run(rule(REQUEST))
    second = rule_run(rule(REQUEST))
    assert (second.opened, second.ended, second.refreshed) == (0, 0, 0)
    assert Task.objects.filter(rule=REQUEST).count() == 1


@pytest.mark.parametrize("approve", [True, False])
def test_deciding_the_request_closes_the_task(superuser, approve):
    client = ClientFactory()
    request = ask(client)
    rule_run(rule(REQUEST))
    client_status_request_decide(request=request, approve=approve, by=superuser)
    worklist_event(model_label="caseload.clientstatusrequest", pk=request.pk)
    assert Task.objects.get(rule=REQUEST).state == TaskState.CLOSED
    assert current_tasks(REQUEST) == {}


def test_a_new_request_after_a_decision_is_a_new_task(superuser):
    client = ClientFactory()
    request = ask(client)
    rule_run(rule(REQUEST))
    tasks_mark_done(tasks=Task.objects.filter(rule=REQUEST), by=superuser)
    client_status_request_decide(request=request, approve=True, by=superuser)
    rule_run(rule(REQUEST))
    ask(client, action=ClientStatusAction.ACTIVATE, reason="Back after a break.")
    rule_run(rule(REQUEST))
    assert Task.objects.filter(rule=REQUEST).count() == 2
    assert open_subjects(REQUEST) == {client.pk}
    assert "asks to activate" in rule(REQUEST).describe(current_tasks(REQUEST)[client.pk].facts)


def test_a_request_committed_opens_its_task_through_its_event(django_capture_on_commit_callbacks):
    client, other = ClientFactory(), ClientFactory()
    ask(other)
    with django_capture_on_commit_callbacks(execute=True):
        ask(client)
    assert open_subjects(REQUEST) == {client.pk}
