"""Privacy requests and the breach register are the administrators' (docs/security.md, Privacy
requests and the breach register): only they export a client's file, each export is a recorded
request, and a withdrawal of consent stops the client's reminders on that channel."""

import io
import json
import zipfile
from datetime import date, datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.access.models import AccessKind, AccessRecord
from backoffice.accounts.models import Role
from backoffice.accounts.services import user_create
from backoffice.caseload.models import ConsentMethod, ContactConsent
from backoffice.messaging.models import Channel
from backoffice.privacy.models import Breach, PrivacyRequest, RequestKind
from tests.conftest import VANCOUVER
from tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db

MAY_20 = datetime(2027, 5, 20, 10, tzinfo=VANCOUVER)


@pytest.fixture
def clock():
    with time_machine.travel(MAY_20, tick=False) as traveller:
        yield traveller


def signed_in(client, role: Role | None):
    if role is None:
        user = UserFactory(username="staff-no-role", is_staff=True)
    else:
        user = user_create(username=f"user-{role}", role=role)
    client.force_login(user)
    return user


def export_url(file) -> str:
    return reverse("admin:caseload_client_privacy_export", args=[file.pk])


EXPORT_FORM = {"received_on": "2027-05-18", "received_how": ConsentMethod.EMAIL, "details": ""}


@pytest.mark.parametrize("role", [Role.FINANCE, Role.READ_ONLY, None])
def test_only_administrators_export_a_clients_file(client, roles, role):
    file = ClientFactory()
    signed_in(client, role)
    assert client.get(export_url(file)).status_code == 403
    assert client.post(export_url(file), {**EXPORT_FORM, "_submit": "1"}).status_code == 403
    assert not PrivacyRequest.objects.exists()


def test_no_staff_role_but_the_administrators_sees_privacy_records(roles):
    privacy = Permission.objects.filter(content_type__app_label="privacy")
    for role in (Role.FINANCE, Role.READ_ONLY, Role.THERAPIST, Role.CLIENT):
        assert not roles[role].permissions.filter(pk__in=privacy).exists()
    assert set(privacy.values_list("codename", flat=True)) <= set(
        roles[Role.ADMIN].permissions.values_list("codename", flat=True)
    )


def test_the_export_records_an_answered_access_request_and_downloads_the_zip(client, roles, clock):
    file = ClientFactory(first_name="Annabel")
    administrator = signed_in(client, Role.ADMIN)
    page = client.get(reverse("admin:caseload_client_change", args=[file.pk]))
    assert export_url(file) in page.content.decode()
    assert client.get(export_url(file)).status_code == 200

    response = client.post(export_url(file), {**EXPORT_FORM, "_submit": "1"})

    assert response["Content-Type"] == "application/zip"
    assert f'filename="client-{file.pk}-2027-05-20.zip"' in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert json.loads(archive.read("client.json"))["legal first name"] == "Annabel"
    request = PrivacyRequest.objects.get()
    assert (request.client, request.kind) == (file, RequestKind.ACCESS)
    assert (request.received_on, request.due_on) == (date(2027, 5, 18), date(2027, 6, 17))
    assert request.received_by == request.handled_by == administrator
    assert request.completed_at == MAY_20
    export = AccessRecord.objects.get(what=AccessKind.EXPORT)
    assert (export.client, export.user, export.label) == (
        file,
        administrator,
        f"client-{file.pk}-2027-05-20.zip",
    )


def test_the_client_page_offers_no_export_without_the_permission(client, roles):
    file = ClientFactory()
    signed_in(client, Role.FINANCE)
    page = client.get(reverse("admin:caseload_client_change", args=[file.pk]))
    assert page.status_code == 200
    assert export_url(file) not in page.content.decode()


def _request_form(file, **fields):
    return {
        "client": file.pk,
        "kind": RequestKind.CONSENT_WITHDRAWAL,
        "received_on": "2027-05-19",
        "received_how": ConsentMethod.PHONE,
        "details": "",
        "withdrawn_channels": "",
        "handled_by": "",
        "outcome": "",
        "completed_at_0": "",
        "completed_at_1": "",
        **fields,
    }


def test_a_withdrawal_of_consent_stops_the_reminders_on_that_channel(client, roles, clock):
    file = ClientFactory(email_consent=True, sms_consent=True, phone="604-555-0142")
    administrator = signed_in(client, Role.ADMIN)

    response = client.post(
        reverse("admin:privacy_privacyrequest_add"),
        _request_form(file, withdrawn_channels="email"),
    )

    assert response.status_code == 302
    request = PrivacyRequest.objects.get()
    assert request.due_on == date(2027, 6, 18)
    file.refresh_from_db()
    assert (file.email_consent, file.sms_consent) == (False, True)
    consent = ContactConsent.objects.get(client=file)
    assert (consent.channel, consent.given, consent.method) == (
        Channel.EMAIL,
        False,
        ConsentMethod.PHONE,
    )
    assert consent.recorded_by == administrator
    assert consent.note == f"Privacy request #{request.pk}"


def test_a_withdrawal_names_the_reminders_to_stop_or_its_scope(client, roles):
    file = ClientFactory()
    signed_in(client, Role.ADMIN)
    response = client.post(reverse("admin:privacy_privacyrequest_add"), _request_form(file))
    assert response.status_code == 200
    assert "Choose the reminders to stop, or describe the scope." in response.content.decode()
    assert not PrivacyRequest.objects.exists()


def test_the_list_shows_overdue_requests_and_its_queries_do_not_grow(
    client, roles, clock, django_assert_max_num_queries
):
    signed_in(client, Role.ADMIN)
    url = reverse("admin:privacy_privacyrequest_changelist")
    PrivacyRequest.objects.create(
        client=ClientFactory(last_name="Latecomer"),
        kind=RequestKind.OTHER,
        received_on=date(2027, 4, 1),
        received_how=ConsentMethod.EMAIL,
        due_on=date(2027, 5, 1),
    )
    PrivacyRequest.objects.create(
        client=ClientFactory(last_name="Recent"),
        kind=RequestKind.OTHER,
        received_on=date(2027, 5, 19),
        received_how=ConsentMethod.EMAIL,
        due_on=date(2027, 6, 18),
    )
    overdue = client.get(url, {"state": "overdue"}).content.decode()
    assert "Latecomer" in overdue and "Recent" not in overdue

    with CaptureQueriesContext(connection) as few:
        client.get(url, {"state": "all"})
    for day in range(2, 12):
        PrivacyRequest.objects.create(
            client=ClientFactory(),
            kind=RequestKind.OTHER,
            received_on=date(2027, 5, day),
            received_how=ConsentMethod.EMAIL,
            due_on=date(2027, 6, day),
        )
    with django_assert_max_num_queries(len(few)):
        client.get(url, {"state": "all"})


@pytest.mark.parametrize("role", [Role.FINANCE, Role.READ_ONLY, None])
def test_only_administrators_open_the_breach_register(client, roles, role):
    signed_in(client, role)
    assert client.get(reverse("admin:privacy_breach_changelist")).status_code == 403
    assert client.get(reverse("admin:privacy_privacyrequest_changelist")).status_code == 403
    assert client.get(reverse("admin:privacy_breach_add")).status_code == 403


def _breach_form(**fields):
    return {
        "discovered_at_0": "2027-05-19",
        "discovered_at_1": "09:30",
        "occurred_from_0": "",
        "occurred_from_1": "",
        "occurred_until_0": "",
        "occurred_until_1": "",
        "occurred_note": "Some time in early May",
        "description": "A laptop with a spreadsheet of appointments was stolen.",
        "records_affected": "Names and session times",
        "others_affected_count": "0",
        "cause": "Theft from a car",
        "containment": "Laptop wiped remotely",
        "real_risk": "yes",
        "risk_reasoning": "Counselling attendance is sensitive.",
        "commissioner_reported_on": "",
        "individuals_notified_on": "",
        "organisations_notified": "",
        "closed_at_0": "",
        "closed_at_1": "",
        **fields,
    }


def test_an_administrator_records_a_breach(client, roles):
    administrator = signed_in(client, Role.ADMIN)
    affected = ClientFactory()
    response = client.post(reverse("admin:privacy_breach_add"), _breach_form(clients=[affected.pk]))
    assert response.status_code == 302
    breach = Breach.objects.get()
    assert breach.recorded_by == administrator
    assert list(breach.clients.all()) == [affected]
    assert breach.keep_until() == date(2029, 5, 19)
    assert {row.history_user for row in breach.history.all()} == {administrator}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"description": ""}, "This field is required."),
        ({"cause": ""}, "This field is required."),
        ({"risk_reasoning": ""}, "This field is required."),
        ({"occurred_note": ""}, "Give when it occurred, as dates or approximately."),
        (
            {"closed_at_0": "2027-05-20", "closed_at_1": "12:00"},
            "reported to the Privacy Commissioner before it is closed",
        ),
    ],
)
def test_a_breach_is_refused_without_what_the_register_must_hold(client, roles, fields, error):
    signed_in(client, Role.ADMIN)
    response = client.post(reverse("admin:privacy_breach_add"), _breach_form(**fields))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Breach.objects.exists()
