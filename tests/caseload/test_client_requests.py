"""Therapists' requests to activate or deactivate a client: the services that record and decide
them, and the staff admin that approves or declines them."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from backoffice.accounts.models import Role
from backoffice.accounts.services import user_create
from backoffice.caseload.models import (
    ClientStatusAction,
    ClientStatusRequest,
    ClientStatusRequestState,
)
from backoffice.caseload.services import (
    client_status_request_create,
    client_status_request_decide,
)
from tests.factories import ClientFactory, ClientStatusRequestFactory, TherapistFactory

pytestmark = pytest.mark.django_db

PENDING, APPROVED, DECLINED = (
    ClientStatusRequestState.PENDING,
    ClientStatusRequestState.APPROVED,
    ClientStatusRequestState.DECLINED,
)
LIST = "admin:caseload_clientstatusrequest_changelist"


def ask(client, *, action=ClientStatusAction.DEACTIVATE, reason="Done.", therapist=None):
    """The client's therapist (or `therapist`) asks."""
    return client_status_request_create(
        therapist=therapist or client.primary_therapist, client=client, action=action, reason=reason
    )


# --- Recording a request ------------------------------------------------------------------


def test_a_therapist_asks_to_deactivate_their_client():
    client = ClientFactory()
    request = ask(client, reason="  Moved to Calgary.  ")
    assert (request.therapist, request.client, request.action, request.state) == (
        client.primary_therapist,
        client,
        ClientStatusAction.DEACTIVATE,
        PENDING,
    )
    assert request.reason == "Moved to Calgary."
    assert request.requested_at is not None
    assert request.history.count() == 1


def test_a_client_of_another_therapist_is_refused():
    with pytest.raises(ValidationError, match="not one of yours"):
        ask(ClientFactory(), therapist=TherapistFactory())
    assert not ClientStatusRequest.objects.exists()


@pytest.mark.parametrize(
    ("active", "action", "message"),
    [
        (True, ClientStatusAction.ACTIVATE, "already active"),
        (False, ClientStatusAction.DEACTIVATE, "already deactivated"),
    ],
)
def test_a_request_that_would_change_nothing_is_refused(active, action, message):
    with pytest.raises(ValidationError, match=message):
        ask(ClientFactory(is_active=active), action=action)


def test_a_reason_is_required():
    with pytest.raises(ValidationError) as refused:
        ask(ClientFactory(), reason="   ")
    assert "reason" in refused.value.error_dict


def test_a_second_pending_request_is_refused_and_the_database_refuses_it_too():
    client = ClientFactory()
    first = ask(client)
    with pytest.raises(ValidationError, match="already has a request"):
        ask(client, reason="Again.")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientStatusRequest.objects.create(
            therapist=first.therapist, client=client, action=first.action, reason="Again."
        )


def test_after_a_decision_the_therapist_may_ask_again(superuser):
    client = ClientFactory()
    client_status_request_decide(request=ask(client), approve=False, by=superuser)
    assert ask(client, reason="Still no sessions.").state == PENDING


# --- Deciding -----------------------------------------------------------------------------


def test_approving_a_deactivation_deactivates_the_client(superuser):
    client = ClientFactory()
    request = ask(client, reason="Moved to Calgary.")
    decided = client_status_request_decide(
        request=request, approve=True, by=superuser, note=" Confirmed by phone. "
    )
    client.refresh_from_db()
    assert client.is_active is False
    assert client.history.first().history_change_reason == "Deactivated: Confirmed by phone."
    assert (decided.state, decided.decided_by, decided.decision_note) == (
        APPROVED,
        superuser,
        "Confirmed by phone.",
    )
    assert decided.decided_at is not None


def test_approving_an_activation_activates_the_client_with_the_therapists_reason(superuser):
    client = ClientFactory(is_active=False)
    request = ask(client, action=ClientStatusAction.ACTIVATE, reason="Back after a break.")
    client_status_request_decide(request=request, approve=True, by=superuser)
    client.refresh_from_db()
    assert client.is_active is True
    assert client.history.first().history_change_reason == "Activated: Back after a break."


def test_declining_leaves_the_client_as_it_was(superuser):
    client = ClientFactory()
    request = client_status_request_decide(
        request=ask(client), approve=False, by=superuser, note="Sessions booked next week."
    )
    client.refresh_from_db()
    assert client.is_active is True
    assert (request.state, request.decision_note) == (DECLINED, "Sessions booked next week.")


def test_a_request_is_decided_once(superuser):
    request = ask(ClientFactory())
    client_status_request_decide(request=request, approve=False, by=superuser, note="first")
    with pytest.raises(ValidationError, match="already declined"):
        client_status_request_decide(request=request, approve=True, by=superuser)
    request.refresh_from_db()
    assert (request.state, request.decision_note) == (DECLINED, "first")
    assert request.client.is_active is True


# --- The admin ----------------------------------------------------------------------------


def decide_url(request, action):
    return reverse(f"admin:caseload_clientstatusrequest_{action}", args=[request.pk])


def test_the_list_shows_pending_requests_first_and_filters_by_state(admin_client, superuser):
    decided = ClientStatusRequestFactory()
    client_status_request_decide(request=decided, approve=False, by=superuser)
    pending = ClientStatusRequestFactory()
    older_pending = ClientStatusRequestFactory(
        requested_at=pending.requested_at - timedelta(days=30)
    )
    listed = admin_client.get(reverse(LIST)).context["cl"].result_list
    assert [r.pk for r in listed] == [pending.pk, older_pending.pk, decided.pk]
    listed = admin_client.get(reverse(LIST), {"state__exact": DECLINED}).context["cl"]
    assert [r.pk for r in listed.result_list] == [decided.pk]


def test_the_list_shows_the_reason_and_both_actions(admin_client):
    request = ClientStatusRequestFactory(reason="Treatment goals met.")
    content = admin_client.get(reverse(LIST)).content.decode()
    assert "Treatment goals met." in content
    assert decide_url(request, "approve") in content
    assert decide_url(request, "decline") in content


def test_the_decision_page_shows_the_request_and_a_get_changes_nothing(admin_client):
    request = ClientStatusRequestFactory(reason="Treatment goals met.")
    for action in ("approve", "decline"):
        response = admin_client.get(decide_url(request, action))
        assert response.status_code == 200
        assert "asks to deactivate the client: Treatment goals met." in response.content.decode()
    request.refresh_from_db()
    request.client.refresh_from_db()
    assert (request.state, request.client.is_active) == (PENDING, True)


def test_approve_posted_deactivates_the_client(admin_client, superuser):
    request = ClientStatusRequestFactory()
    response = admin_client.post(decide_url(request, "approve"), {"note": "OK"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(LIST)
    assert "approved" in response.content.decode()
    request.refresh_from_db()
    request.client.refresh_from_db()
    assert (request.state, request.decided_by, request.decision_note) == (APPROVED, superuser, "OK")
    assert request.client.is_active is False
    assert request.history.first().history_user == superuser


def test_decline_posted_keeps_the_client_and_the_note(admin_client):
    request = ClientStatusRequestFactory()
    admin_client.post(decide_url(request, "decline"), {"note": "Sessions still booked."})
    request.refresh_from_db()
    request.client.refresh_from_db()
    assert (request.state, request.decision_note) == (DECLINED, "Sessions still booked.")
    assert request.client.is_active is True


def test_a_decided_request_goes_back_with_a_warning(admin_client, superuser):
    request = ClientStatusRequestFactory()
    client_status_request_decide(request=request, approve=False, by=superuser, note="first")
    response = admin_client.post(decide_url(request, "approve"), {"note": "late"}, follow=True)
    assert "already declined" in response.content.decode()
    request.refresh_from_db()
    request.client.refresh_from_db()
    assert (request.state, request.decision_note, request.client.is_active) == (
        DECLINED,
        "first",
        True,
    )


def test_requests_are_read_only_in_the_admin(admin_client):
    request = ClientStatusRequestFactory()
    page = admin_client.get(reverse("admin:caseload_clientstatusrequest_change", args=[request.pk]))
    assert page.status_code == 200
    assert 'name="reason"' not in page.content.decode()
    assert admin_client.get(reverse("admin:caseload_clientstatusrequest_add")).status_code == 403


@pytest.mark.parametrize(("role", "may_decide"), [(Role.ADMIN, True), (Role.FINANCE, False)])
def test_admin_staff_decide_and_finance_only_read(client, roles, role, may_decide):
    client.force_login(user_create(username=f"user-{role}", role=role))
    request = ClientStatusRequestFactory()
    assert client.get(reverse(LIST)).status_code == 200
    response = client.post(decide_url(request, "approve"), {"note": ""})
    assert response.status_code == (302 if may_decide else 403)
    request.client.refresh_from_db()
    assert request.client.is_active is not may_decide
