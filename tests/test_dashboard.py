"""The staff home: the worklist (my tasks, every open task, counts per rule; mark done and
assign several at once) and the clinic's day, each figure linking to the list behind it."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.scheduling.models import AppointmentStatus
from backoffice.worklist.models import RuleKey, Task, TaskState
from backoffice.worklist.services import worklist_sweep
from tests.factories import (
    AppointmentFactory,
    AuthorizationFactory,
    BadFitEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
HOME = reverse("admin:index")


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel("2026-11-18 09:00 -07:00", tick=False):
        yield


def at(day, hour):
    starts = timezone.make_aware(datetime.combine(day, time(hour)))
    return {"starts_at": starts, "ends_at": starts + timedelta(minutes=50)}


def clinic():
    """A day of sessions, a client on the Bad Fit list, an authorization running out (its
    client red), and the worklist swept."""
    today = timezone.localdate()
    AppointmentFactory(**at(today, 8), status=AppointmentStatus.COMPLETED)
    AppointmentFactory(**at(today, 23), status=AppointmentStatus.SCHEDULED)
    AppointmentFactory(**at(today + timedelta(days=1), 1), status=AppointmentStatus.SCHEDULED)
    AppointmentFactory(**at(today + timedelta(days=1), 10), status=AppointmentStatus.CANCELLED)
    BadFitEntryFactory(notes="Prefers evenings.")
    running_out = AuthorizationFactory(sessions_approved=1)
    worklist_sweep()
    return running_out


def test_the_clinics_day_figures_link_to_the_lists_that_show_them(admin_client):
    clinic()
    day = admin_client.get(HOME).context["clinic_day"]
    completed = next(s for s in day["today"] if s["label"] == AppointmentStatus.COMPLETED.label)
    assert (day["today_total"], completed["value"], day["tomorrow"]) == (2, 1, 1)
    for href, shown in [
        (day["today_url"], day["today_total"]),
        (completed["href"], 1),
        (day["red_url"], 1),
        (day["red_therapists"][0]["href"], day["red_therapists"][0]["count"]),
        (day["bad_fit_url"], len(day["bad_fit"])),
    ]:
        assert len(admin_client.get(href).context["cl"].result_list) == shown, href
    assert day["bad_fit"][0].notes == "Prefers evenings."


def test_the_home_lists_open_tasks_with_counts_per_rule(admin_client, superuser):
    authorization = clinic()
    Task.objects.filter(rule=RuleKey.BAD_FIT_CALL).update(assignee=superuser)
    worklist = admin_client.get(HOME).context["worklist"]
    assert [row["task"].rule for row in worklist["mine"]] == [RuleKey.BAD_FIT_CALL]
    assert {row["task"].subject_id for row in worklist["all"]} >= {authorization.pk}
    counts = {rule["count"].rule: rule["count"].open for rule in worklist["rules"]}
    assert counts == {RuleKey.BAD_FIT_CALL: 1, RuleKey.AUTHORIZATION_RUNNING_OUT: 1}
    listed = admin_client.get(next(r["href"] for r in worklist["rules"]))
    assert len(listed.context["cl"].result_list) == 1


def test_a_finance_user_sees_the_billing_rules_first(client, roles):
    finance = UserFactory(is_staff=True)
    finance.groups.add(roles["finance"])
    today = timezone.localdate()
    Task.objects.bulk_create(
        Task(
            rule=rule,
            subject_id=1,
            subject_label="x",
            due_on=due,
            facts=facts,
            opened_at=timezone.now(),
        )
        for rule, due, facts in [
            (RuleKey.BAD_FIT_CALL, today - timedelta(days=3), {"reason": "no-show"}),
            (
                RuleKey.INVOICE_OVERDUE,
                today,
                {"number": "INV-2026-000001", "open": "10.00", "due": today.isoformat()},
            ),
        ]
    )
    client.force_login(finance)
    rows = client.get(HOME).context["worklist"]["all"]
    assert [row["task"].rule for row in rows] == [RuleKey.INVOICE_OVERDUE, RuleKey.BAD_FIT_CALL]


def test_ticked_tasks_are_marked_done_with_a_note_from_the_home(admin_client, superuser):
    clinic()
    ticked = list(Task.objects.values_list("pk", flat=True))
    response = admin_client.post(
        reverse("admin:worklist_task_home"),
        {"_selected_action": ticked, "operation": "done", "note": "Called, renewal asked."},
    )
    assert response.url == HOME
    done = Task.objects.get(pk=ticked[0])
    assert (done.state, done.done_by, done.done_note) == (
        TaskState.DONE,
        superuser,
        "Called, renewal asked.",
    )
    assert admin_client.get(HOME).context["worklist"]["all"] == []


def test_ticked_tasks_are_taken_from_the_home(admin_client, superuser):
    clinic()
    ticked = list(Task.objects.values_list("pk", flat=True))
    admin_client.post(
        reverse("admin:worklist_task_home"), {"_selected_action": ticked, "operation": "mine"}
    )
    assert set(Task.objects.values_list("assignee", flat=True)) == {superuser.pk}


def test_assign_to_opens_the_task_lists_form_for_the_ticked_tasks(admin_client):
    clinic()
    colleague = UserFactory(is_staff=True, first_name="Nadia", last_name="Haddad")
    ticked = list(Task.objects.values_list("pk", flat=True))
    task_list = reverse("admin:worklist_task_changelist")
    page = admin_client.post(task_list, {"_selected_action": ticked, "action": "assign"})
    assert "Nadia Haddad" in page.content.decode()
    assert not Task.objects.filter(assignee__isnull=False).exists()  # the page only asks
    admin_client.post(
        task_list,
        {"_selected_action": ticked, "action": "assign", "assignee": colleague.pk, "_apply": "1"},
    )
    assert set(Task.objects.values_list("assignee", flat=True)) == {colleague.pk}


def test_nothing_ticked_changes_nothing_and_says_so(admin_client):
    clinic()
    response = admin_client.post(reverse("admin:worklist_task_home"), {"operation": "done"})
    assert "Tick the tasks first." in [str(m) for m in get_messages(response.wsgi_request)]
    assert not Task.objects.exclude(state=TaskState.OPEN).exists()


def test_the_home_page_makes_the_same_queries_with_more_history(admin_client):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(HOME).status_code == 200
        return len(captured)

    clinic()
    admin_client.get(HOME)  # the session's first request stamps it (backoffice.middleware)
    small = queries()
    for _ in range(3):
        clinic()
    AppointmentFactory.create_batch(20, status=AppointmentStatus.COMPLETED)
    assert queries() == small <= 10
