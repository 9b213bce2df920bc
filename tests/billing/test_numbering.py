"""Document numbers: sequential per series and year, no gaps, even when issued concurrently."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from backoffice.billing.models import DocumentCounter, DocumentSeries, Invoice
from backoffice.billing.services import document_number_next, invoice_issue, invoices_generate
from tests.billing.conftest import MARCH, session_of
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_numbers_follow_each_other_per_series_and_year():
    taken = [document_number_next(series=DocumentSeries.INVOICE, year=2026) for _ in range(3)]
    taken.append(document_number_next(series=DocumentSeries.CREDIT_NOTE, year=2026))
    taken.append(document_number_next(series=DocumentSeries.INVOICE, year=2027))
    taken.append(document_number_next(series=DocumentSeries.RECEIPT, year=2026))

    assert taken == [
        "INV-2026-00001",
        "INV-2026-00002",
        "INV-2026-00003",
        "CN-2026-00001",
        "INV-2027-00001",
        "RCP-2026-00001",
    ]


def test_a_number_taken_in_a_transaction_that_fails_is_given_again():
    document_number_next(series=DocumentSeries.INVOICE, year=2026)
    with pytest.raises(RuntimeError), transaction.atomic():
        document_number_next(series=DocumentSeries.INVOICE, year=2026)
        raise RuntimeError("issuing failed after the number was taken")

    assert document_number_next(series=DocumentSeries.INVOICE, year=2026) == "INV-2026-00002"


def test_issuing_numbers_the_invoice_and_sets_its_dates_and_language(direct_client, payer):
    direct_client.preferred_language = "fr-ca"
    direct_client.save()
    payer.invoice_terms_days = 45
    payer.save()
    session_of(direct_client)

    [invoice] = invoices_generate(month=MARCH)
    issued = invoice_issue(invoice=invoice, issued_on=date(2026, 4, 2))

    assert (issued.number, issued.status, issued.issued_on) == (
        "INV-2026-00001",
        "issued",
        date(2026, 4, 2),
    )
    assert issued.due_on == date(2026, 5, 2)  # 30 days for a client
    assert issued.language == "fr-ca"
    with pytest.raises(ValidationError):
        invoice_issue(invoice=issued)
    assert DocumentCounter.objects.get().last_number == 1


def test_a_payer_invoice_is_due_after_the_payer_terms(payer, authorization):
    payer.invoice_terms_days = 45
    payer.language = "fr-ca"
    payer.save()
    session_of(authorization.client, authorization=authorization)
    [invoice] = invoices_generate(month=MARCH)

    issued = invoice_issue(invoice=invoice, issued_on=date(2026, 4, 1))

    assert (issued.due_on, issued.language) == (date(2026, 5, 16), "fr-ca")


def test_a_due_date_set_on_the_draft_is_kept(direct_client):
    session_of(direct_client)
    [invoice] = invoices_generate(month=MARCH)
    invoice.due_on = date(2026, 4, 10)
    invoice.save()

    assert invoice_issue(invoice=invoice, issued_on=date(2026, 4, 1)).due_on == date(2026, 4, 10)


def test_an_empty_draft_is_not_issued(direct_client):
    session_of(direct_client)
    [invoice] = invoices_generate(month=MARCH)
    invoice.lines.all().delete()

    with pytest.raises(ValidationError, match="no lines"):
        invoice_issue(invoice=invoice)
    assert not DocumentCounter.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_invoices_issued_concurrently_get_numbers_one_to_n():
    threads_count = 8
    for i in range(threads_count):
        session_of(ClientFactory(kind="direct"), day=1 + i)
    drafts = list(invoices_generate(month=MARCH))
    barrier = threading.Barrier(threads_count)
    errors = []

    def issue(invoice):
        try:
            barrier.wait()
            invoice_issue(invoice=invoice, issued_on=date(2026, 4, 1))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:05d}" for n in range(1, threads_count + 1)]
