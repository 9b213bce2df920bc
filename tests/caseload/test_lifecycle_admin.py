"""Admin screens of the client lifecycle: authorization renewal and extension, client colour,
activation, the Therapists tab."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.caseload.models import ClientKind
from backoffice.scheduling.models import AppointmentStatus
from tests.factories import (
    AppointmentFactory,
    AuthorizationFactory,
    ClientFactory,
    TherapistFactory,
)

pytestmark = pytest.mark.django_db


def completed(authorization, count):
    for _ in range(count):
        AppointmentFactory(
            billing_client=authorization.client,
            therapist=authorization.client.primary_therapist,
            authorization=authorization,
            status=AppointmentStatus.COMPLETED,
        )


# --- Authorizations -----------------------------------------------------------------------


def test_authorization_list_shows_used_billed_remaining(admin_client):
    authorization = AuthorizationFactory(sessions_approved=12)
    completed(authorization, 3)
    response = admin_client.get(reverse("admin:caseload_authorization_changelist"))
    row = response.context["cl"].result_list[0]
    assert (row.sessions_used_count, row.sessions_billed_count, row.sessions_remaining_count) == (
        3,
        0,
        9,
    )
    content = response.content.decode()
    for header in ("used", "billed", "remaining"):
        assert header in content.lower()


def test_renewal_action_turns_the_authorization_pink(admin_client):
    authorization = AuthorizationFactory(sessions_approved=2)
    url = reverse("admin:caseload_authorization_submit_renewal", args=[authorization.pk])
    assert admin_client.get(url).status_code == 200
    now = timezone.localtime() - timedelta(minutes=5)
    response = admin_client.post(
        url,
        {
            "submitted_at_0": f"{now:%Y-%m-%d}",
            "submitted_at_1": f"{now:%H:%M:%S}",
            "note": "Treatment plan faxed",
        },
    )
    assert response.status_code == 302
    authorization.refresh_from_db()
    assert authorization.renewal_submitted_at is not None
    assert authorization.renewal_note == "Treatment plan faxed"
    changelist = admin_client.get(reverse("admin:caseload_client_changelist"))
    assert changelist.context["cl"].result_list[0].status == "pink"


def test_extension_action_refuses_lowering_with_a_message(admin_client):
    authorization = AuthorizationFactory(sessions_approved=10)
    url = reverse("admin:caseload_authorization_extend", args=[authorization.pk])
    response = admin_client.post(url, {"sessions_approved": "8"})
    assert response.status_code == 200
    assert "cannot lower the approved sessions" in response.content.decode()
    authorization.refresh_from_db()
    assert authorization.sessions_approved == 10


def test_extension_action_asks_for_something_to_change(admin_client):
    authorization = AuthorizationFactory()
    url = reverse("admin:caseload_authorization_extend", args=[authorization.pk])
    response = admin_client.post(url, {"note": "nothing"})
    assert response.status_code == 200
    assert "Enter a new number of sessions, a new expiry, or both." in response.content.decode()


def test_extension_action_raises_and_clears_pink(admin_client):
    authorization = AuthorizationFactory(sessions_approved=10, renewal_submitted_at=timezone.now())
    new_expiry = authorization.valid_until + timedelta(days=60)
    url = reverse("admin:caseload_authorization_extend", args=[authorization.pk])
    response = admin_client.post(
        url, {"sessions_approved": "16", "valid_until": f"{new_expiry:%Y-%m-%d}"}
    )
    assert response.status_code == 302
    authorization.refresh_from_db()
    assert authorization.sessions_approved == 16
    assert authorization.valid_until == new_expiry
    assert authorization.renewal_submitted_at is None


def test_authorization_page_shows_usage_and_both_actions(admin_client):
    authorization = AuthorizationFactory(sessions_approved=5)
    completed(authorization, 4)
    response = admin_client.get(
        reverse("admin:caseload_authorization_change", args=[authorization.pk])
    )
    content = response.content.decode()
    assert reverse("admin:caseload_authorization_extend", args=[authorization.pk]) in content
    assert (
        reverse("admin:caseload_authorization_submit_renewal", args=[authorization.pk]) in content
    )
    assert "Red" in content


# --- Clients: colour and activation -------------------------------------------------------


def test_client_list_shows_colours_and_the_legend(admin_client):
    AuthorizationFactory(sessions_approved=1, client__last_name="Rouge")
    AuthorizationFactory(client__last_name="Calme")
    response = admin_client.get(reverse("admin:caseload_client_changelist"))
    content = response.content.decode()
    assert "Client colours" in content
    assert "Renewal documents were submitted" in content
    statuses = {c.last_name: c.status for c in response.context["cl"].result_list}
    assert statuses == {"Rouge": "red", "Calme": "normal"}
    only_red = admin_client.get(reverse("admin:caseload_client_changelist"), {"colour": "red"})
    assert [c.last_name for c in only_red.context["cl"].result_list] == ["Rouge"]


def test_client_page_shows_the_colour(admin_client):
    client = ClientFactory(kind=ClientKind.DIRECT)
    for _ in range(2):
        AppointmentFactory(
            billing_client=client,
            therapist=client.primary_therapist,
            status=AppointmentStatus.COMPLETED,
        )
    response = admin_client.get(reverse("admin:caseload_client_change", args=[client.pk]))
    assert "Red" in response.content.decode()


def test_bulk_deactivate_and_activate_keep_history(admin_client, superuser):
    clients = ClientFactory.create_batch(2)
    url = reverse("admin:caseload_client_changelist")
    ids = [str(c.pk) for c in clients]
    admin_client.post(url, {"action": "deactivate_clients", "_selected_action": ids})
    for client in clients:
        client.refresh_from_db()
        assert not client.is_active
        assert client.history.latest().history_user == superuser
    admin_client.post(url, {"action": "activate_clients", "_selected_action": ids})
    for client in clients:
        client.refresh_from_db()
        assert client.is_active
        assert client.history.count() == 3


def test_row_deactivation_returns_to_the_page_it_came_from(admin_client):
    client = ClientFactory()
    back = reverse("admin:caseload_therapist_caseload", args=[client.primary_therapist_id])
    url = reverse("admin:caseload_client_deactivate", args=[client.pk])
    assert admin_client.get(url, {"next": back}).status_code == 200
    response = admin_client.post(url, {"note": "Finished therapy", "next": back})
    assert response.status_code == 302
    assert response.url == back
    client.refresh_from_db()
    assert not client.is_active
    assert client.history.latest().history_change_reason == "Deactivated: Finished therapy"


def test_row_activation_ignores_an_outside_next(admin_client):
    client = ClientFactory(is_active=False)
    url = reverse("admin:caseload_client_activate", args=[client.pk])
    response = admin_client.post(url, {"next": "https://elsewhere.example/"})
    assert response.url == reverse("admin:caseload_client_change", args=[client.pk])
    client.refresh_from_db()
    assert client.is_active


# --- Therapists tab ------------------------------------------------------------------------


@pytest.fixture
def therapist():
    return TherapistFactory()


def caseload_url(therapist):
    return reverse("admin:caseload_therapist_caseload", args=[therapist.pk])


def test_therapist_caseload_splits_clients_and_shows_usage(admin_client, therapist):
    direct = ClientFactory(primary_therapist=therapist, last_name="Direct")
    indirect = AuthorizationFactory(
        client__primary_therapist=therapist,
        client__last_name="Indirect",
        payer__name="WorkSafeBC",
        sessions_approved=6,
    )
    completed(indirect, 4)
    gone = ClientFactory(primary_therapist=therapist, last_name="Gone", is_active=False)
    ClientFactory(last_name="Someone else's")

    response = admin_client.get(caseload_url(therapist))
    assert response.status_code == 200
    sections = {
        (s["kind"], s["is_active"]): [c.last_name for c in s["clients"]]
        for s in response.context["sections"]
    }
    assert sections == {
        (ClientKind.DIRECT, True): [direct.last_name],
        (ClientKind.DIRECT, False): [gone.last_name],
        (ClientKind.INDIRECT, True): ["Indirect"],
        (ClientKind.INDIRECT, False): [],
    }
    content = response.content.decode()
    assert "Self-paying" in content
    assert "WorkSafeBC" in content
    assert "Someone else" not in content
    shown = response.context["sections"][2]["clients"][0]
    figures = shown.shown_authorizations[0]
    assert (figures.sessions_approved, figures.sessions_used_count) == (6, 4)
    assert figures.sessions_billed_count == 0
    assert shown.status == "red"  # two sessions left


def test_therapist_caseload_shows_the_authorizations_in_force_else_the_latest(
    admin_client, therapist
):
    today = timezone.localdate()

    def authorization(client, *, ended_days_ago, days=90):
        return AuthorizationFactory(
            client=client,
            valid_from=today - timedelta(days=ended_days_ago + days),
            valid_until=today - timedelta(days=ended_days_ago),
        )

    current = AuthorizationFactory(client__primary_therapist=therapist, client__last_name="Current")
    authorization(current.client, ended_days_ago=200)
    lapsed = ClientFactory(
        primary_therapist=therapist, last_name="Lapsed", kind=ClientKind.INDIRECT
    )
    authorization(lapsed, ended_days_ago=400)
    latest = authorization(lapsed, ended_days_ago=30)

    response = admin_client.get(caseload_url(therapist))
    clients = [client for section in response.context["sections"] for client in section["clients"]]
    shown = {client.last_name: [a.pk for a in client.shown_authorizations] for client in clients}
    assert shown == {"Current": [current.pk], "Lapsed": [latest.pk]}
    read = {client.last_name: len(client.authorizations_with_usage) for client in clients}
    assert read == {"Current": 1, "Lapsed": 1}, "expired history is not read"


def test_therapist_caseload_query_count_is_constant(admin_client, therapist):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(caseload_url(therapist)).status_code == 200
        return [q["sql"] for q in captured]

    def add_clients(n):
        for _ in range(n):
            authorization = AuthorizationFactory(client__primary_therapist=therapist)
            completed(authorization, 1)
            ClientFactory(primary_therapist=therapist)

    admin_client.get(caseload_url(therapist))
    add_clients(1)
    few = queries()
    add_clients(10)
    many = queries()
    assert len(few) == len(many) <= 8, "\n".join(many)


def test_therapist_list_links_to_the_caseload(admin_client, therapist):
    response = admin_client.get(reverse("admin:caseload_therapist_changelist"))
    assert caseload_url(therapist) in response.content.decode()
    redirect = admin_client.get(
        reverse("admin:caseload_therapist_open_caseload", args=[therapist.pk])
    )
    assert redirect.url == caseload_url(therapist)


def test_therapist_caseload_needs_staff(client, therapist):
    response = client.get(caseload_url(therapist))
    assert response.status_code == 302
    assert "login" in response.url
