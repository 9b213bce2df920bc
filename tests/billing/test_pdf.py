"""Invoice and receipt PDFs: payer fields, language, accents, and no resource fetched
(docs/quality.md, PDF resources)."""

import logging
from datetime import date
from decimal import Decimal

import pytest

from backoffice.billing.models import InvoiceKind, InvoiceStatus, PaymentAllocation, Receipt
from backoffice.billing.services import invoice_pdf, receipt_pdf
from backoffice.caseload.models import ClientKind, Designation
from backoffice.documents.pdf import FONTS_DIR, REFUSED, html_to_pdf, link_callback
from tests.billing.documents import issued_invoice, line_for, overlapping_text, pdf_text
from tests.factories import (
    AuthorizationFactory,
    ClientFactory,
    PayerFactory,
    PaymentFactory,
    ServiceTypeFactory,
    TherapistFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def payer_invoice():
    payer = PayerFactory(name="Pacific Mutual", vendor_number="VN-77123")
    therapist = TherapistFactory(
        first_name="Amélie",
        last_name="Nguyen",
        designation=Designation.RCC,
        registration_number="RCC-4411",
    )
    client = ClientFactory(
        kind=ClientKind.INDIRECT,
        first_name="Hélène",
        last_name="Côté-Lévesque",
        date_of_birth=date(1979, 11, 3),
        primary_therapist=therapist,
    )
    authorization = AuthorizationFactory(client=client, payer=payer, reference_number="CLM-55821")
    invoice = issued_invoice(
        payer=payer,
        number="INV-2026-00042",
        subtotal_amount=Decimal("1300.00"),
        total_amount=Decimal("1300.00"),
        notes='<img src="http://169.254.169.254/latest/meta-data/"> file:///etc/passwd',
    )
    for _ in range(2):
        line_for(
            invoice,
            client=client,
            authorization=authorization,
            unit_amount=Decimal("650.00"),
            total_amount=Decimal("650.00"),
        )
    return invoice


def test_payer_invoice_prints_what_payers_require(payer_invoice):
    text = pdf_text(invoice_pdf(invoice=payer_invoice))

    assert "INV-2026-00042" in text
    assert "VN-77123" in text  # our vendor number with this payer
    assert "Hélène Côté-Lévesque" in text
    assert "1979-11-03" in text  # date of birth
    assert "CLM-55821" in text
    assert "Amélie Nguyen" in text and "RCC-4411" in text
    assert "Registered Clinical Counsellor" in text
    assert "2026-04-01" in text and "2026-05-01" in text  # invoice and due dates
    assert "$650.00" in text and "$1,300.00" in text
    assert "Caseload Counselling" in text  # letterhead
    assert "Tax" not in text  # exempt lines show no tax column


def test_french_payer_gets_a_french_invoice(payer_invoice):
    payer_invoice.language = "fr-ca"
    text = pdf_text(invoice_pdf(invoice=payer_invoice))

    assert "Facture" in text
    assert "Séance individuelle" in text
    assert "1\xa0300,00\xa0$" in text or "1 300,00 $" in text
    assert "Hélène Côté-Lévesque" in text


def test_tax_appears_per_line_only_when_taxable(payer_invoice):
    report = ServiceTypeFactory(code="report", name="Insurer report", tax_rate=Decimal("0.05"))
    line = payer_invoice.lines.first()
    line_for(
        payer_invoice,
        service_type=report,
        client=line.client,
        unit_amount=Decimal("200.00"),
        tax_rate=Decimal("0.05"),
        tax_amount=Decimal("10.00"),
        total_amount=Decimal("210.00"),
    )
    payer_invoice.tax_amount = Decimal("10.00")
    text = pdf_text(invoice_pdf(invoice=payer_invoice))

    assert "Tax" in text
    assert "$10.00" in text and "$210.00" in text


def test_draft_and_credit_note_say_what_they_are(payer_invoice):
    credit = issued_invoice(
        payer=payer_invoice.payer,
        kind=InvoiceKind.CREDIT_NOTE,
        number="CN-2026-00001",
        credited_invoice=payer_invoice,
        total_amount=Decimal("-650.00"),
    )
    assert "INV-2026-00042" in pdf_text(invoice_pdf(invoice=credit))
    assert "Credit note" in pdf_text(invoice_pdf(invoice=credit))
    draft = issued_invoice(client=ClientFactory(), status=InvoiceStatus.DRAFT, issued_on=None)
    assert "DRAFT" in pdf_text(invoice_pdf(invoice=draft))


def test_note_markup_is_printed_as_text_not_fetched(payer_invoice, caplog):
    with caplog.at_level(logging.WARNING, logger="backoffice.documents.pdf"):
        text = pdf_text(invoice_pdf(invoice=payer_invoice))

    assert "169.254.169.254" in text  # autoescaped: the tag is shown, never an image
    assert "file:///etc/passwd" in text
    assert "PDF resource refused" not in caplog.text  # only the fonts were asked for


@pytest.mark.parametrize(
    "uri",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/logo.png",
        "//example.com/logo.png",
        "file:///etc/passwd",
        "/etc/passwd",
        "../../settings.py",
        "../fonts/../pdf.py",
        "data:image/png;base64,AAAA",
        "LICENSE",
    ],
)
def test_link_callback_refuses_everything_but_the_fonts(uri):
    assert link_callback(uri, None) == REFUSED


def test_link_callback_allows_the_embedded_fonts():
    assert link_callback("DejaVuSans.ttf", None) == str(FONTS_DIR / "DejaVuSans.ttf")


def test_markup_with_remote_and_local_images_renders_without_fetching(caplog):
    html = (
        "<html><body><p>Hélène</p>"
        '<img src="http://169.254.169.254/latest/meta-data/">'
        '<img src="file:///etc/passwd"><img src="/etc/hostname">'
        "</body></html>"
    )
    with caplog.at_level(logging.WARNING, logger="backoffice.documents.pdf"):
        content = html_to_pdf(html)

    assert "Hélène" in pdf_text(content)
    refusals = [r for r in caplog.records if r.getMessage().startswith("PDF resource refused")]
    assert len(refusals) >= 3


def test_fonts_are_embedded_with_their_licence():
    assert (FONTS_DIR / "LICENSE").read_text().startswith("DejaVu Sans")


def test_receipt_is_paid_in_full_with_provider_credentials():
    therapist = TherapistFactory(
        first_name="Élodie", last_name="Roy", registration_number="PSY-2020"
    )
    client = ClientFactory(
        first_name="Hélène",
        last_name="Côté-Lévesque",
        primary_therapist=therapist,
        preferred_language="fr-ca",
    )
    invoice = issued_invoice(
        client=client,
        language="fr-ca",
        total_amount=Decimal("160.00"),
        paid_amount=Decimal("160.00"),
    )
    line_for(invoice, client=client, unit_amount=Decimal("160.00"), total_amount=Decimal("160.00"))
    payment = PaymentFactory(
        payer=None, client=client, amount=Decimal("160.00"), allocated_amount=Decimal("160.00")
    )
    PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=Decimal("160.00"))
    receipt = Receipt.objects.create(
        number="RCP-2026-00009", payment=payment, issued_on=date(2026, 4, 15)
    )

    text = pdf_text(receipt_pdf(receipt=receipt))

    assert "PAYÉ EN ENTIER" in text
    assert "RCP-2026-00009" in text
    assert "Hélène Côté-Lévesque" in text
    assert "Élodie Roy" in text and "PSY-2020" in text
    assert "604-555-0100" in text  # the provider's phone, from the letterhead
    assert "160,00" in text


@pytest.mark.parametrize("language", ["en", "fr-ca"])
def test_taxed_lines_keep_their_columns_apart(language):
    """A taxable report of four figures: fee, tax and total each fit their column."""
    invoice = issued_invoice(
        payer=PayerFactory(name="Pacific Mutual"),
        language=language,
        subtotal_amount=Decimal("12345.67"),
        tax_amount=Decimal("617.28"),
        total_amount=Decimal("12962.95"),
    )
    report = ServiceTypeFactory(code="insurer-report", name="Insurer report", tax_rate="0.05")
    line_for(
        invoice,
        client=ClientFactory(first_name="Hélène", last_name="Côté-Lévesque"),
        service_type=report,
        description="Insurer report",
        unit_amount=Decimal("12345.67"),
        tax_rate=Decimal("0.05"),
        tax_amount=Decimal("617.28"),
        total_amount=Decimal("12962.95"),
    )

    content = invoice_pdf(invoice=invoice)

    assert overlapping_text(content) == []
    assert "12,962.95" in pdf_text(content) or "12 962,95" in pdf_text(content)
