"""An authorization runs low as staff record a session: a task appears on the home page, and
staff mark it done there with a note."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.worklist.models import RuleKey, Task, TaskState
from tests.browser.test_booking import row_action
from tests.factories import AppointmentFactory, AuthorizationFactory

pytestmark = pytest.mark.browser


def test_an_authorization_running_low_becomes_a_task_marked_done_from_the_home(
    live_server, superuser_credentials, admin_login, artifacts_dir
):
    authorization = AuthorizationFactory(
        sessions_approved=4,
        client__first_name="Hélène",
        client__last_name="Côté",
        reference_number="WSBC-4471",
    )
    started = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=2)
    for days_ago, status in [(14, "completed"), (0, "scheduled")]:
        AppointmentFactory(
            billing_client=authorization.client,
            therapist=authorization.client.primary_therapist,
            authorization=authorization,
            attendance="online",
            room=None,
            starts_at=started - timedelta(days=days_ago),
            status=status,
        )
    assert not Task.objects.exists()  # three sessions left: nothing to do yet

    page = admin_login(*superuser_credentials)
    page.goto(
        f"{live_server.url}/admin/scheduling/appointment/"
        f"?billing_client__id__exact={authorization.client_id}"
    )
    row_action(page, f"{timezone.localtime(started):%Y-%m-%d %H:%M}", "Complete", "Confirm")

    page.goto(f"{live_server.url}/admin/")
    row = page.locator("#tasks-all tr", has_text="Hélène Côté")
    expect(row).to_contain_text("2 sessions left")
    page.screenshot(path=artifacts_dir / "worklist-home.png", full_page=True)
    row.locator("input[type=checkbox]").check()
    page.fill("#home-tasks input[name=note]", "Asked the therapist for the renewal report.")
    with page.expect_navigation():
        page.click("#home-tasks button[value=done]")

    expect(page.locator(".messagelist, #messages, body")).to_contain_text("1 task marked done.")
    expect(page.locator("#tasks-all")).not_to_contain_text("Hélène Côté")
    task = Task.objects.get(rule=RuleKey.AUTHORIZATION_RUNNING_OUT)
    assert (task.subject_id, task.state, task.done_note) == (
        authorization.pk,
        TaskState.DONE,
        "Asked the therapist for the renewal report.",
    )
    assert task.history.first().history_user.username == superuser_credentials[0]
