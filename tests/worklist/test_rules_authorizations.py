"""The authorization rules: running out (few sessions left or expiring soon) and a renewal the
payer has not answered."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from backoffice.caseload.services import authorization_extend, authorization_renewal_submit
from backoffice.scheduling.models import AppointmentStatus
from backoffice.worklist.models import Priority, RuleKey, Task, TaskState
from backoffice.worklist.services import rule_run, tasks_mark_done, worklist_event
from tests.factories import AppointmentFactory, AuthorizationFactory
from tests.worklist.conftest import current_tasks, open_subjects, rule

pytestmark = pytest.mark.django_db
RUNNING_OUT = RuleKey.AUTHORIZATION_RUNNING_OUT
UNANSWERED = RuleKey.RENEWAL_UNANSWERED


def completed(authorization, count):
    """`count` completed sessions under the authorization; the last one is returned."""
    appointment = None
    for _ in range(count):
        appointment = AppointmentFactory(
            billing_client=authorization.client,
            therapist=authorization.client.primary_therapist,
            authorization=authorization,
            status=AppointmentStatus.COMPLETED,
        )
    return appointment


def with_sessions_left(left, **fields):
    authorization = AuthorizationFactory(sessions_approved=5, **fields)
    completed(authorization, 5 - left)
    return authorization


# --- Running out --------------------------------------------------------------------------


@pytest.mark.parametrize(("left", "opens"), [(0, True), (2, True), (3, False)])
def test_a_task_opens_when_few_sessions_are_left(left, opens):
    authorization = with_sessions_left(left)
    rule_run(rule(RUNNING_OUT))
    assert open_subjects(RUNNING_OUT) == ({authorization.pk} if opens else set())


def test_few_sessions_left_is_due_at_once_and_high(today):
    authorization = with_sessions_left(2)
    rule_run(rule(RUNNING_OUT))
    task = current_tasks(RUNNING_OUT)[authorization.pk]
    assert (task.due_on, task.priority) == (today, Priority.HIGH)
    assert task.facts == {"left": 2, "until": authorization.valid_until.isoformat()}
    assert authorization.reference_number in task.subject_label
    assert authorization.client.full_name in task.subject_label
    assert "2 sessions left" in rule(RUNNING_OUT).describe(task.facts)


@pytest.mark.parametrize(("days", "opens"), [(30, True), (31, False)])
def test_a_task_opens_a_month_before_the_expiry(today, days, opens):
    authorization = AuthorizationFactory(valid_until=today + timedelta(days=days))
    rule_run(rule(RUNNING_OUT))
    assert open_subjects(RUNNING_OUT) == ({authorization.pk} if opens else set())


def test_an_expiry_is_due_the_day_the_client_turns_red_and_high_from_then(today):
    later = AuthorizationFactory(valid_until=today + timedelta(days=20))
    red = AuthorizationFactory(valid_until=today + timedelta(days=14))
    rule_run(rule(RUNNING_OUT))
    tasks = current_tasks(RUNNING_OUT)
    assert (tasks[later.pk].due_on, tasks[later.pk].priority) == (
        today + timedelta(days=6),
        Priority.NORMAL,
    )
    assert (tasks[red.pk].due_on, tasks[red.pk].priority) == (today, Priority.HIGH)


def test_a_task_found_once_the_client_is_already_red_is_due_today_not_before(today):
    authorization = AuthorizationFactory(valid_until=today + timedelta(days=5))
    rule_run(rule(RUNNING_OUT))
    assert current_tasks(RUNNING_OUT)[authorization.pk].due_on == today


def test_no_task_once_renewal_documents_were_submitted(today):
    with_sessions_left(1, renewal_submitted_at=timezone.now())
    AuthorizationFactory(valid_until=today + timedelta(days=3), renewal_submitted_at=timezone.now())
    rule_run(rule(RUNNING_OUT))
    assert open_subjects(RUNNING_OUT) == set()


def test_no_task_for_an_authorization_not_in_force(today):
    with_sessions_left(1, valid_from=today + timedelta(days=1))
    with_sessions_left(
        1, valid_from=today - timedelta(days=90), valid_until=today - timedelta(days=1)
    )
    rule_run(rule(RUNNING_OUT))
    assert open_subjects(RUNNING_OUT) == set()


def test_a_second_run_does_not_duplicate():
    with_sessions_left(1)
    rule_run(rule(RUNNING_OUT))
    second = rule_run(rule(RUNNING_OUT))
    assert (second.opened, second.ended) == (0, 0)
    assert Task.objects.filter(rule=RUNNING_OUT).count() == 1


def test_an_extension_closes_the_task():
    authorization = with_sessions_left(1)
    rule_run(rule(RUNNING_OUT))
    authorization_extend(authorization=authorization, sessions_approved=12)
    result = rule_run(rule(RUNNING_OUT))
    task = Task.objects.get(rule=RUNNING_OUT)
    assert result.ended == 1
    assert task.state == TaskState.CLOSED
    assert current_tasks(RUNNING_OUT) == {}


def test_submitting_the_renewal_closes_the_task():
    authorization = with_sessions_left(1)
    rule_run(rule(RUNNING_OUT))
    authorization_renewal_submit(authorization=authorization, submitted_at=timezone.now())
    rule_run(rule(RUNNING_OUT))
    assert Task.objects.get(rule=RUNNING_OUT).state == TaskState.CLOSED


def test_a_done_task_whose_cause_returns_opens_a_new_task(superuser):
    authorization = with_sessions_left(2)
    rule_run(rule(RUNNING_OUT))
    tasks_mark_done(tasks=Task.objects.filter(rule=RUNNING_OUT), by=superuser)
    authorization_extend(authorization=authorization, sessions_approved=10)
    rule_run(rule(RUNNING_OUT))
    assert Task.objects.get(rule=RUNNING_OUT).state == TaskState.DONE
    assert current_tasks(RUNNING_OUT) == {}

    completed(authorization, 6)  # 10 approved, 9 used: running low again
    rule_run(rule(RUNNING_OUT))
    assert Task.objects.filter(rule=RUNNING_OUT).count() == 2
    assert open_subjects(RUNNING_OUT) == {authorization.pk}
    assert current_tasks(RUNNING_OUT)[authorization.pk].facts["left"] == 1


def test_a_session_recorded_under_an_authorization_runs_the_rule_for_it():
    authorization = with_sessions_left(3)
    other = with_sessions_left(1)
    session = completed(authorization, 1)
    worklist_event(model_label="scheduling.appointment", pk=session.pk)
    assert open_subjects(RUNNING_OUT) == {authorization.pk}
    assert other.pk not in current_tasks(RUNNING_OUT)


# --- Renewal unanswered -------------------------------------------------------------------


def submitted(today, days_ago, at=time(16)):
    """An authorization whose renewal documents went `days_ago` days ago (Vancouver time)."""
    sent = timezone.make_aware(datetime.combine(today - timedelta(days=days_ago), at))
    return AuthorizationFactory(renewal_submitted_at=sent)


def test_a_renewal_unanswered_for_two_weeks_opens_a_task(today):
    authorization = submitted(today, 14, at=time(23, 30))
    rule_run(rule(UNANSWERED))
    task = current_tasks(UNANSWERED)[authorization.pk]
    assert (task.due_on, task.priority) == (today, Priority.NORMAL)
    assert task.facts == {"submitted": (today - timedelta(days=14)).isoformat()}
    assert authorization.reference_number in task.subject_label
    description = rule(UNANSWERED).describe(task.facts)
    assert "no answer for 14 days" in description
    assert "follow up with the payer" in description


def test_no_task_before_the_payer_had_two_weeks(today):
    submitted(today, 13, at=time(0, 5))
    AuthorizationFactory()  # no renewal submitted
    rule_run(rule(UNANSWERED))
    assert open_subjects(UNANSWERED) == set()


def test_no_task_for_a_renewal_of_an_authorization_long_ended(today):
    authorization = submitted(today, 200)
    authorization.valid_from = today - timedelta(days=400)
    authorization.valid_until = today - timedelta(days=31)
    authorization.save()
    rule_run(rule(UNANSWERED))
    assert open_subjects(UNANSWERED) == set()


def test_a_new_authorization_from_the_payer_closes_the_task(today):
    authorization = submitted(today, 15)
    rule_run(rule(UNANSWERED))
    AuthorizationFactory(
        client=authorization.client,
        payer=authorization.payer,
        valid_from=authorization.valid_until + timedelta(days=1),
        valid_until=authorization.valid_until + timedelta(days=180),
    )
    rule_run(rule(UNANSWERED))
    assert Task.objects.get(rule=UNANSWERED).state == TaskState.CLOSED


def test_a_task_found_late_keeps_the_due_day_of_the_submission(today):
    authorization = submitted(today, 20)
    rule_run(rule(UNANSWERED))
    assert current_tasks(UNANSWERED)[authorization.pk].due_on == today - timedelta(days=6)
    assert "no answer for 20 days" in rule(UNANSWERED).describe(
        current_tasks(UNANSWERED)[authorization.pk].facts
    )


def test_a_second_run_of_the_renewal_rule_does_not_duplicate(today):
    submitted(today, 15)
    rule_run(rule(UNANSWERED))
    second = rule_run(rule(UNANSWERED))
    assert (second.opened, second.ended, second.refreshed) == (0, 0, 0)
    assert Task.objects.filter(rule=UNANSWERED).count() == 1


def test_the_payers_extension_closes_the_task(today):
    authorization = submitted(today, 15)
    rule_run(rule(UNANSWERED))
    authorization_extend(authorization=authorization, sessions_approved=20)
    worklist_event(model_label="caseload.authorization", pk=authorization.pk)
    assert Task.objects.get(rule=UNANSWERED).state == TaskState.CLOSED
    assert current_tasks(UNANSWERED) == {}


def test_a_renewal_unanswered_again_after_an_extension_is_a_new_task(today, superuser):
    authorization = submitted(today, 40)
    rule_run(rule(UNANSWERED))
    tasks_mark_done(tasks=Task.objects.filter(rule=UNANSWERED), by=superuser)
    authorization_extend(authorization=authorization, sessions_approved=20)
    rule_run(rule(UNANSWERED))
    authorization_renewal_submit(
        authorization=authorization, submitted_at=timezone.now() - timedelta(days=15)
    )
    rule_run(rule(UNANSWERED))
    assert Task.objects.filter(rule=UNANSWERED).count() == 2
    assert open_subjects(UNANSWERED) == {authorization.pk}
