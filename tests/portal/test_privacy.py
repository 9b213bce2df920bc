"""A therapist reaches only their own clients (docs/quality.md, A therapist's own clients)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ClientFactory, TherapistFactory

pytestmark = pytest.mark.django_db


def test_a_therapist_sees_only_their_own_clients(client):
    mine, theirs = TherapistFactory(), TherapistFactory()
    ClientFactory(primary_therapist=mine, last_name="Gagné")
    ClientFactory(primary_therapist=theirs, last_name="Tremblay")
    client.force_login(mine.user)
    page = client.get(reverse("portal:clients")).content.decode()
    assert "Gagné" in page
    assert "Tremblay" not in page


def test_the_name_filter_stays_inside_the_caseload(client):
    mine, theirs = TherapistFactory(), TherapistFactory()
    ClientFactory(primary_therapist=theirs, last_name="Tremblay")
    client.force_login(mine.user)
    response = client.get(reverse("portal:clients"), {"name": "Tremblay"})
    assert list(response.context["table"].data) == []


def test_therapists_cannot_open_the_admin(client):
    therapist = TherapistFactory()
    client.force_login(therapist.user)
    response = client.get(reverse("admin:caseload_client_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert reverse("portal:login") in response["Location"]


def test_staff_are_sent_to_the_admin(admin_client):
    response = admin_client.get(reverse("portal:home"))
    assert response["Location"] == reverse("admin:index")


def test_portal_client_list_queries_do_not_grow_with_the_caseload(client):
    therapist = TherapistFactory()
    client.force_login(therapist.user)
    client.get(reverse("portal:clients"))
    counts = []
    for extra in (3, 30):
        ClientFactory.create_batch(extra, primary_therapist=therapist)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("portal:clients")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8


def test_sign_in_lands_staff_in_the_admin_and_therapists_in_the_portal(client, superuser):
    therapist = TherapistFactory()
    client.force_login(therapist.user)
    assert client.get(reverse("landing"))["Location"] == reverse("portal:home")
    client.force_login(superuser)
    assert client.get(reverse("landing"))["Location"] == reverse("admin:index")


def test_the_status_filter_lists_active_or_deactivated_clients(client):
    therapist = TherapistFactory()
    active = ClientFactory(primary_therapist=therapist)
    gone = ClientFactory(primary_therapist=therapist, is_active=False)
    client.force_login(therapist.user)
    for value, expected in [("true", [active]), ("false", [gone]), ("", [active, gone])]:
        response = client.get(reverse("portal:clients"), {"is_active": value})
        assert {c.pk for c in response.context["table"].data} == {c.pk for c in expected}


def test_dates_read_the_canadian_way(client):
    therapist = TherapistFactory()
    mine = ClientFactory(primary_therapist=therapist, date_of_birth="1985-04-12")
    client.force_login(therapist.user)
    page = client.get(reverse("portal:client", args=[mine.pk])).content.decode()
    assert "1985-04-12" in page
