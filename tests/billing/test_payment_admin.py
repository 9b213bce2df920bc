"""The payment and receipt pages' actions: each changes data only when pressed (POST with
CSRF, after a dialog), and a receipt's PDF needs the permission to see receipts."""

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from backoffice.billing.models import PaymentAllocation
from backoffice.documents.models import SendStatus
from backoffice.messaging.models import OutboxMessage
from tests.factories import (
    ClientFactory,
    IssuedInvoiceFactory,
    PaymentFactory,
    ReceiptFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def press(client, url):
    """Submit an action's dialog as unfold's htmx does; the messages of the next page."""
    response = client.post(url, {"_form_submitted": "True"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "HX-Redirect" in response.headers
    page = client.get(response.headers["HX-Redirect"])
    return [str(message) for message in page.context["messages"]]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_allocate_oldest_asks_on_get_and_allocates_on_post(admin_client):
    older = IssuedInvoiceFactory(total_amount=Decimal("100.00"))
    IssuedInvoiceFactory(payer=older.payer, total_amount=Decimal("300.00"))
    payment = PaymentFactory(payer=older.payer, amount=Decimal("150.00"))
    url = reverse("admin:billing_payment_allocate_oldest", args=[payment.pk])

    assert admin_client.get(url).status_code == 200
    assert not PaymentAllocation.objects.exists(), "a GET changes nothing"
    messages = press(admin_client, url)

    assert messages == ["2 invoice(s) paid from the credit; $0.00 left."]
    assert sorted(PaymentAllocation.objects.values_list("amount", flat=True)) == [
        Decimal("50.00"),
        Decimal("100.00"),
    ]


def test_send_a_receipt_again_asks_on_get_and_queues_on_post(
    admin_client, django_capture_on_commit_callbacks
):
    receipt = ReceiptFactory(payment__client=ClientFactory(email="client@example.test"))
    url = reverse("admin:billing_receipt_send_again", args=[receipt.pk])

    assert admin_client.get(url).status_code == 200
    assert not OutboxMessage.objects.exists(), "a GET changes nothing"
    with django_capture_on_commit_callbacks(execute=True):
        messages = press(admin_client, url)

    assert messages == [f"Receipt {receipt.number} queued."]
    [email] = mail.outbox
    assert email.to == ["client@example.test"]


def test_a_receipts_pdf_needs_the_permission_to_see_receipts(admin_client):
    receipt = ReceiptFactory()
    url = reverse("admin:billing_receipt_download_pdf", args=[receipt.pk])
    front_desk = Client()
    front_desk.force_login(UserFactory(username="front-desk", is_staff=True))

    assert front_desk.get(url).status_code == 403
    response = admin_client.get(url)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_a_receipt_already_emailed_is_not_offered_or_sent_again(admin_client):
    receipt = ReceiptFactory(send_status=SendStatus.SENT)
    page = admin_client.get(reverse("admin:billing_receipt_change", args=[receipt.pk]))
    url = reverse("admin:billing_receipt_send_again", args=[receipt.pk])

    assert url not in page.content.decode()
    response = admin_client.post(url, {"_form_submitted": "True"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert not OutboxMessage.objects.exists()
