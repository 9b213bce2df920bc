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
