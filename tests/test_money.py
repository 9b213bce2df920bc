"""Money shown to a person: one format for the active language, on every admin page."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from backoffice.documents.formatting import money
from tests.factories import IssuedInvoiceFactory, PayerFactory, PaymentFactory

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("language", "amount", "shown"),
    [
        ("en", Decimal("263.03"), "$263.03"),
        ("en", Decimal("65832.1200000000"), "$65,832.12"),
        ("en", Decimal("-160"), "-$160.00"),
        ("en", Decimal("1.995"), "$2.00"),
        ("en", None, "$0.00"),
        ("fr-ca", Decimal("263.03"), "263,03 $"),
        ("fr-ca", Decimal("65832.12"), f"65{NBSP}832,12 $"),
        ("fr-ca", Decimal("-1234567.5"), f"-1{NBSP}234{NBSP}567,50 $"),
    ],
)
def test_money_in_the_active_language(language, amount, shown):
    with translation.override(language):
        assert money(amount) == shown


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "shown"), [("en", "$65,832.12"), ("fr-ca", f"65{NBSP}832,12 $")]
)
def test_admin_lists_and_read_only_pages_show_money_formatted(admin_client, language, shown):
    invoice = IssuedInvoiceFactory(total_amount=Decimal("65832.12"))
    PaymentFactory(amount=Decimal("65832.12"), payer=invoice.payer)

    for url in [
        reverse("admin:billing_invoice_changelist"),
        reverse("admin:billing_payment_changelist"),
        reverse("admin:billing_invoice_change", args=[invoice.pk]),  # issued: read-only
    ]:
        page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert shown in page, url
        assert "65832.12" not in page and "65832,12" not in page, url


@pytest.mark.django_db
def test_receivables_show_money_not_raw_decimals(admin_client):
    payer = PayerFactory(name="ICBC")
    for total in ("65000.00", "832.12"):
        IssuedInvoiceFactory(payer=payer, total_amount=Decimal(total))

    page = admin_client.get(reverse("admin:billing_payment_receivables")).content.decode()

    assert "$65,832.12" in page
    assert "65832.12" not in page
