"""Who saw what: every page showing a client's information leaves one record per client (user,
time, what, which client), and only when it was really shown (docs/security.md)."""

import io
import zipfile

import pytest
from django.urls import reverse

from backoffice.access.models import AccessKind, AccessRecord
from tests.factories import (
    AppointmentFactory,
    AuthorizationFactory,
    ClientFactory,
    IssuedInvoiceFactory,
    ReceiptFactory,
    SessionLineFactory,
    StatementLineFactory,
    TherapistFactory,
)
from tests.portal.client_helpers import sign_in_as

pytestmark = pytest.mark.django_db


def recorded():
    return [(r.username, r.what, r.client_id) for r in AccessRecord.objects.order_by("pk")]


def test_a_client_record_is_recorded_with_who_when_and_which_page(admin_client, superuser):
    client = ClientFactory()
    url = reverse("admin:caseload_client_change", args=[client.pk])
    assert admin_client.get(url, {"tab": "x"}).status_code == 200
    record = AccessRecord.objects.get()
    assert (record.user, record.username, record.what) == (
        superuser,
        "boss",
        AccessKind.CLIENT_RECORD,
    )
    assert (record.client, record.object_id, record.content_type.model) == (
        client,
        client.pk,
        "client",
    )
    assert record.path == url  # never the query string
    assert record.at is not None


def test_an_authorization_is_recorded_under_its_client(admin_client):
    authorization = AuthorizationFactory()
    admin_client.get(reverse("admin:caseload_authorization_change", args=[authorization.pk]))
    assert recorded() == [("boss", AccessKind.AUTHORIZATION, authorization.client_id)]


def test_the_appointment_list_is_recorded_only_when_filtered_to_a_client(admin_client):
    appointment = AppointmentFactory()
    url = reverse("admin:scheduling_appointment_changelist")
    assert admin_client.get(url).status_code == 200
    assert recorded() == []
    shown = admin_client.get(url, {"billing_client__id__exact": appointment.billing_client_id})
    assert shown.status_code == 200
    assert recorded() == [("boss", AccessKind.APPOINTMENT_LIST, appointment.billing_client_id)]


def test_a_payer_invoice_is_recorded_once_per_client_on_it(admin_client):
    first = SessionLineFactory()
    second = SessionLineFactory(invoice=first.invoice)
    admin_client.get(reverse("admin:billing_invoice_change", args=[first.invoice_id]))
    assert sorted(recorded()) == sorted(
        [
            ("boss", AccessKind.INVOICE, first.client_id),
            ("boss", AccessKind.INVOICE, second.client_id),
        ]
    )


def test_an_invoice_pdf_is_recorded(admin_client):
    line = SessionLineFactory()
    response = admin_client.get(reverse("admin:billing_invoice_view_pdf", args=[line.invoice_id]))
    assert response.status_code == 200
    assert recorded() == [("boss", AccessKind.PDF, line.client_id)]


def test_a_receipt_pdf_is_recorded(admin_client):
    receipt = ReceiptFactory()
    admin_client.get(reverse("admin:billing_receipt_download_pdf", args=[receipt.pk]))
    assert recorded() == [("boss", AccessKind.PDF, receipt.payment.client_id)]


def test_a_statement_is_recorded_once_per_client_on_it(admin_client):
    line = StatementLineFactory()
    other = StatementLineFactory(statement=line.statement, rate=line.rate)
    admin_client.get(reverse("admin:payouts_statement_change", args=[line.statement_id]))
    assert sorted(recorded()) == sorted(
        [
            ("boss", AccessKind.STATEMENT, line.client_id),
            ("boss", AccessKind.STATEMENT, other.client_id),
        ]
    )


def test_a_therapist_portal_page_is_recorded_and_another_therapist_s_refusal_is_not(client):
    therapist = TherapistFactory()
    other = TherapistFactory()
    person = ClientFactory(primary_therapist=therapist)
    url = reverse("portal:client", args=[person.pk])

    client.force_login(other.user)
    assert client.get(url).status_code == 404
    assert recorded() == []

    client.force_login(therapist.user)
    assert client.get(url).status_code == 200
    assert recorded() == [(therapist.user.username, AccessKind.PORTAL_PAGE, person.pk)]


def test_a_client_s_own_pages_are_recorded(client):
    person = ClientFactory()
    user = sign_in_as(client, person)
    assert client.get(reverse("client:home")).status_code == 200
    assert client.get(reverse("client:documents")).status_code == 200
    assert recorded() == [(user.username, AccessKind.CLIENT_PAGE, person.pk)] * 2


def test_a_client_invoice_pdf_is_recorded(client):
    line = SessionLineFactory(invoice=IssuedInvoiceFactory(payer=None, client=ClientFactory()))
    line.client = line.invoice.client
    line.save()
    user = sign_in_as(client, line.invoice.client)
    response = client.get(reverse("client:invoice_pdf", args=[line.invoice_id]))
    assert response.status_code == 200
    assert recorded() == [(user.username, AccessKind.PDF, line.invoice.client_id)]


def test_anonymous_and_refused_requests_record_nothing(client, staff):
    person = ClientFactory()
    url = reverse("admin:caseload_client_change", args=[person.pk])
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(staff[None])  # staff, no role: no permission on clients
    assert client.get(url).status_code in (302, 403)
    missing = reverse("admin:caseload_authorization_change", args=[999999])
    client.force_login(staff["admin"])
    assert client.get(missing).status_code == 302  # Django's "not found" goes back home
    assert recorded() == []


def test_pages_without_client_information_record_nothing(admin_client):
    ClientFactory()
    for name in ("admin:index", "admin:caseload_client_changelist"):
        assert admin_client.get(reverse(name)).status_code == 200
    assert recorded() == []


def test_an_export_records_one_row_per_client_it_holds(admin_client):
    lines = [SessionLineFactory() for _ in range(3)]
    invoices = [line.invoice_id for line in lines[:2]]
    response = admin_client.post(
        reverse("admin:billing_invoice_changelist"),
        {"action": "export_xlsx", "_selected_action": invoices},
    )
    assert response.status_code == 200
    assert sorted(recorded()) == sorted(
        ("boss", AccessKind.EXPORT, line.client_id) for line in lines[:2]
    )
    assert set(AccessRecord.objects.values_list("label", flat=True)) == {"invoices.xlsx"}


def test_a_statements_zip_records_its_clients(admin_client):
    line = StatementLineFactory()
    response = admin_client.post(
        reverse("admin:payouts_statement_changelist"),
        {"action": "download_pdfs_zip", "_selected_action": [line.statement_id]},
    )
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert len(names) == 1
    assert recorded() == [("boss", AccessKind.EXPORT, line.client_id)]


def test_the_invoice_export_page_records_the_clients_exported(admin_client):
    line = SessionLineFactory()
    url = reverse("admin:billing_invoice_export")
    assert admin_client.get(url).status_code == 200
    assert recorded() == []  # the form alone exports nothing
    response = admin_client.post(
        url, {"format": "1", "resource": "0", "invoiceresource_number": "on"}
    )
    assert response.status_code == 200
    assert recorded() == [("boss", AccessKind.EXPORT, line.client_id)]


def test_a_past_version_of_a_client_record_is_recorded(admin_client):
    client = ClientFactory()
    version = client.history.first()
    url = reverse("admin:caseload_client_simple_history", args=[client.pk, version.history_id])
    assert admin_client.get(url).status_code == 200
    assert recorded() == [("boss", AccessKind.CLIENT_RECORD, client.pk)]
