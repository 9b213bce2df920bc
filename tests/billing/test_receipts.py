"""A client's payment gets a numbered receipt from the locked counter, sent once committed."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from backoffice.billing.models import DocumentCounter, Payment, Receipt
from backoffice.billing.services import sending
from backoffice.billing.services.payments import payment_record
from backoffice.caseload.models import ClientKind
from tests.factories import ClientFactory, PayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Receipt numbers handed to billing.services.sending.receipt_send (stubbed: the sending
    work tests the email itself)."""
    calls = []
    monkeypatch.setattr(
        sending, "receipt_send", lambda *, receipt, by=None: calls.append(receipt.number)
    )
    return calls


def pay(client, amount="160.00"):
    return payment_record(
        client=client,
        amount=Decimal(amount),
        received_on=date(2026, 4, 10),
        method="card",
    )


def test_client_payments_get_sequential_receipt_numbers(sent, django_capture_on_commit_callbacks):
    year = timezone.localdate().year
    client = ClientFactory(kind=ClientKind.DIRECT)

    with django_capture_on_commit_callbacks(execute=True):
        first = pay(client)
        second = pay(ClientFactory(kind=ClientKind.DIRECT), "80.00")

    assert first.receipt.number == f"RCP-{year}-00001"
    assert second.receipt.number == f"RCP-{year}-00002"
    assert first.receipt.issued_on == timezone.localdate()
    assert DocumentCounter.objects.get(series="RCP", year=year).last_number == 2
    assert sent == [f"RCP-{year}-00001", f"RCP-{year}-00002"]


def test_nothing_is_sent_before_commit(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pay(ClientFactory(kind=ClientKind.DIRECT))
    assert sent == []
    # One callback sends the receipt (others, e.g. the worklist's events, send nothing).
    sends = [c for c in callbacks if c.__qualname__.startswith("receipt_send_on_commit")]
    assert len(sends) == 1


def test_payer_payments_get_no_receipt(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_record(
            payer=PayerFactory(),
            amount=Decimal("300.00"),
            received_on=date(2026, 4, 10),
            method="cheque",
        )
    assert not Receipt.objects.filter(payment=payment).exists()
    assert not DocumentCounter.objects.exists()
    assert sent == []


def test_a_refused_payment_takes_no_receipt_number(sent):
    client = ClientFactory(kind=ClientKind.DIRECT)
    with pytest.raises(ValidationError):
        payment_record(
            client=client, amount=Decimal("-1"), received_on=date(2026, 4, 10), method="card"
        )
    pay(client)
    assert Payment.objects.get().receipt.number.endswith("-00001")


def test_a_receipt_that_cannot_be_sent_keeps_the_payment(
    sent, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*, receipt, by=None):
        raise ValidationError("No email address")

    monkeypatch.setattr(sending, "receipt_send", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(ClientFactory(kind=ClientKind.DIRECT, email=""))
    assert Payment.objects.filter(pk=payment.pk).exists()
    assert payment.receipt.number.endswith("-00001")


def test_the_receipt_email_is_queued_in_the_outbox(
    django_capture_on_commit_callbacks, tmp_path, settings
):
    from backoffice.messaging.models import OutboxMessage

    settings.MEDIA_ROOT = tmp_path
    client = ClientFactory(kind=ClientKind.DIRECT, email="emilie@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(client)
    message = OutboxMessage.objects.get(recipient="emilie@example.test")
    assert payment.receipt.number in message.dedupe_key
