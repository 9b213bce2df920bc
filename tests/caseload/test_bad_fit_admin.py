"""The Bad Fit list in the admin: open entries by default, notes, removal with a reason."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.scheduling.models import BadFitEntry
from tests.factories import BadFitEntryFactory

pytestmark = pytest.mark.django_db

LIST = "admin:scheduling_badfitentry_changelist"


def remove_url(entry):
    return reverse("admin:scheduling_badfitentry_remove_from_list", args=[entry.pk])


def test_the_list_shows_open_entries_by_default(admin_client):
    open_entry = BadFitEntryFactory(client__last_name="Ouvert")
    removed = BadFitEntryFactory(client__last_name="Retiré")
    removed.resolved_at = removed.opened_at
    removed.save()
    listed = admin_client.get(reverse(LIST)).context["cl"].result_list
    assert [e.pk for e in listed] == [open_entry.pk]
    listed = admin_client.get(reverse(LIST), {"state": "removed"}).context["cl"].result_list
    assert [e.pk for e in listed] == [removed.pk]
    listed = admin_client.get(reverse(LIST), {"state": "all"}).context["cl"].result_list
    assert {e.pk for e in listed} == {open_entry.pk, removed.pk}


def test_the_list_shows_therapist_reason_and_triggering_sessions(admin_client):
    entry = BadFitEntryFactory()
    trigger = entry.appointments.get()
    content = admin_client.get(reverse(LIST)).content.decode()
    assert str(entry.therapist) in content
    assert "Did not show up without cancelling" in content
    assert f"{timezone.localtime(trigger.starts_at):%Y-%m-%d}" in content
    assert remove_url(entry) in content


def test_removal_asks_for_a_reason(admin_client):
    entry = BadFitEntryFactory()
    assert admin_client.get(remove_url(entry)).status_code == 200
    response = admin_client.post(remove_url(entry), {"note": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    entry.refresh_from_db()
    assert entry.resolved_at is None


def test_removal_closes_the_entry_with_who_and_why(admin_client, superuser):
    entry = BadFitEntryFactory()
    response = admin_client.post(remove_url(entry), {"note": "Phoned: wants to continue"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.resolved_at is not None
    assert entry.resolved_by == superuser
    assert entry.resolution_note == "Phoned: wants to continue"
    assert entry.history.latest().history_user == superuser
    assert BadFitEntry.objects.filter(pk=entry.pk).exists()


def test_removing_twice_changes_nothing(admin_client):
    entry = BadFitEntryFactory()
    admin_client.post(remove_url(entry), {"note": "first"})
    entry.refresh_from_db()
    first_removal = entry.resolved_at
    response = admin_client.post(remove_url(entry), {"note": "second"}, follow=True)
    assert "already removed" in response.content.decode()
    entry.refresh_from_db()
    assert (entry.resolved_at, entry.resolution_note) == (first_removal, "first")


def test_staff_can_edit_notes_but_not_add_or_delete(admin_client):
    entry = BadFitEntryFactory()
    url = reverse("admin:scheduling_badfitentry_change", args=[entry.pk])
    response = admin_client.post(url, {"notes": "Left a voicemail"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.notes == "Left a voicemail"
    assert admin_client.get(reverse("admin:scheduling_badfitentry_add")).status_code == 403
    delete = reverse("admin:scheduling_badfitentry_delete", args=[entry.pk])
    assert admin_client.get(delete).status_code == 403


def test_history_page_opens(admin_client):
    entry = BadFitEntryFactory()
    url = reverse("admin:scheduling_badfitentry_history", args=[entry.pk])
    assert admin_client.get(url).status_code == 200


def test_the_list_costs_the_same_queries_for_more_entries(admin_client):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse(LIST)).status_code == 200
        return [q["sql"] for q in captured]

    admin_client.get(reverse(LIST))
    BadFitEntryFactory.create_batch(2)
    few = queries()
    BadFitEntryFactory.create_batch(15)
    many = queries()
    assert len(few) == len(many) <= 8, "\n".join(many)
