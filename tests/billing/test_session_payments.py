"""A self-paying client pays at the session: the session is paid at once, the client gets a
receipt, and the month's invoice is born paid (or partly paid) with that money on its line."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.billing.models import InvoiceStatus, Payment, PaymentAllocation, Receipt
from backoffice.billing.selectors import ClientStatus, client_status
from backoffice.billing.services import (
    invoice_credit,
    invoice_issue,
    invoice_totals_refresh,
    invoice_void,
    invoices_generate,
    receipt_pdf,
)
from backoffice.billing.services.payments import (
    payment_allocate,
    payment_record,
    payment_sessions_pay,
)
from backoffice.payouts.models import StatementLineKind
from backoffice.payouts.services import statements_generate
from backoffice.scheduling.services import appointment_cancel, appointment_no_show
from tests.billing.conftest import MARCH, session_of
from tests.billing.documents import pdf_text
from tests.factories import (
    AuthorizationFactory,
    ClientFactory,
    ServiceTypeFactory,
    TherapistRateFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
APRIL = date(2026, 4, 1)


def take(client, *sessions, amount=None, received_on=date(2026, 3, 3), **kwargs):
    """Staff take a card payment at the session for `sessions` (their fees, unless told)."""
    return payment_record(
        client=client,
        amount=amount if amount is not None else sum((s.fee_amount for s in sessions), D(0)),
        received_on=received_on,
        method="card",
        sessions=sessions,
        **kwargs,
    )


def refresh(*objects):
    for obj in objects:
        obj.refresh_from_db()


def the_invoice(client, month=MARCH):
    return client.invoices.get(period_start=month, status=InvoiceStatus.DRAFT)


# --- Taking the payment ------------------------------------------------------------------


def test_the_session_is_paid_at_once_and_the_client_gets_a_numbered_receipt(
    direct_client, django_capture_on_commit_callbacks
):
    session = session_of(direct_client, day=3)

    with django_capture_on_commit_callbacks(execute=True):
        payment = take(direct_client, session)

    refresh(session)
    assert timezone.localtime(session.paid_at).date() == date(2026, 3, 3)
    allocation = PaymentAllocation.objects.get(payment=payment)
    assert (allocation.appointment, allocation.invoice, allocation.amount) == (
        session,
        None,
        D("160.00"),
    )
    assert payment.allocated_amount == D("160.00")  # the session's money, not credit
    receipt = Receipt.objects.get(payment=payment)
    assert receipt.number.startswith("RCP-")
    assert receipt.outbox_message.recipient == direct_client.email  # emailed as receipts are


def test_paying_at_the_session_keeps_a_direct_client_from_turning_red(direct_client):
    first, second = session_of(direct_client, day=3), session_of(direct_client, day=10)
    assert client_status(client=direct_client) == ClientStatus.RED  # two unpaid sessions

    take(direct_client, second, received_on=date(2026, 3, 10))

    assert client_status(client=direct_client) == ClientStatus.NORMAL
    take(direct_client, first, received_on=date(2026, 3, 11))
    assert client_status(client=direct_client) == ClientStatus.NORMAL


def test_a_missed_session_with_a_fee_counts_as_unpaid_until_paid(direct_client):
    session_of(direct_client, day=3)
    missed = session_of(
        direct_client, day=10, status="no-show", missed_session_fee_amount=D("80.00")
    )
    session_of(direct_client, day=17, status="no-show")  # no fee: nothing owed
    assert client_status(client=direct_client) == ClientStatus.RED

    take(direct_client, missed, amount=D("80.00"))

    assert client_status(client=direct_client) == ClientStatus.NORMAL
    assert PaymentAllocation.objects.get(appointment=missed).amount == D("80.00")


def test_what_is_paid_beyond_the_sessions_stays_as_credit(direct_client):
    session = session_of(direct_client, day=3)
    payment = take(direct_client, session, amount=D("200.00"))
    assert payment.amount - payment.allocated_amount == D("40.00")


def test_tax_is_paid_with_the_session(direct_client):
    report = ServiceTypeFactory(code="report", name="Report", tax_rate=D("0.05"))
    session = session_of(direct_client, day=3, service_type=report, fee_amount=D("100.00"))
    payment = take(direct_client, session, amount=D("105.00"))
    assert payment.allocated_amount == D("105.00")


def test_a_session_can_be_paid_ahead_while_still_scheduled(direct_client):
    session = session_of(direct_client, day=20, status="scheduled")
    take(direct_client, session)
    refresh(session)
    assert session.paid_at is not None


def refusals(client, *sessions, amount=None):
    with pytest.raises(ValidationError) as refused:
        take(client, *sessions, amount=amount)
    return " ".join(refused.value.messages)


def test_sessions_billed_to_a_payer_are_not_paid_at_the_session(authorization):
    session = session_of(authorization.client, day=3, authorization=authorization)
    assert "not billed to the client (billed to the payer)" in refusals(
        authorization.client, session
    )
    assert not Payment.objects.exists()
    assert not Receipt.objects.exists()


def test_another_clients_session_cancelled_or_paid_ones_are_refused_and_nothing_changes(
    direct_client,
):
    other = session_of(ClientFactory(kind="direct"), day=3)
    cancelled = session_of(direct_client, day=4, status="cancelled")
    paid = session_of(direct_client, day=5)
    take(direct_client, paid)

    assert "not billed to this client" in refusals(direct_client, other)
    assert "cancelled" in refusals(direct_client, cancelled)
    assert "already paid" in refusals(direct_client, paid)
    assert Payment.objects.count() == 1
    assert Receipt.objects.count() == 1


def test_a_payment_smaller_than_the_sessions_is_refused(direct_client):
    session = session_of(direct_client, day=3)
    assert "cost 160.00 but only 100.00" in refusals(direct_client, session, amount=D("100.00"))
    refresh(session)
    assert session.paid_at is None


def test_a_session_on_an_issued_invoice_is_paid_against_that_invoice(direct_client):
    session = session_of(direct_client, day=3)
    [draft] = invoices_generate(month=MARCH)
    invoice = invoice_issue(invoice=draft, issued_on=date(2026, 4, 1))
    assert f"is on invoice {invoice.number}" in refusals(direct_client, session)


def test_credit_already_on_a_payment_can_pay_a_session_later(direct_client):
    payment = take(direct_client, amount=D("160.00"))  # paid, no session chosen yet
    session = session_of(direct_client, day=3)

    payment_sessions_pay(payment=payment, sessions=[session])

    refresh(payment, session)
    assert payment.allocated_amount == D("160.00")
    assert session.paid_at is not None


# --- The month's invoice is born paid ----------------------------------------------------


def test_the_months_invoice_is_born_paid_and_never_asks_for_the_money_again(direct_client):
    paid = [session_of(direct_client, day=3), session_of(direct_client, day=10)]
    payments = [take(direct_client, s, received_on=s.starts_at.date()) for s in paid]

    [invoice] = invoices_generate(month=MARCH)

    refresh(invoice)
    assert (invoice.total_amount, invoice.paid_amount) == (D("320.00"), D("320.00"))
    for payment, session in zip(payments, paid, strict=True):
        allocation = PaymentAllocation.objects.get(payment=payment)
        assert allocation.invoice == invoice
        assert allocation.appointment == session
        refresh(payment)
        assert payment.allocated_amount == D("160.00")  # the same money, now on the line
    issued = invoice_issue(invoice=invoice, issued_on=date(2026, 4, 1))
    assert issued.paid_amount == issued.total_amount


def test_with_an_unpaid_session_the_invoice_is_born_partly_paid(direct_client):
    paid = session_of(direct_client, day=3)
    session_of(direct_client, day=10)
    take(direct_client, paid)

    [invoice] = invoices_generate(month=MARCH)

    refresh(invoice)
    assert (invoice.total_amount, invoice.paid_amount) == (D("320.00"), D("160.00"))


def test_one_payment_for_sessions_of_two_months_pays_each_months_invoice(direct_client):
    march, april = session_of(direct_client, day=30), session_of(direct_client, day=2, month=4)
    payment = take(direct_client, march, april, received_on=date(2026, 3, 30))

    invoices_generate(month=MARCH)
    march_invoice = the_invoice(direct_client)
    assert march_invoice.paid_amount == D("160.00")
    assert PaymentAllocation.objects.get(appointment=april).invoice is None  # waits for April

    invoices_generate(month=APRIL)
    april_invoice = the_invoice(direct_client, APRIL)
    assert april_invoice.paid_amount == D("160.00")
    refresh(payment)
    assert payment.allocated_amount == D("320.00")
    assert sorted(a.invoice_id for a in payment.allocations.all()) == sorted(
        [march_invoice.pk, april_invoice.pk]
    )


def test_a_rerun_of_the_month_allocates_nothing_twice_and_picks_up_later_payments(
    direct_client,
):
    first, later = session_of(direct_client, day=3), session_of(direct_client, day=20)
    take(direct_client, first)
    invoices_generate(month=MARCH)
    invoices_generate(month=MARCH)
    invoice = the_invoice(direct_client)
    assert invoice.paid_amount == D("160.00")

    take(direct_client, later, received_on=date(2026, 3, 20))  # already on the draft

    refresh(invoice)
    assert invoice.paid_amount == D("320.00")
    assert PaymentAllocation.objects.get(appointment=later).invoice == invoice
    invoices_generate(month=MARCH)
    refresh(invoice)
    assert invoice.paid_amount == D("320.00")
    assert PaymentAllocation.objects.filter(invoice=invoice).count() == 2


def test_a_session_fee_lowered_after_payment_leaves_the_difference_as_credit(direct_client):
    session = session_of(direct_client, day=3)
    payment = take(direct_client, session)
    session.fee_amount = D("120.00")
    session.save()

    [invoice] = invoices_generate(month=MARCH)

    refresh(invoice, payment)
    assert invoice.paid_amount == invoice.total_amount == D("120.00")
    assert payment.amount - payment.allocated_amount == D("40.00")


def test_a_cheque_for_the_rest_pays_only_the_sessions_it_covers(direct_client):
    paid_at_session = session_of(direct_client, day=3)
    owed = session_of(direct_client, day=10)
    take(direct_client, paid_at_session)
    [draft] = invoices_generate(month=MARCH)
    invoice = invoice_issue(invoice=draft, issued_on=date(2026, 4, 1))
    cheque = payment_record(
        client=direct_client, amount=D("100.00"), received_on=date(2026, 4, 10), method="cheque"
    )

    payment_allocate(payment=cheque, invoice=invoice, amount=D("100.00"))

    refresh(owed)
    assert owed.paid_at is None  # 100 of its 160: the session money is not counted twice


# --- Sessions that change after payment: the money stays with the payment -------------------


def test_a_session_paid_ahead_then_cancelled_gives_the_money_back_as_credit(direct_client):
    future = timezone.now() + timedelta(days=3)
    session = session_of(direct_client, status="scheduled")
    session.starts_at, session.ends_at = future, future + timedelta(minutes=50)
    session.save()
    payment = take(direct_client, session, received_on=timezone.localdate())

    appointment_cancel(appointment=session)

    refresh(session, payment)
    assert session.paid_at is None
    assert not PaymentAllocation.objects.exists()
    assert payment.amount - payment.allocated_amount == D("160.00")
    assert payment.history.first().allocated_amount == D("0.00")  # history: credited back


def test_a_no_show_paid_ahead_keeps_its_fee_and_credits_the_rest(direct_client):
    session = session_of(direct_client, day=3, status="scheduled")
    payment = take(direct_client, session)

    appointment_no_show(appointment=session, missed_session_fee_amount=D("60.00"))

    refresh(session, payment)
    assert session.paid_at is not None  # the fee is paid
    assert PaymentAllocation.objects.get(appointment=session).amount == D("60.00")
    assert payment.amount - payment.allocated_amount == D("100.00")


def test_a_discarded_draft_gives_the_money_back_to_its_sessions_for_the_rerun(direct_client):
    session = session_of(direct_client, day=3)
    take(direct_client, session)
    [draft] = invoices_generate(month=MARCH)

    invoice_void(invoice=draft, reason="Wrong month")

    allocation = PaymentAllocation.objects.get(appointment=session)
    assert allocation.invoice is None
    [again] = invoices_generate(month=MARCH)
    refresh(again, allocation)
    assert again.paid_amount == D("160.00")
    assert allocation.invoice == again


def test_a_line_removed_from_a_draft_takes_its_session_money_off(direct_client):
    session, other = session_of(direct_client, day=3), session_of(direct_client, day=10)
    take(direct_client, session)
    [draft] = invoices_generate(month=MARCH)

    draft.lines.get(appointment=session).delete()
    invoice_totals_refresh(invoice=draft)

    refresh(draft)
    assert (draft.total_amount, draft.paid_amount) == (D("160.00"), D("0.00"))
    assert PaymentAllocation.objects.get(appointment=session).invoice is None
    assert other.invoice_lines.get().invoice == draft


def test_a_credited_session_takes_its_money_to_the_supplementary_invoice(direct_client):
    session = session_of(direct_client, day=3)
    take(direct_client, session)
    [draft] = invoices_generate(month=MARCH)
    invoice = invoice_issue(invoice=draft, issued_on=date(2026, 4, 1))

    invoice_credit(invoice=invoice, reason="Billed at the wrong fee")

    refresh(invoice)
    assert invoice.paid_amount == D("0.00")  # nothing owed, nothing overpaid
    [supplementary] = invoices_generate(month=MARCH)
    refresh(supplementary)
    assert supplementary.bill_to_key.endswith("#2")
    assert supplementary.paid_amount == supplementary.total_amount == D("160.00")


# --- Statements and the receipt ------------------------------------------------------------


def test_the_statement_pays_the_session_out_as_paid_on_the_payments_date(direct_client):
    TherapistRateFactory(therapist=direct_client.primary_therapist)
    session = session_of(direct_client, day=31, hour=9)
    take(direct_client, session, received_on=date(2026, 3, 31))

    statements_generate(month=MARCH)

    line = session.statement_lines.get()
    assert (line.kind, line.paid_on) == (StatementLineKind.PAID, date(2026, 3, 31))


def test_the_receipt_lists_the_session_paid_in_full(direct_client):
    direct_client.first_name, direct_client.last_name = "Hélène", "Côté"
    direct_client.save()
    session = session_of(direct_client, day=3)
    payment = take(direct_client, session, amount=D("200.00"))

    text = " ".join(pdf_text(receipt_pdf(receipt=payment.receipt)).split())

    assert "Hélène Côté" in text
    assert "Session of 2026-03-03" in text
    assert "160.00" in text and "200.00" in text
    assert "Credit on account" in text and "40.00" in text
    assert "PAID IN FULL" in text


# --- Cost ----------------------------------------------------------------------------------


def test_month_run_queries_do_not_grow_with_sessions_paid_at_the_session():
    def month_of(n, month):
        for i in range(n):
            client = ClientFactory(kind="direct")
            sessions = [
                session_of(client, day=1 + i % 28, hour=10, month=month),
                session_of(client, day=1 + i % 28, hour=14, month=month),
            ]
            take(client, sessions[0], received_on=date(2026, month, 1))
        # and one indirect client, so both kinds of bill-to are in each month
        authorization = AuthorizationFactory(
            valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)
        )
        session_of(authorization.client, day=2, month=month, authorization=authorization)

    month_of(2, 5)
    month_of(15, 6)
    with CaptureQueriesContext(connection) as few:
        invoices_generate(month=date(2026, 5, 1))
    with CaptureQueriesContext(connection) as many:
        invoices_generate(month=date(2026, 6, 1))

    assert PaymentAllocation.objects.filter(invoice__period_start=date(2026, 6, 1)).count() == 15
    assert len(few) == len(many), "\n".join(q["sql"][:200] for q in many)


def test_taking_a_payment_for_many_sessions_takes_constant_queries(direct_client):
    def queries_for(count):
        client = ClientFactory(kind="direct")
        sessions = [session_of(client, day=1 + i) for i in range(count)]
        with CaptureQueriesContext(connection) as queries:
            take(client, *sessions)
        return len(queries)

    queries_for(1)  # the receipt counter row is created once
    assert queries_for(2) == queries_for(12)
