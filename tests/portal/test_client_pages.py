"""A client's own pages (docs/rules.md, Clients' pages): upcoming sessions in Vancouver time,
confirming and cancelling (refused inside the late-cancellation window), invoices and
receipts as PDFs, reminder choices and consent recorded with how and when, in the client's
language."""

import io
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from backoffice.caseload.models import ConsentMethod, ContactConsent, ReminderChannel
from backoffice.fields import Language
from backoffice.messaging.models import Channel
from backoffice.scheduling.models import AppointmentStatus, Attendance, ConfirmedVia
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    IssuedInvoiceFactory,
    ReceiptFactory,
    SessionLineFactory,
)
from tests.portal.client_helpers import sign_in_as

pytestmark = pytest.mark.django_db

VANCOUVER = ZoneInfo("America/Vancouver")
NOW = datetime(2027, 1, 14, 10, 0, tzinfo=VANCOUVER)
MAX_QUERIES = 8  # docs/quality.md, List pages


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def person(client):
    person = ClientFactory(first_name="Léa", preferred_language=Language.ENGLISH)
    sign_in_as(client, person)
    return person


def session_of(person, *, starts_in: timedelta, **fields):
    starts_at = NOW + starts_in
    return AppointmentFactory(
        billing_client=person,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
        **fields,
    )


def pdf_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def queries_of(client, url) -> int:
    client.get(url)  # the session's first refresh is not the page's
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# --- Sessions -------------------------------------------------------------------------------


def test_upcoming_sessions_show_vancouver_time_therapist_place_and_confirmation(
    client, clock, person
):
    in_person = session_of(person, starts_in=timedelta(days=2, hours=4))  # Sat 16 Jan, 14:00
    online = session_of(
        person, starts_in=timedelta(days=3), room=None, attendance=Attendance.ONLINE
    )
    online.confirmed_at = NOW
    online.save()
    session_of(person, starts_in=-timedelta(hours=2))  # earlier today: not upcoming
    session_of(person, starts_in=timedelta(days=4), status=AppointmentStatus.CANCELLED)
    page = client.get(reverse("client:home")).content.decode()
    assert "Saturday 16 January 2027, 14:00" in page
    assert in_person.therapist.full_name in page
    assert in_person.room.site.name in page and in_person.room.name in page
    assert "Online" in page
    assert page.count("data-session=") == 2
    assert page.count("Confirm I will come") == 1
    assert "Confirmed" in page


def test_the_pages_are_in_the_clients_language(client, clock, person):
    session_of(person, starts_in=timedelta(days=2, hours=4))
    person.preferred_language = Language.FRENCH
    person.save()
    page = client.get(reverse("client:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="fr-ca"' in page
    assert "samedi 16 janvier 2027" in page.lower()


def test_the_sessions_page_queries_do_not_grow_with_the_sessions(client, clock, person):
    for day in range(2):
        session_of(person, starts_in=timedelta(days=day + 1))
    few = queries_of(client, reverse("client:home"))
    for day in range(2, 10):
        session_of(
            person, starts_in=timedelta(days=day + 1), room=None, attendance=Attendance.ONLINE
        )
    assert queries_of(client, reverse("client:home")) == few <= MAX_QUERIES


def test_a_client_confirms_a_session_on_their_page(client, clock, person):
    session = session_of(person, starts_in=timedelta(days=2))
    response = client.post(reverse("client:confirm", args=[session.pk]))
    assert response["Location"] == reverse("client:home")
    session.refresh_from_db()
    assert session.confirmed_at == NOW
    assert session.confirmed_via == ConfirmedVia.CLIENT_PAGE


def test_a_session_more_than_the_window_away_is_cancelled(client, clock, person):
    session = session_of(
        person, starts_in=timedelta(hours=settings.LATE_CANCEL_WINDOW_HOURS, minutes=1)
    )
    page = client.get(reverse("client:cancel", args=[session.pk]))
    assert page.status_code == 200
    session.refresh_from_db()
    assert session.status == AppointmentStatus.SCHEDULED  # opening the page changes nothing
    response = client.post(reverse("client:cancel", args=[session.pk]))
    assert response["Location"] == reverse("client:home")
    session.refresh_from_db()
    assert session.status == AppointmentStatus.CANCELLED
    assert session.cancelled_at == NOW


def test_a_session_inside_the_window_is_refused_with_the_clinics_message(client, clock, person):
    session = session_of(
        person, starts_in=timedelta(hours=settings.LATE_CANCEL_WINDOW_HOURS, minutes=-1)
    )
    response = client.post(reverse("client:cancel", args=[session.pk]))
    assert response.status_code == 200
    assert "please call the clinic to cancel" in response.content.decode()
    session.refresh_from_db()
    assert session.status == AppointmentStatus.SCHEDULED


def test_a_family_member_sees_and_confirms_a_session_they_are_in(client, clock, person):
    parent = ClientFactory()
    family = session_of(parent, starts_in=timedelta(days=2))
    family.clients.add(person)
    assert f'data-session="{family.pk}"' in client.get(reverse("client:home")).content.decode()
    client.post(reverse("client:confirm", args=[family.pk]))
    family.refresh_from_db()
    assert family.confirmed_via == ConfirmedVia.CLIENT_PAGE


# --- Invoices and receipts ------------------------------------------------------------------


def own_invoice(person):
    invoice = IssuedInvoiceFactory(payer=None, client=person)
    SessionLineFactory(invoice=invoice, appointment__billing_client=person)
    return invoice


def test_the_client_downloads_their_invoices_and_receipts_as_pdfs(client, person):
    invoice = own_invoice(person)
    receipt = ReceiptFactory(payment__client=person, payment__amount=Decimal("150.00"))
    page = client.get(reverse("client:documents")).content.decode()
    assert invoice.number in page and receipt.number in page
    invoice_pdf = client.get(reverse("client:invoice_pdf", args=[invoice.pk]))
    assert invoice_pdf["Content-Type"] == "application/pdf"
    assert invoice.number in pdf_text(invoice_pdf)
    receipt_pdf = client.get(reverse("client:receipt_pdf", args=[receipt.pk]))
    assert receipt.number in pdf_text(receipt_pdf)


def test_only_invoices_billed_to_the_client_are_theirs(client, person):
    payer_invoice = IssuedInvoiceFactory(client=person)  # a payer's invoice made per client
    void = IssuedInvoiceFactory(payer=None, client=person, status="void")
    page = client.get(reverse("client:documents")).content.decode()
    for invoice in (payer_invoice, void):
        assert invoice.number not in page
        assert client.get(reverse("client:invoice_pdf", args=[invoice.pk])).status_code == 404


def test_the_documents_page_queries_do_not_grow_with_the_documents(client, person):
    for _ in range(2):
        own_invoice(person)
        ReceiptFactory(payment__client=person)
    few = queries_of(client, reverse("client:documents"))
    for _ in range(8):
        own_invoice(person)
        ReceiptFactory(payment__client=person)
    assert queries_of(client, reverse("client:documents")) == few <= MAX_QUERIES


# --- Reminders, consent, language ----------------------------------------------------------


def preferences(**changes):
    return {
        "email_consent": "on",
        "reminder_channel": ReminderChannel.EMAIL,
        "preferred_language": Language.ENGLISH,
        **changes,
    }


def test_a_consent_change_is_recorded_with_how_when_and_by_whom(client, clock, person):
    person.phone = "604-555-0199"
    person.email_consent = True
    person.save()
    response = client.post(
        reverse("client:preferences"),
        preferences(sms_consent="on", reminder_channel=ReminderChannel.BOTH),
    )
    assert response["Location"] == reverse("client:preferences")
    person.refresh_from_db()
    assert person.sms_consent and person.email_consent
    assert person.reminder_channel == ReminderChannel.BOTH
    [record] = ContactConsent.objects.filter(client=person)  # email consent did not change
    assert (record.channel, record.given, record.method) == (
        Channel.SMS,
        True,
        ConsentMethod.CLIENT_PAGE,
    )
    assert record.recorded_at == NOW
    assert record.recorded_by == person.user


def test_withdrawing_consent_to_the_reminders_channel_is_refused(client, clock, person):
    person.email_consent = True
    person.save()
    response = client.post(reverse("client:preferences"), preferences(email_consent=""))
    assert response.status_code == 200
    assert "tick your consent to email" in response.content.decode()
    person.refresh_from_db()
    assert person.email_consent
    assert not ContactConsent.objects.exists()


def test_the_client_changes_their_language(client, clock, person):
    response = client.post(
        reverse("client:preferences"),
        preferences(preferred_language=Language.FRENCH, reminder_channel=ReminderChannel.NONE),
        follow=True,
    )
    person.refresh_from_db()
    assert person.preferred_language == Language.FRENCH
    assert 'lang="fr-ca"' in response.content.decode()
    [record] = ContactConsent.objects.filter(client=person)
    assert record.channel == Channel.EMAIL and record.given
