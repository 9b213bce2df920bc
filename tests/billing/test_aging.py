"""Receivables aging: open balances by days past the invoice date, overdue flagged, totals,
constant queries; the admin page links each bill-to to its invoices."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice.billing.models import InvoiceKind, InvoiceStatus
from backoffice.billing.selectors import receivables_aging
from tests.factories import ClientFactory, IssuedInvoiceFactory, PayerFactory

pytestmark = pytest.mark.django_db

ON = date(2026, 6, 30)
D = Decimal


def invoice_aged(days: int, *, total="100.00", paid="0.00", due_in=30, **kwargs):
    issued_on = ON - timedelta(days=days)
    return IssuedInvoiceFactory(
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=due_in),
        total_amount=D(total),
        paid_amount=D(paid),
        **kwargs,
    )


@pytest.fixture
def books():
    icbc = PayerFactory(name="ICBC")
    eap = PayerFactory(name="Acme EAP")
    client = ClientFactory(last_name="Côté", first_name="Émilie")
    for days, total, paid in [(0, "100", "0"), (30, "50", "0"), (31, "200", "50"), (60, "10", "0")]:
        invoice_aged(days, total=total, paid=paid, payer=icbc)
    invoice_aged(61, total="70", payer=icbc)
    invoice_aged(90, total="30", payer=icbc)
    invoice_aged(91, total="400", payer=icbc)
    invoice_aged(200, total="100", paid="100", payer=icbc)  # paid: not owed
    invoice_aged(10, total="80", payer=eap, status=InvoiceStatus.DRAFT, number=None)  # draft
    invoice_aged(5, total="160", payer=None, client=client)
    invoice_aged(45, total="160", payer=None, client=client, due_in=14)
    return {"icbc": icbc, "eap": eap, "client": client}


def test_buckets_split_by_days_past_the_invoice_date(books):
    report = receivables_aging(on=ON)

    (icbc,) = report.payers
    assert icbc.name == "ICBC"
    assert icbc.buckets == {
        "current": D("150.00"),  # 0 and 30 days
        "days_31_60": D("160.00"),  # 150 open of 200, and 10
        "days_61_90": D("100.00"),
        "days_over_90": D("400.00"),
    }
    assert icbc.total == D("810.00")
    assert icbc.invoice_count == 7


def test_overdue_is_past_the_due_date_with_a_balance(books):
    report = receivables_aging(on=ON)
    (icbc,) = report.payers
    # due 30 days after the invoice date: those older than 30 days are overdue
    assert (icbc.overdue_count, icbc.overdue_amount) == (5, D("660.00"))
    (client,) = report.clients
    assert (client.overdue_count, client.overdue_amount) == (1, D("160.00"))


def test_direct_clients_are_listed_apart_and_totals_add_up(books):
    report = receivables_aging(on=ON)
    (client,) = report.clients
    assert client.name == "Côté, Émilie"
    assert client.buckets["current"] == D("160.00")
    assert client.buckets["days_31_60"] == D("160.00")
    assert report.total == D("1130.00")
    assert report.totals["current"] == D("310.00")
    assert sum(report.totals.values()) == report.total


def test_credit_notes_reduce_what_is_owed(books):
    invoice = invoice_aged(100, total="300", payer=books["eap"])
    IssuedInvoiceFactory(
        kind=InvoiceKind.CREDIT_NOTE,
        payer=books["eap"],
        credited_invoice=invoice,
        total_amount=D("-120.00"),
        issued_on=ON,
    )
    eap = next(row for row in receivables_aging(on=ON).payers if row.name == "Acme EAP")
    assert eap.total == D("180.00")
    assert eap.buckets["days_over_90"] == D("180.00")


def test_aging_takes_two_queries_however_many_invoices(books, django_assert_num_queries):
    for _ in range(20):
        invoice_aged(40, payer=PayerFactory())
    with django_assert_num_queries(2):
        report = receivables_aging(on=ON)
    assert len(report.payers) == 21


def test_receivables_page_links_to_the_filtered_invoices(admin_client, books):
    url = reverse("admin:billing_payment_receivables")
    response = admin_client.get(url, {"on": ON.isoformat()})
    assert response.status_code == 200
    page = response.content.decode()
    assert f"payer__id__exact={books['icbc'].pk}" in page
    assert f"client__id__exact={books['client'].pk}" in page
    assert "due_on__lt=2026-06-30" in page
    assert "$1,130.00" in page  # formatted money, not a raw decimal
    invoices = admin_client.get(
        reverse("admin:billing_invoice_changelist")
        + f"?status__exact=issued&payer__isnull=True&client__id__exact={books['client'].pk}"
    )
    assert invoices.status_code == 200
    assert "?e=1" not in invoices.get("Location", "")


def test_read_only_staff_see_receivables_but_not_change_payments(client, roles, books):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    reader = UserFactory(is_staff=True)
    reader.groups.add(roles["read-only"])
    reader.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    client.force_login(reader)
    assert client.get(reverse("admin:billing_payment_receivables")).status_code == 200
    assert client.get(reverse("admin:billing_payment_add")).status_code == 403
