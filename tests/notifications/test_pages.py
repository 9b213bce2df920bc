"""The bell and the notification pages: the unread count in the admin's and the portal's
header (one query a page, however often it is shown), the list newest first a page at a time,
following one marks it read and lands on what it is about, mark one or all read; only one's
own notifications (another user's id is a 404); a GET changes nothing."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.notifications.models import Notification, NotificationKind
from backoffice.notifications.selectors import PAGE_SIZE, unread_count
from backoffice.notifications.services import (
    Notice,
    notification_mark_read,
    notifications_mark_all_read,
    notify,
    notify_each,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ASSIGNED = NotificationKind.TASK_ASSIGNED
STATEMENT = NotificationKind.STATEMENT_SENT


def notifications(user, count, kind=STATEMENT, read=False, link="/portal/statements/"):
    facts = {"month": "2026-10-01"} if kind == STATEMENT else {"by": "Nadia", "count": 1}
    made = notify_each(notices=[Notice(user.pk, kind, facts, link)] * count)
    for notification in made if read else []:
        notification_mark_read(notification=notification, user=user)
    return made


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bell_count(page: str) -> str | None:
    marker = "data-notification-count"
    if marker not in page:
        return None
    return page.split(marker, 1)[1].split(">", 1)[1].split("<", 1)[0]


def bell_queries(client, url):
    """The page, and the queries it made on the notification tables."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in queries if 'FROM "notifications_' in q["sql"]]


def test_the_portal_bell_shows_the_therapists_unread_count_with_no_query_of_its_own(therapist):
    notifications(therapist.user, 3)
    notifications(therapist.user, 2, read=True)
    notifications(UserFactory(), 4)  # someone else's
    client = signed_in(therapist.user)
    response, queries = bell_queries(client, reverse("portal:home"))
    assert bell_count(response.content.decode()) == "3"
    assert queries == []  # the count came with the signed-in user
    # The list shows the count again ("Mark all read"): its own page and rows only.
    response, queries = bell_queries(client, reverse("notifications:portal"))
    assert bell_count(response.content.decode()) == "3"
    assert len(queries) == 2


def test_the_admin_bell_shows_a_staff_members_unread_count_with_no_query_of_its_own(
    admin_client, superuser
):
    notifications(superuser, 2, kind=ASSIGNED)
    for url in (reverse("admin:index"), reverse("admin:worklist_task_changelist")):
        response, queries = bell_queries(admin_client, url)
        assert bell_count(response.content.decode()) == "2", url
        assert queries == [], url


def test_the_unread_count_keeps_in_step_with_the_notifications(therapist):
    user = therapist.user

    def shown():
        fresh = type(user).objects.get(pk=user.pk)
        unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
        assert unread_count(user=fresh) == unread
        return unread

    assert shown() == 0
    first, second, _third = notifications(user, 3)
    notify(user_id=user.pk, kind=ASSIGNED, facts={"by": "A", "count": 1}, link="/", key="k")
    notify(user_id=user.pk, kind=ASSIGNED, facts={"by": "A", "count": 1}, link="/", key="k")
    assert shown() == 4
    notification_mark_read(notification=first, user=user)
    notification_mark_read(notification=first, user=user)  # read already: no change
    assert shown() == 3
    notification_mark_read(notification=second, user=UserFactory())  # not theirs: nothing
    assert shown() == 3
    assert notifications_mark_all_read(user=user) == 3
    assert shown() == 0


def test_no_unread_no_number(therapist):
    notifications(therapist.user, 1, read=True)
    page = signed_in(therapist.user).get(reverse("portal:home")).content.decode()
    assert "data-notification-bell" in page
    assert bell_count(page) is None


def test_the_list_is_newest_first_a_page_at_a_time_with_constant_queries(therapist):
    client = signed_in(therapist.user)
    url = reverse("notifications:portal")
    notifications(therapist.user, 3)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    client.get(url)  # the session's expiry is refreshed on the first page
    few = queries()
    older = notifications(therapist.user, PAGE_SIZE + 5)
    newest = notifications(therapist.user, 1, link="/portal/clients/")[0]
    assert queries() == few

    shown = client.get(url).context["page_obj"].object_list
    assert len(shown) == PAGE_SIZE
    assert shown[0] == newest
    last_page = client.get(url, {"page": 2}).context["page_obj"].object_list
    assert older[0] in last_page


def test_following_a_notification_marks_it_read_and_lands_on_its_subject(therapist):
    (notification,) = notifications(therapist.user, 1, link="/portal/statements/")
    client = signed_in(therapist.user)
    response = client.post(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == "/portal/statements/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    page = client.get(reverse("portal:home")).content.decode()
    assert bell_count(page) is None


def test_a_link_off_the_site_is_never_followed(therapist):
    (notification,) = notifications(therapist.user, 1, link="https://elsewhere.example/")
    response = signed_in(therapist.user).post(reverse("notifications:open", args=[notification.pk]))
    assert response["Location"] == reverse("notifications:portal")


def test_mark_one_and_mark_all_read(therapist, superuser):
    first, second, third = notifications(therapist.user, 3)
    staffs = notifications(superuser, 1, kind=ASSIGNED)
    client = signed_in(therapist.user)
    response = client.post(reverse("notifications:read", args=[first.pk]))
    assert response["Location"] == reverse("notifications:portal")
    assert set(Notification.objects.filter(read_at__isnull=True)) == {second, third, *staffs}
    client.post(reverse("notifications:read_all"), {"next": "/portal/clients/"})
    assert set(Notification.objects.filter(read_at__isnull=True)) == set(staffs)


def test_another_users_notification_is_not_found(therapist, superuser):
    (theirs,) = notifications(superuser, 1, kind=ASSIGNED)
    for client in (signed_in(therapist.user), signed_in(UserFactory(is_staff=True))):
        for name in ("open", "read"):
            assert (
                client.post(reverse(f"notifications:{name}", args=[theirs.pk])).status_code == 404
            )
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_get_changes_nothing_and_signing_in_comes_first(therapist):
    (notification,) = notifications(therapist.user, 1)
    client = signed_in(therapist.user)
    for name in ("open", "read"):
        assert (
            client.get(reverse(f"notifications:{name}", args=[notification.pk])).status_code == 405
        )
    assert client.get(reverse("notifications:read_all")).status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None
    anonymous = Client()
    response = anonymous.post(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302 and "login" in response["Location"]
    assert anonymous.get(reverse("notifications:portal")).status_code == 302


def test_staff_read_theirs_in_the_admin_and_therapists_in_the_portal(therapist, superuser):
    notifications(superuser, 1, kind=ASSIGNED)
    notifications(therapist.user, 1)
    staff_page = signed_in(superuser).get(reverse("notifications:staff"))
    assert [n.user for n in staff_page.context["page_obj"].object_list] == [superuser]
    assert "Nadia assigned you a task." in staff_page.content.decode()
    # A therapist cannot open the admin's page; staff are sent from the portal's to the admin.
    assert signed_in(therapist.user).get(reverse("notifications:staff")).status_code == 302
    assert signed_in(superuser).get(reverse("notifications:portal"))["Location"] == reverse(
        "admin:index"
    )
