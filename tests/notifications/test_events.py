"""Each event notifies the right user once, and no one else (docs/rules.md, Notifications):
a therapist's request answered, a task given to a colleague, an approval at its last session,
a statement sent. Never a therapist about another therapist's client."""

import pytest
from django.db.models import Q
from django.urls import reverse

from backoffice.alerts.services import alerts_last_session_send
from backoffice.caseload.models import ClientStatusAction
from backoffice.caseload.services import client_status_request_decide
from backoffice.notifications.models import Notification, NotificationKind
from backoffice.notifications.services import Notice, notify, notify_each
from backoffice.payouts.models import StatementStatus
from backoffice.payouts.services.sending import statement_send
from backoffice.worklist.models import Task
from backoffice.worklist.services import tasks_assign
from tests.alerts.conftest import with_sessions_left
from tests.factories import (
    ClientFactory,
    ClientStatusRequestFactory,
    StatementLineFactory,
    TaskFactory,
    TherapistFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def notified(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user))


def test_a_key_notifies_a_user_once():
    user = UserFactory()
    first = notify(
        user_id=user.pk,
        kind=NotificationKind.STATEMENT_SENT,
        facts={"month": "2026-10-01"},
        link="/portal/statements/",
        key="statement-sent:1",
    )
    again = notify(
        user_id=user.pk,
        kind=NotificationKind.STATEMENT_SENT,
        facts={"month": "2026-10-01"},
        link="/portal/statements/",
        key="statement-sent:1",
    )
    assert first is not None and again is None
    other = UserFactory()  # the same key is another user's own event
    notify_each(
        notices=[
            Notice(other.pk, NotificationKind.STATEMENT_SENT, {"month": "2026-10-01"}, "/", "k"),
            Notice(other.pk, NotificationKind.STATEMENT_SENT, {"month": "2026-10-01"}, "/", "k"),
        ]
    )
    assert len(notified(user)) == 1 and len(notified(other)) == 1


@pytest.mark.parametrize(
    ("action", "approve", "text"),
    [
        (ClientStatusAction.DEACTIVATE, True, "Your request to deactivate {} was approved."),
        (ClientStatusAction.ACTIVATE, False, "Your request to activate {} was declined."),
    ],
)
def test_an_answered_request_notifies_the_therapist_who_asked(
    therapist, superuser, action, approve, text
):
    client = ClientFactory(primary_therapist=therapist, is_active=action == "deactivate")
    request = ClientStatusRequestFactory(client=client, therapist=therapist, action=action)
    TherapistFactory()  # another therapist
    client_status_request_decide(request=request, approve=approve, by=superuser)

    (notification,) = Notification.objects.all()
    assert notification.user == therapist.user
    assert notification.text() == text.format(client.full_name)
    assert notification.link == reverse("portal:client", args=[client.pk])


def test_a_client_moved_to_another_therapist_is_not_named_to_the_one_who_asked(
    therapist, superuser
):
    client = ClientFactory(primary_therapist=therapist)
    request = ClientStatusRequestFactory(client=client, therapist=therapist)
    client.primary_therapist = TherapistFactory()
    client.save()
    client_status_request_decide(request=request, approve=False, by=superuser)
    assert not Notification.objects.exists()


def test_a_task_given_to_a_colleague_notifies_them_once(superuser, colleague):
    task = TaskFactory()
    tasks_assign(tasks=Task.objects.filter(pk=task.pk), assignee=colleague, by=superuser)
    (notification,) = notified(colleague)
    assert notification.link == reverse("admin:worklist_task_change", args=[task.pk])
    assert notification.text() == f"{superuser.username} assigned you a task."
    # Given again, it was theirs already: nothing new; no one else hears of it.
    tasks_assign(tasks=Task.objects.filter(pk=task.pk), assignee=colleague, by=superuser)
    assert Notification.objects.count() == 1


def test_several_tasks_make_one_notification_and_taking_tasks_makes_none(superuser, colleague):
    for n in range(3):
        TaskFactory(subject_id=n)
    tasks_assign(tasks=Task.objects.all(), assignee=superuser, by=superuser)
    assert not Notification.objects.exists()  # assigned to oneself
    superuser.first_name, superuser.last_name = "Aiko", "Tanaka"
    tasks_assign(tasks=Task.objects.all(), assignee=colleague, by=superuser)
    (notification,) = notified(colleague)
    assert notification.text() == "Aiko Tanaka assigned you 3 tasks."
    assert notification.link == reverse("admin:worklist_task_changelist") + "?assignee=me"
    tasks_assign(tasks=Task.objects.all(), assignee=None, by=colleague)
    assert Notification.objects.count() == 1


def test_an_approval_at_its_last_session_notifies_its_therapist_once_per_cause(therapist):
    authorization = with_sessions_left(therapist, 1)
    other = TherapistFactory()
    with_sessions_left(other, 3)  # not at its last session
    assert alerts_last_session_send() == 1
    assert alerts_last_session_send() == 0

    (notification,) = Notification.objects.all()
    assert notification.user == therapist.user
    assert notification.link == reverse("portal:client", args=[authorization.client_id])
    assert notification.key == f"alerts-last-session:{authorization.pk}:5"
    assert authorization.client.last_name in notification.text()


def test_a_statement_sent_notifies_its_therapist_once(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    statement = StatementLineFactory().statement
    statement_send(statement=statement)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.SENT

    (notification,) = Notification.objects.all()
    assert notification.user_id == statement.therapist.user_id
    assert notification.link == reverse("portal:statements")
    assert notification.key == f"statement-sent:{statement.pk}"
    assert not Notification.objects.filter(~Q(user=statement.therapist.user)).exists()
