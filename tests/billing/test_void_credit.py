"""Void and credit: sessions become billable again, numbers stay, history keeps each step."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from backoffice.billing.models import (
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
)
from backoffice.billing.services import (
    invoice_credit,
    invoice_issue,
    invoice_void,
    invoices_generate,
)
from tests.billing.conftest import MARCH, session_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(direct_client):
    session_of(direct_client, day=3, fee_amount=Decimal("160.00"))
    session_of(direct_client, day=10, fee_amount=Decimal("160.00"))
    [invoice] = invoices_generate(month=MARCH)
    return invoice_issue(invoice=invoice, issued_on=date(2026, 4, 1))


def test_voiding_an_issued_invoice_keeps_its_number_and_frees_its_sessions(issued, superuser):
    voided = invoice_void(invoice=issued, reason="Wrong client", by=superuser)

    voided.refresh_from_db()
    assert (voided.status, voided.number, voided.void_reason) == (
        "void",
        "INV-2026-00001",
        "Wrong client",
    )
    assert voided.total_amount == Decimal("320.00")
    assert not voided.lines.filter(is_void=False).exists()
    [again] = invoices_generate(month=MARCH)
    assert again.pk != voided.pk and again.lines.count() == 2
    assert invoice_issue(invoice=again).number == "INV-2026-00002"
    last = voided.history.first()
    assert (last.status, last.history_user, last.history_change_reason) == (
        "void",
        superuser,
        "Wrong client",
    )
    assert [h.status for h in voided.history.order_by("history_id")] == ["draft", "issued", "void"]


def test_voiding_a_draft_discards_it_and_history_keeps_it(direct_client):
    session_of(direct_client)
    [draft] = invoices_generate(month=MARCH)
    pk = draft.pk

    invoice_void(invoice=draft, reason="Duplicate run")

    assert not Invoice.objects.filter(pk=pk).exists()
    deleted = Invoice.history.filter(id=pk).first()
    assert (deleted.history_type, deleted.history_change_reason) == ("-", "Duplicate run")
    assert InvoiceLine.history.filter(history_type="-").count() == 1
    assert len(invoices_generate(month=MARCH)) == 1


def test_an_invoice_with_payments_cannot_be_voided(issued, direct_client):
    payment = Payment.objects.create(
        client=direct_client,
        received_on=date(2026, 4, 5),
        amount=Decimal("100.00"),
        method="card",
        allocated_amount=Decimal("100.00"),
    )
    PaymentAllocation.objects.create(payment=payment, invoice=issued, amount=Decimal("100.00"))

    with pytest.raises(ValidationError, match="credit note instead"):
        invoice_void(invoice=issued, reason="Oops")
    issued.refresh_from_db()
    assert issued.status == "issued"


def test_a_void_needs_a_reason(issued):
    with pytest.raises(ValidationError, match="why"):
        invoice_void(invoice=issued, reason="  ")


def test_a_full_credit_note_mirrors_the_invoice_and_frees_its_sessions(issued, direct_client):
    credit = invoice_credit(invoice=issued, reason="Sessions disputed")

    assert (credit.kind, credit.status, credit.number) == ("credit-note", "issued", "CN-2026-00001")
    assert credit.credited_invoice == issued
    assert (credit.subtotal_amount, credit.total_amount) == (Decimal("-320.00"), Decimal("-320.00"))
    assert credit.bill_to_key == issued.bill_to_key
    credit_lines = list(credit.lines.all())
    assert [line.appointment for line in credit_lines] == [None, None]
    assert [line.total_amount for line in credit_lines] == [Decimal("-160.00")] * 2
    assert credit_lines[0].description.startswith("Credit INV-2026-00001: ")
    issued.refresh_from_db()
    assert (issued.status, issued.total_amount) == ("issued", Decimal("320.00"))
    assert not issued.lines.filter(is_void=False).exists()
    # The sessions are billable again: a supplementary invoice for the same month.
    [supplement] = invoices_generate(month=MARCH)
    assert supplement.bill_to_key == f"client:{direct_client.pk}#2"
    assert supplement.lines.count() == 2


def test_a_partial_credit_note_frees_only_its_lines(issued):
    first, second = issued.lines.order_by("service_date")

    credit = invoice_credit(invoice=issued, lines=[second], reason="Session 2 was a no-show")

    assert credit.total_amount == Decimal("-160.00")
    assert list(issued.lines.filter(is_void=False)) == [first]
    [supplement] = invoices_generate(month=MARCH)
    assert supplement.lines.get().appointment == second.appointment
    with pytest.raises(ValidationError, match="not live lines"):
        invoice_credit(invoice=issued, lines=[second], reason="again")
    with pytest.raises(ValidationError, match="credit note cannot be voided"):
        invoice_void(invoice=credit, reason="no")


def test_drafts_cannot_be_credited(direct_client):
    session_of(direct_client)
    [draft] = invoices_generate(month=MARCH)

    with pytest.raises(ValidationError, match="Only an issued invoice"):
        invoice_credit(invoice=draft, reason="no")
