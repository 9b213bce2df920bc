"""Recording and allocating payments: partial, multi-invoice cheques, credit, refusals, sessions
paid, and the client colour that follows."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from backoffice.billing.models import InvoiceStatus, Payment, PaymentAllocation
from backoffice.billing.selectors import ClientStatus, client_status
from backoffice.billing.services.payments import (
    payment_allocate,
    payment_allocate_oldest,
    payment_record,
)
from backoffice.caseload.models import ClientKind
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    IssuedInvoiceFactory,
    PayerFactory,
    PaymentFactory,
    SessionLineFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def receipt_numbers(monkeypatch):
    """Clients' payments get receipts; their numbering is tested in test_receipts.py."""
    numbers = iter(range(1, 1000))
    monkeypatch.setattr(
        "backoffice.billing.services.payments._receipt_number",
        lambda *, issued_on: f"TEST-{next(numbers)}",
    )


def sessions_invoice(*, payer=None, client=None, amounts=("150.00", "150.00"), **kwargs):
    """An issued invoice with one completed session per amount."""
    invoice = IssuedInvoiceFactory(
        payer=payer,
        client=client,
        total_amount=sum((D(a) for a in amounts), D(0)),
        **kwargs,
    )
    lines = []
    for amount in amounts:  # the factory's start times increase: service dates in order
        appointment = AppointmentFactory(
            status="completed", **({"billing_client": client} if client else {})
        )
        lines.append(
            SessionLineFactory(invoice=invoice, appointment=appointment, unit_amount=D(amount))
        )
    return invoice, lines


def refresh(*objects):
    for obj in objects:
        obj.refresh_from_db()


def test_partial_payment_leaves_the_rest_open_and_pays_whole_sessions_in_date_order():
    payer = PayerFactory()
    invoice, (first, second) = sessions_invoice(payer=payer)

    payment = payment_record(
        payer=payer,
        amount=D("200.00"),
        received_on=date(2026, 4, 10),
        method="cheque",
        allocations=[(invoice, D("200.00"))],
    )

    refresh(invoice, first.appointment, second.appointment)
    assert invoice.paid_amount == D("200.00")
    assert payment.allocated_amount == D("200.00")
    assert first.appointment.paid_at.date() == date(2026, 4, 10)
    assert second.appointment.paid_at is None  # 50 of its 150 is not a whole session


def test_paying_the_rest_pays_every_session_with_the_second_payment_date():
    payer = PayerFactory()
    invoice, (first, second) = sessions_invoice(payer=payer)
    payment_record(
        payer=payer,
        amount=D("150.00"),
        received_on=date(2026, 4, 10),
        method="eft",
        allocations=[(invoice, D("150.00"))],
    )
    payment_record(
        payer=payer,
        amount=D("150.00"),
        received_on=date(2026, 5, 2),
        method="eft",
        allocations=[(invoice, D("150.00"))],
    )

    refresh(invoice, first.appointment, second.appointment)
    assert invoice.paid_amount == invoice.total_amount
    assert first.appointment.paid_at.date() == date(2026, 4, 10)  # kept, not rewritten
    assert second.appointment.paid_at.date() == date(2026, 5, 2)
    assert second.appointment.history.first().paid_at is not None  # bulk path kept history


def test_one_payer_cheque_across_many_clients_invoices():
    payer = PayerFactory()
    invoices = [sessions_invoice(payer=payer, amounts=("120.00",))[0] for _ in range(3)]

    payment = payment_record(
        payer=payer,
        amount=D("360.00"),
        received_on=date(2026, 4, 10),
        method="cheque",
        reference="CHQ 1042",
        allocations=[(invoice, D("120.00")) for invoice in invoices],
    )

    assert payment.allocations.count() == 3
    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.paid_amount == D("120.00")
    assert len({invoice.lines.get().client_id for invoice in invoices}) == 3


def test_overpayment_is_kept_as_credit_and_can_be_spent_later():
    payer = PayerFactory()
    first, _ = sessions_invoice(payer=payer, amounts=("100.00",))
    payment = payment_record(
        payer=payer,
        amount=D("250.00"),
        received_on=date(2026, 4, 10),
        method="cheque",
        allocations=[(first, D("100.00"))],
    )
    assert payment.amount - payment.allocated_amount == D("150.00")

    later, _ = sessions_invoice(payer=payer, amounts=("90.00",), issued_on=date(2026, 5, 1))
    payment_allocate_oldest(payment=payment)

    refresh(payment, later)
    assert later.paid_amount == D("90.00")
    assert payment.amount - payment.allocated_amount == D("60.00")


def test_allocate_adds_to_an_existing_payment():
    payer = PayerFactory()
    invoice, _ = sessions_invoice(payer=payer)
    payment = PaymentFactory(payer=payer, amount=D("300.00"))

    payment_allocate(payment=payment, invoice=invoice, amount=D("300.00"))

    refresh(payment, invoice)
    assert payment.allocated_amount == D("300.00") == invoice.paid_amount
    assert PaymentAllocation.objects.get().amount == D("300.00")


@pytest.mark.parametrize(
    "case, message",
    [
        ("beyond the invoice", "still open"),
        ("beyond the payment", "of the payment is left"),
        ("draft invoice", "not an issued invoice"),
        ("void invoice", "not an issued invoice"),
        ("another payer", "not billed to this payer"),
        ("zero", "more than 0"),
    ],
)
def test_refused_allocations_change_nothing(case, message):
    payer = PayerFactory()
    invoice, (line, _) = sessions_invoice(payer=payer)
    payment = PaymentFactory(payer=payer, amount=D("200.00"))
    amount = D("150.00")
    if case == "beyond the invoice":
        payment.amount = D("500.00")
        payment.save()
        amount = D("300.01")
    elif case == "beyond the payment":
        amount = D("200.01")
    elif case == "draft invoice":
        invoice.status = InvoiceStatus.DRAFT
        invoice.save()
    elif case == "void invoice":
        invoice.status = InvoiceStatus.VOID
        invoice.save()
    elif case == "another payer":
        payment.payer = PayerFactory()
        payment.save()
    elif case == "zero":
        amount = D("0")

    with pytest.raises(ValidationError, match=message):
        payment_allocate(payment=payment, invoice=invoice, amount=amount)

    refresh(payment, invoice, line.appointment)
    assert payment.allocated_amount == 0
    assert invoice.paid_amount == 0
    assert line.appointment.paid_at is None
    assert not PaymentAllocation.objects.exists()


def test_a_client_payment_goes_only_to_the_clients_own_invoices():
    client = ClientFactory(kind=ClientKind.DIRECT)
    payer_invoice_for_client, _ = sessions_invoice(
        payer=PayerFactory(), client=client, amounts=("80.00",)
    )
    someone_elses, _ = sessions_invoice(client=ClientFactory(), amounts=("80.00",))

    for invoice in (payer_invoice_for_client, someone_elses):
        with pytest.raises(ValidationError, match="not billed to this client"):
            payment_record(
                client=client,
                amount=D("80.00"),
                received_on=date(2026, 4, 10),
                method="card",
                allocations=[(invoice, D("80.00"))],
            )
    assert not Payment.objects.exists()


def test_a_payment_comes_from_one_bill_to():
    with pytest.raises(ValidationError):
        payment_record(amount=D("10"), received_on=date(2026, 4, 1), method="cash")
    with pytest.raises(ValidationError):
        payment_record(
            payer=PayerFactory(),
            client=ClientFactory(),
            amount=D("10"),
            received_on=date(2026, 4, 1),
            method="cash",
        )


def test_repeated_allocations_to_one_invoice_are_checked_together():
    payer = PayerFactory()
    invoice, _ = sessions_invoice(payer=payer, amounts=("100.00",))
    with pytest.raises(ValidationError, match="still open"):
        payment_record(
            payer=payer,
            amount=D("200.00"),
            received_on=date(2026, 4, 10),
            method="cheque",
            allocations=[(invoice, D("60.00")), (invoice, D("60.00"))],
        )


def test_a_direct_clients_colour_turns_back_when_sessions_are_paid():
    client = ClientFactory(kind=ClientKind.DIRECT)
    invoice, _ = sessions_invoice(client=client, payer=None, amounts=("160.00", "160.00"))
    assert client_status(client=client) == ClientStatus.RED  # two unpaid sessions

    payment_record(
        client=client,
        amount=D("160.00"),
        received_on=date(2026, 4, 10),
        method="e-transfer",
        allocations=[(invoice, D("160.00"))],
    )
    assert client_status(client=client) == ClientStatus.NORMAL  # one unpaid left


def test_allocating_a_cheque_over_many_invoices_takes_constant_queries(
    django_assert_max_num_queries,
):
    payer = PayerFactory()
    for _ in range(30):
        sessions_invoice(payer=payer, amounts=("50.00",))
    payment = PaymentFactory(payer=payer, amount=D("1500.00"))
    with django_assert_max_num_queries(15):  # the same for 3 invoices or 300
        payment_allocate_oldest(payment=payment)
    assert payment.allocated_amount == D("1500.00")


# --- The admin: a payment with its allocations is one service call ------------------------


def add_form(payer, invoice, amount, allocated="100.00"):
    return {
        "payer": payer.pk,
        "amount": amount,
        "received_on": "2026-04-10",
        "method": "cheque",
        "reference": "CHQ 12",
        "notes": "",
        "allocations-TOTAL_FORMS": "1",
        "allocations-INITIAL_FORMS": "0",
        "allocations-MIN_NUM_FORMS": "0",
        "allocations-MAX_NUM_FORMS": "1000",
        "allocations-0-invoice": invoice.pk,
        "allocations-0-amount": allocated,
    }


def test_admin_records_a_payment_with_its_allocation(admin_client):
    from django.urls import reverse

    payer = PayerFactory()
    invoice, (line, _) = sessions_invoice(payer=payer)
    response = admin_client.post(
        reverse("admin:billing_payment_add"), add_form(payer, invoice, "400.00", "150.00")
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount, payment.allocated_amount) == (D("400.00"), D("150.00"))
    line.appointment.refresh_from_db()
    assert line.appointment.paid_at is not None
    assert (
        admin_client.get(reverse("admin:billing_payment_change", args=[payment.pk])).status_code
        == 200
    )


def test_admin_refuses_an_over_allocation_on_the_form(admin_client):
    from django.urls import reverse

    payer = PayerFactory()
    invoice, _ = sessions_invoice(payer=payer)
    response = admin_client.post(
        reverse("admin:billing_payment_add"), add_form(payer, invoice, "500.00", "300.01")
    )
    assert response.status_code == 200
    assert "still open" in response.content.decode()
    assert not Payment.objects.exists()
