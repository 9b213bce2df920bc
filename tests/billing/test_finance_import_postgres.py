"""Two staff confirming the same payments at once, on PostgreSQL.

The first import holds its transaction open; the second must wait on its row locks (the
invoices, then the payers paid) and, once the first commits, find the payments recorded and
refuse them, instead of recording the money a second time.
"""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from backoffice.billing.models import Payment
from backoffice.billing.services.imports import payments_import
from tests.billing.test_finance_import import csv_file
from tests.factories import IssuedInvoiceFactory, PayerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; row locks matter on PostgreSQL")


def waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def race(first_rows, second_rows):
    """The first import holds its transaction until the second is seen waiting on a lock;
    returns the second's result and whether it waited."""
    first_done, release = threading.Event(), threading.Event()
    results, errors = {}, []

    def first():
        try:
            with transaction.atomic():
                results["first"] = payments_import(name="a.csv", content=csv_file(first_rows))
                first_done.set()
                release.wait(20)
        except Exception as error:
            errors.append(error)
            first_done.set()
        finally:
            connection.close()

    def second():
        try:
            first_done.wait(20)
            results["second"] = payments_import(name="b.csv", content=csv_file(second_rows))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_done.wait(20)
    deadline = time.monotonic() + 10
    while not waiting_on_a_lock() and time.monotonic() < deadline and threads[1].is_alive():
        time.sleep(0.05)
    waited = waiting_on_a_lock() > 0
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert results["first"].saved, results["first"].problems
    return results["second"], waited


@pytest.fixture
def invoices():
    payer = PayerFactory(name="ICBC")
    return [
        IssuedInvoiceFactory(payer=payer, number=f"INV-2026-0000{n}", total_amount=Decimal("300"))
        for n in (1, 2)
    ]


def test_the_same_file_confirmed_twice_at_once_is_recorded_once(invoices):
    rows = [["ICBC", "INV-2026-00001", "100.00", "2026-04-10", "eft", "EFT-5531"]]
    second, waited = race(rows, rows)

    assert waited  # on the invoice's row lock
    assert not second.saved
    assert [(p.line, p.reason.startswith("Already recorded")) for p in second.problems] == [
        (2, True)
    ]
    assert Payment.objects.count() == 1


def test_one_payment_split_over_two_files_confirmed_at_once_is_recorded_once(invoices):
    """No invoice in common: the payer's row lock is what makes the second wait."""
    first = [["ICBC", "INV-2026-00001", "100.00", "2026-04-10", "eft", "EFT-5531"]]
    second_rows = [["ICBC", "INV-2026-00002", "100.00", "2026-04-10", "eft", "EFT 5531"]]
    second, waited = race(first, second_rows)

    assert waited
    assert [p.reason.startswith("Already recorded") for p in second.problems] == [True]
    assert Payment.objects.count() == 1
