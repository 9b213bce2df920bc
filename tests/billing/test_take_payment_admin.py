"""Staff take a payment at the session from the appointment list, the client page, or the
payment form; each button is pressed and what it recorded is checked."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from backoffice.accounts.models import Role
from backoffice.accounts.services import user_create
from backoffice.billing.models import Payment, PaymentAllocation, Receipt
from backoffice.billing.selectors import ClientStatus, client_status
from tests.billing.conftest import session_of
from tests.factories import ClientFactory, IssuedInvoiceFactory, SessionLineFactory

pytestmark = pytest.mark.django_db

D = Decimal
TAKE_URL = reverse("admin:billing_payment_take")


def take_form(*sessions, amount="", method="card", received_on=None):
    return {
        "sessions": [s.pk for s in sessions],
        "amount": amount,
        "received_on": f"{received_on or timezone.localdate():%Y-%m-%d}",
        "method": method,
        "reference": "Slip 4411",
    }


def test_take_payment_from_the_appointment_row_pays_the_session(admin_client, direct_client):
    first, second = session_of(direct_client, day=3), session_of(direct_client, day=10)

    row_action = reverse("admin:scheduling_appointment_take_payment", args=[second.pk])
    response = admin_client.get(row_action)
    assert response.status_code == 302
    assert response.url == f"{TAKE_URL}?appointment={second.pk}"

    page = admin_client.get(response.url)
    form = page.context["form"]
    assert form.initial["sessions"] == [second.pk]  # the session clicked, ticked
    assert form.initial["amount"] == D("160.00")
    assert {pk for pk, _label in form.fields["sessions"].choices} == {first.pk, second.pk}

    done = admin_client.post(response.url, take_form(second))

    payment = Payment.objects.get()
    assert done.status_code == 302
    assert done.url == reverse("admin:billing_payment_change", args=[payment.pk])
    assert (payment.client, payment.amount, payment.method) == (direct_client, D("160.00"), "card")
    assert PaymentAllocation.objects.get().appointment == second
    second.refresh_from_db()
    assert second.paid_at is not None
    assert Receipt.objects.get(payment=payment)
    assert client_status(client=direct_client) == ClientStatus.NORMAL  # one unpaid left
    followed = admin_client.get(done.url)
    assert "receipt RCP-" in " ".join(str(m) for m in followed.context["messages"])


def test_take_payment_from_the_client_page_lists_what_they_owe(admin_client, direct_client):
    owed = [session_of(direct_client, day=3), session_of(direct_client, day=10)]
    paid = session_of(direct_client, day=17)
    session_of(direct_client, day=24, status="cancelled")
    admin_client.post(f"{TAKE_URL}?client={direct_client.pk}", take_form(paid))

    action = reverse("admin:caseload_client_take_payment", args=[direct_client.pk])
    response = admin_client.get(action)
    assert response.url == f"{TAKE_URL}?client={direct_client.pk}"
    page = admin_client.get(response.url)
    assert {pk for pk, _label in page.context["form"].fields["sessions"].choices} == {
        s.pk for s in owed
    }

    admin_client.post(response.url, take_form(*owed, amount="400.00", method="e-transfer"))

    payment = Payment.objects.latest("pk")
    assert payment.allocated_amount == D("320.00")
    assert payment.amount - payment.allocated_amount == D("80.00")  # kept as credit


def test_a_session_billed_to_a_payer_says_why_it_cannot_be_paid_here(admin_client, authorization):
    session = session_of(authorization.client, day=3, authorization=authorization)

    page = admin_client.get(f"{TAKE_URL}?appointment={session.pk}")

    assert page.status_code == 200
    assert "not billed to the client (billed to the payer)" in page.content.decode()
    assert "has no session to pay" in page.content.decode()


def test_nothing_ticked_is_a_form_error_and_records_nothing(admin_client, direct_client):
    session_of(direct_client, day=3)
    page = admin_client.post(f"{TAKE_URL}?client={direct_client.pk}", take_form())
    assert page.status_code == 200
    assert page.context["form"].errors["sessions"]
    assert not Payment.objects.exists()


def test_too_little_money_is_refused_with_the_reason(admin_client, direct_client):
    session = session_of(direct_client, day=3)
    page = admin_client.post(
        f"{TAKE_URL}?client={direct_client.pk}", take_form(session, amount="100.00")
    )
    assert "cost 160.00 but only 100.00" in page.content.decode()
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "query", ["appointment=999999", "appointment=abc", "client=999999", "client=abc", ""]
)
def test_bad_ids_answer_404(admin_client, query):
    assert admin_client.get(f"{TAKE_URL}?{query}").status_code == 404


def test_read_only_staff_cannot_take_payment(client, roles, direct_client):
    session = session_of(direct_client, day=3)
    client.force_login(user_create(username="reader", role=Role.READ_ONLY))
    assert client.get(f"{TAKE_URL}?appointment={session.pk}").status_code == 403
    assert (
        client.post(f"{TAKE_URL}?appointment={session.pk}", take_form(session)).status_code == 403
    )
    assert not Payment.objects.exists()


def test_the_take_payment_page_costs_the_same_queries_for_many_sessions(admin_client):
    def queries_for(count):
        client = ClientFactory(kind="direct")
        sessions = [session_of(client, day=1 + i) for i in range(count)]
        url = f"{TAKE_URL}?appointment={sessions[0].pk}"
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url).status_code == 200
        return len(queries)

    queries_for(1)
    assert queries_for(2) == queries_for(20)


# --- The payment form: sessions selectable beside invoices ---------------------------------


def payment_form(client, amount, rows):
    form = {
        "client": client.pk,
        "amount": amount,
        "received_on": "2026-03-10",
        "method": "card",
        "reference": "",
        "notes": "",
        "allocations-TOTAL_FORMS": str(len(rows)),
        "allocations-INITIAL_FORMS": "0",
        "allocations-MIN_NUM_FORMS": "0",
        "allocations-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        form.update({f"allocations-{i}-{name}": value for name, value in row.items()})
    return form


def test_the_payment_form_pays_an_invoice_and_a_session_together(admin_client, direct_client):
    invoice = IssuedInvoiceFactory(payer=None, client=direct_client, total_amount=D("150.00"))
    SessionLineFactory(
        invoice=invoice, appointment=session_of(direct_client, day=3), unit_amount=D("150.00")
    )
    session = session_of(direct_client, day=10)

    response = admin_client.post(
        reverse("admin:billing_payment_add"),
        payment_form(
            direct_client,
            "310.00",
            [{"invoice": invoice.pk, "amount": "150.00"}, {"appointment": session.pk}],
        ),
    )

    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.allocated_amount == D("310.00")
    assert PaymentAllocation.objects.get(appointment=session).amount == D("160.00")
    invoice.refresh_from_db()
    assert invoice.paid_amount == D("150.00")


def test_the_payment_form_totals_are_checked_by_the_payments_service(admin_client, direct_client):
    invoice = IssuedInvoiceFactory(payer=None, client=direct_client, total_amount=D("150.00"))
    session = session_of(direct_client, day=10)

    response = admin_client.post(
        reverse("admin:billing_payment_add"),
        payment_form(
            direct_client,
            "200.00",
            [{"invoice": invoice.pk, "amount": "150.00"}, {"appointment": session.pk}],
        ),
    )

    assert response.status_code == 200
    assert "The sessions cost 160.00 but only 50.00 of the payment is left." in (
        response.content.decode()
    )
    assert not Payment.objects.exists()


def test_a_row_names_an_invoice_or_a_session(admin_client, direct_client):
    invoice = IssuedInvoiceFactory(payer=None, client=direct_client, total_amount=D("150.00"))
    session = session_of(direct_client, day=10)
    response = admin_client.post(
        reverse("admin:billing_payment_add"),
        payment_form(
            direct_client,
            "200.00",
            [{"invoice": invoice.pk, "appointment": session.pk, "amount": "10.00"}],
        ),
    )
    assert "Choose an invoice or a session (one of them)." in response.content.decode()
    assert not Payment.objects.exists()


def test_credit_on_a_recorded_payment_pays_a_session_from_its_page(admin_client, direct_client):
    admin_client.post(reverse("admin:billing_payment_add"), payment_form(direct_client, "200", []))
    payment = Payment.objects.get()
    session = session_of(direct_client, day=10)
    change = reverse("admin:billing_payment_change", args=[payment.pk])
    form = payment_form(direct_client, "200.00", [{"appointment": session.pk}])

    response = admin_client.post(change, form)

    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.allocated_amount == D("160.00")
    assert admin_client.get(change).status_code == 200


@pytest.fixture
def english_after():
    """A request in French leaves French active in this thread: the next tests read English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_the_pages_speak_canadian_french(admin_client, direct_client, english_after):
    session = session_of(direct_client, day=3)
    take = admin_client.get(f"{TAKE_URL}?appointment={session.pk}", HTTP_ACCEPT_LANGUAGE="fr-CA")
    assert "Encaisser un paiement de" in take.content.decode()
    assert "Enregistrer le paiement" in take.content.decode()
    set_aside = admin_client.get(
        reverse("admin:billing_invoice_set_aside"), HTTP_ACCEPT_LANGUAGE="fr-CA"
    )
    assert "Séances mises de côté aux limites du tiers payeur" in set_aside.content.decode()
