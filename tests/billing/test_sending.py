"""Sending invoices and receipts: PDF stored, one outbox message, status follows the outbox."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from backoffice.billing.models import Invoice, InvoiceStatus, Receipt
from backoffice.billing.services import invoice_send, receipt_send
from backoffice.documents.models import SendStatus
from backoffice.messaging.models import OutboxMessage, OutboxStatus, Purpose
from backoffice.messaging.services import outbox_retry
from backoffice.messaging.services.documents import send_status_follow
from tests.billing.documents import issued_invoice, line_for, pdf_text
from tests.factories import ClientFactory, PayerFactory, PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def payer_invoice():
    payer = PayerFactory(name="Pacific Mutual", billing_email="claims@pacific.example")
    invoice = issued_invoice(payer=payer, number="INV-2026-00042", total_amount=Decimal("150.00"))
    line_for(invoice, client=ClientFactory(first_name="Hélène", last_name="Côté-Lévesque"))
    return invoice


def test_invoice_is_stored_queued_and_sent_with_its_pdf(
    payer_invoice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = invoice_send(invoice=payer_invoice)

    [stored] = message.attachments
    assert re.fullmatch(r"invoices/[\w-]{32}\.pdf", stored["path"]), "no number in the name"
    assert default_storage.exists(stored["path"])
    assert message.purpose == Purpose.INVOICE
    assert message.recipient == "claims@pacific.example"
    assert message.dedupe_key == f"invoice:{payer_invoice.pk}:INV-2026-00042"
    payer_invoice.refresh_from_db()
    assert payer_invoice.outbox_message == message
    assert payer_invoice.send_status == SendStatus.SENT, "the outbox task reports back"

    [email] = mail.outbox
    assert email.subject == "Invoice INV-2026-00042 from Caseload Counselling"
    [(name, content, mimetype)] = email.attachments
    assert (name, mimetype) == ("INV-2026-00042.pdf", "application/pdf")
    assert "Hélène Côté-Lévesque" in pdf_text(content)

    payer_invoice.refresh_from_db()
    assert payer_invoice.send_status == SendStatus.SENT


def test_an_invoice_queued_or_sent_is_not_sent_again(
    payer_invoice, django_capture_on_commit_callbacks
):
    invoice_send(invoice=payer_invoice)
    with pytest.raises(ValidationError, match="already queued"):
        invoice_send(invoice=payer_invoice)
    Invoice.objects.filter(pk=payer_invoice.pk).update(send_status=SendStatus.SENT)
    payer_invoice.refresh_from_db()
    with pytest.raises(ValidationError, match="already emailed"):
        invoice_send(invoice=payer_invoice)
    assert OutboxMessage.objects.count() == 1


def test_direct_client_invoice_goes_to_the_client_in_french():
    client = ClientFactory(email="helene@example.test", preferred_language="fr-ca")
    invoice = issued_invoice(client=client, language="fr-ca", number="INV-2026-00050")
    line_for(invoice, client=client)

    message = invoice_send(invoice=invoice)

    assert message.recipient == "helene@example.test"
    assert message.subject.startswith("Facture INV-2026-00050")


def test_draft_or_unreachable_invoices_are_refused():
    draft = issued_invoice(client=ClientFactory(), status=InvoiceStatus.DRAFT, issued_on=None)
    with pytest.raises(ValidationError):
        invoice_send(invoice=draft)
    no_email = issued_invoice(client=ClientFactory(email=""))
    with pytest.raises(ValidationError):
        invoice_send(invoice=no_email)
    assert not OutboxMessage.objects.exists()


def test_failed_email_shows_on_the_invoice_and_a_retry_sends_it(
    payer_invoice, django_capture_on_commit_callbacks, postmark_server
):
    postmark_server.answer = "inactive"  # the provider refuses the address
    with django_capture_on_commit_callbacks(execute=True):
        message = invoice_send(invoice=payer_invoice)
    postmark_server.answer = "ok"
    payer_invoice.refresh_from_db()
    assert payer_invoice.send_status == SendStatus.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        outbox_retry(message_ids=[message.pk])
    payer_invoice.refresh_from_db()
    assert payer_invoice.send_status == SendStatus.SENT


def test_sending_a_failed_invoice_again_retries_its_message(
    payer_invoice, django_capture_on_commit_callbacks, postmark_server
):
    postmark_server.answer = "inactive"  # the provider refuses the address
    with django_capture_on_commit_callbacks(execute=True):
        invoice_send(invoice=payer_invoice)
    postmark_server.answer = "ok"
    payer_invoice.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        invoice_send(invoice=payer_invoice)

    payer_invoice.refresh_from_db()
    assert payer_invoice.send_status == SendStatus.SENT
    assert OutboxMessage.objects.count() == 1
    assert len(postmark_server.accepted) == 1


def test_following_one_message_costs_two_queries_and_a_read(
    payer_invoice, django_assert_num_queries
):
    message = invoice_send(invoice=payer_invoice)
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.SENT)
    with django_assert_num_queries(3):
        send_status_follow(message_id=message.pk, models=[Invoice, Receipt])
    payer_invoice.refresh_from_db()
    assert payer_invoice.send_status == SendStatus.SENT


def test_receipt_is_sent_to_the_client_with_its_pdf(django_capture_on_commit_callbacks):
    client = ClientFactory(first_name="Hélène", email="helene@example.test")
    payment = PaymentFactory(payer=None, client=client, amount=Decimal("160.00"))
    receipt = Receipt.objects.create(
        number="RCP-2026-00003", payment=payment, issued_on=date(2026, 4, 15)
    )

    with django_capture_on_commit_callbacks(execute=True):
        message = receipt_send(receipt=receipt)

    [stored] = message.attachments
    assert re.fullmatch(r"receipts/[\w-]{32}\.pdf", stored["path"]), "no number in the name"
    assert default_storage.exists(stored["path"])
    assert message.purpose == Purpose.RECEIPT
    assert message.dedupe_key == f"receipt:{receipt.pk}:RCP-2026-00003"
    [email] = mail.outbox
    assert email.to == ["helene@example.test"]
    assert "RCP-2026-00003" in email.subject
    assert "$160.00" in email.body
    receipt.refresh_from_db()
    assert receipt.outbox_message == message
