"""The task list: opens on open tasks, filters by rule, assignee, due, subject and state; mark
done with a note and assign several at once; never added or deleted by hand."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.worklist.models import RuleKey, RunKind, Task, TaskState
from backoffice.worklist.services import rule_run, run_report_record
from tests.factories import TaskFactory, UserFactory
from tests.worklist.conftest import rule

pytestmark = pytest.mark.django_db
TASKS = reverse("admin:worklist_task_changelist")


def listed(client, query=""):
    return {task.pk for task in client.get(f"{TASKS}?{query}").context["cl"].result_list}


def test_the_list_opens_on_open_tasks_and_filters_them(admin_client, superuser):
    today = timezone.localdate()
    mine = TaskFactory(assignee=superuser, due_on=today - timedelta(days=2))
    later = TaskFactory(due_on=today + timedelta(days=20))
    done = TaskFactory(state=TaskState.DONE, done_at=timezone.now())
    overdue_invoice = TaskFactory(
        rule=RuleKey.INVOICE_OVERDUE,
        facts={"number": "INV-2026-000007", "open": "80.00", "due": today.isoformat()},
    )
    assert listed(admin_client) == {mine.pk, later.pk, overdue_invoice.pk}
    assert listed(admin_client, "state=done") == {done.pk}
    assert listed(admin_client, "assignee=me") == {mine.pk}
    assert listed(admin_client, "assignee=nobody") == {later.pk, overdue_invoice.pk}
    assert listed(admin_client, "due=overdue") == {mine.pk}
    assert listed(admin_client, "due=later") == {later.pk}
    assert listed(admin_client, f"rule__exact={RuleKey.INVOICE_OVERDUE}") == {overdue_invoice.pk}
    assert listed(admin_client, "subject=invoice") == {overdue_invoice.pk}


def test_mark_done_asks_for_a_note_then_marks_the_picked_tasks(admin_client, superuser):
    picked, other = TaskFactory(), TaskFactory()
    asked = admin_client.post(TASKS, {"action": "mark_done", "_selected_action": [picked.pk]})
    assert asked.status_code == 200
    assert Task.objects.get(pk=picked.pk).state == TaskState.OPEN  # the page only asks
    admin_client.post(
        TASKS,
        {
            "action": "mark_done",
            "_selected_action": [picked.pk],
            "note": "Left a voicemail.",
            "_apply": "1",
        },
    )
    picked.refresh_from_db()
    assert (picked.state, picked.done_by, picked.done_note) == (
        TaskState.DONE,
        superuser,
        "Left a voicemail.",
    )
    assert Task.objects.get(pk=other.pk).state == TaskState.OPEN
    assert picked.history.first().history_user == superuser


def test_assign_to_me_takes_the_picked_tasks(admin_client, superuser):
    task = TaskFactory()
    admin_client.post(TASKS, {"action": "assign_to_me", "_selected_action": [task.pk]})
    assert Task.objects.get(pk=task.pk).assignee == superuser


def test_tasks_are_never_added_or_deleted_by_hand(admin_client):
    task = TaskFactory()
    assert admin_client.get(reverse("admin:worklist_task_add")).status_code == 403
    admin_client.post(reverse("admin:worklist_task_delete", args=[task.pk]), {"post": "yes"})
    assert Task.objects.filter(pk=task.pk).exists()


def test_a_run_problems_task_lists_the_problems_on_its_page(admin_client):
    report = run_report_record(
        kind=RunKind.STATEMENTS,
        month=timezone.localdate().replace(day=1),
        problems=["Jordan Lee: no rate in force for Session on 2026-11-02."],
    )
    rule_run(rule(RuleKey.RUN_PROBLEMS), subject_ids=[report.pk])
    task = Task.objects.get(rule=RuleKey.RUN_PROBLEMS)
    page = admin_client.get(reverse("admin:worklist_task_change", args=[task.pk]))
    assert "Jordan Lee: no rate in force" in page.content.decode()


def test_finance_can_act_on_tasks_and_read_only_staff_cannot(client, roles):
    task = TaskFactory()
    reader = UserFactory(is_staff=True)
    reader.groups.add(roles["read-only"])
    client.force_login(reader)
    assert client.get(TASKS).status_code == 200
    client.post(TASKS, {"action": "assign_to_me", "_selected_action": [task.pk]})
    client.post(
        reverse("admin:worklist_task_home"), {"_selected_action": [task.pk], "operation": "done"}
    )
    assert Task.objects.get(pk=task.pk).state == TaskState.OPEN
    assert Task.objects.get(pk=task.pk).assignee is None

    finance = UserFactory(is_staff=True)
    finance.groups.add(roles["finance"])
    client.force_login(finance)
    client.post(
        reverse("admin:worklist_task_home"), {"_selected_action": [task.pk], "operation": "done"}
    )
    assert Task.objects.get(pk=task.pk).state == TaskState.DONE
