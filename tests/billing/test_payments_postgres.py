"""Two allocations racing for the last open balance of one invoice, on PostgreSQL.

Both payments exist and each has enough money; the invoice's row lock makes the second
read the balance after the first commits, so it is refused instead of over-paying.
"""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from backoffice.billing.models import Invoice
from backoffice.billing.services.payments import payment_allocate
from tests.factories import IssuedInvoiceFactory, PayerFactory, PaymentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; row locks matter on PostgreSQL")


def test_concurrent_allocations_never_over_pay_an_invoice():
    payer = PayerFactory()
    invoice = IssuedInvoiceFactory(payer=payer, total_amount=Decimal("300.00"))
    payments = [PaymentFactory(payer=payer, amount=Decimal("300.00")) for _ in range(4)]
    barrier = threading.Barrier(len(payments), timeout=15)
    outcomes = []

    def allocate(payment):
        try:
            barrier.wait()
            payment_allocate(payment=payment, invoice=invoice, amount=Decimal("200.00"))
            outcomes.append("allocated")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate, args=(p,)) for p in payments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["allocated", "refused", "refused", "refused"]
    assert Invoice.objects.get(pk=invoice.pk).paid_amount == Decimal("200.00")


def test_a_session_paid_while_its_month_is_invoiced_lands_on_its_line():
    """Staff take payments at the desk while finance runs the month: whichever commits first,
    every paid session's money ends on the line that bills it (the client row lock)."""
    from datetime import date

    from backoffice.billing.models import InvoiceLine, PaymentAllocation
    from backoffice.billing.services import invoices_generate
    from backoffice.billing.services.payments import payment_record
    from tests.billing.conftest import session_of
    from tests.factories import ClientFactory

    sessions = [session_of(ClientFactory(kind="direct"), day=1 + i % 28) for i in range(30)]
    barrier = threading.Barrier(2, timeout=15)
    errors = []

    def run_month():
        try:
            barrier.wait()
            invoices_generate(month=date(2026, 3, 1))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    def take_payments():
        try:
            barrier.wait()
            for session in sessions:
                payment_record(
                    client=session.billing_client,
                    amount=session.fee_amount,
                    received_on=date(2026, 3, 31),
                    method="card",
                    sessions=[session],
                    send_receipt=False,
                )
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_month), threading.Thread(target=take_payments)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    lines = dict(InvoiceLine.objects.values_list("appointment_id", "invoice_id"))
    assert len(lines) == 30
    allocations = PaymentAllocation.objects.all()
    assert {a.appointment_id: a.invoice_id for a in allocations} == lines
    for invoice in Invoice.objects.all():
        assert invoice.paid_amount == invoice.total_amount
