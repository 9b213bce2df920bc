"""The month run: which sessions are billed, to whom, at what amount; reruns; concurrency."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from backoffice.billing.models import Invoice, InvoiceLine, InvoiceStatus
from backoffice.billing.services import invoice_issue, invoices_generate
from tests.billing.conftest import MARCH, session_of
from tests.factories import (
    AuthorizationFactory,
    ClientFactory,
    PayerFactory,
    PayerRateFactory,
    ServiceTypeFactory,
)

pytestmark = pytest.mark.django_db


def lines_of(invoice):
    return list(invoice.lines.order_by("service_date", "pk"))


def test_completed_sessions_of_direct_clients_are_billed_to_them_at_the_fee(direct_client):
    completed = session_of(direct_client, day=3, fee_amount=Decimal("160.00"))
    session_of(direct_client, day=4, status="cancelled")
    session_of(direct_client, day=5, status="scheduled")
    session_of(direct_client, day=6, status="no-show")  # no missed-session fee: nothing owed

    [invoice] = invoices_generate(month=date(2026, 3, 17))

    assert invoice.bill_to_key == f"client:{direct_client.pk}"
    assert (invoice.client, invoice.payer, invoice.status) == (direct_client, None, "draft")
    assert (invoice.period_start, invoice.period_end) == (MARCH, date(2026, 3, 31))
    [line] = lines_of(invoice)
    assert line.appointment == completed
    assert (line.unit_amount, line.tax_amount, line.total_amount) == (Decimal("160.00"), 0, 160)
    assert invoice.total_amount == Decimal("160.00")


def test_indirect_sessions_go_to_the_payer_at_the_rate_in_force_on_the_session_date(
    payer, authorization, service_type
):
    PayerRateFactory(
        payer=payer, service_type=service_type, effective_from=date(2026, 3, 16), amount=170
    )
    before = session_of(authorization.client, day=13, authorization=authorization)
    after = session_of(authorization.client, day=16, authorization=authorization)

    result = invoices_generate(month=MARCH)

    [invoice] = result
    assert (invoice.bill_to_key, invoice.payer, invoice.client) == (
        f"payer:{payer.pk}",
        payer,
        None,
    )
    amounts = {line.appointment: line.unit_amount for line in lines_of(invoice)}
    assert amounts == {before: Decimal("150.00"), after: Decimal("170.00")}
    line = lines_of(invoice)[0]
    assert (line.authorization, line.client, line.therapist, line.service_type) == (
        authorization,
        authorization.client,
        before.therapist,
        service_type,
    )
    assert line.description == "Individual session"
    assert result.warnings == []


def test_without_a_payer_rate_the_appointment_fee_is_billed_with_a_warning(authorization):
    report = ServiceTypeFactory(code="report", name="Report")
    session_of(authorization.client, authorization=authorization, service_type=report)

    result = invoices_generate(month=MARCH)

    assert lines_of(result[0])[0].unit_amount == Decimal("160.00")
    assert result.warnings == [
        "Pacific Mutual has no rate for Report on 1 session(s): the appointment fee was billed."
    ]


def test_service_date_is_the_vancouver_day(direct_client):
    # 23:30 in Vancouver on 31 March is 1 April in UTC.
    session_of(direct_client, day=31, hour=23)
    session_of(direct_client, day=1, hour=0)

    [invoice] = invoices_generate(month=MARCH)

    assert [line.service_date for line in lines_of(invoice)] == [
        date(2026, 3, 1),
        date(2026, 3, 31),
    ]


@pytest.mark.parametrize(
    ("rule", "billed_to"),
    [("not-billed", None), ("payer", "payer"), ("client", "client")],
)
@pytest.mark.parametrize("status", ["late-cancelled", "no-show"])
def test_missed_sessions_follow_the_payer_rule(payer, authorization, rule, billed_to, status):
    setattr(payer, "late_cancel_billing" if status == "late-cancelled" else "no_show_billing", rule)
    payer.save()
    missed = session_of(
        authorization.client,
        authorization=authorization,
        status=status,
        missed_session_fee_amount=Decimal("75.00"),
    )
    session_of(authorization.client, day=4, authorization=authorization, status=status)  # no fee

    invoices = invoices_generate(month=MARCH)

    lines = InvoiceLine.objects.filter(appointment=missed)
    if billed_to is None:
        assert invoices == [] and not lines.exists()
        return
    [invoice] = invoices
    [line] = lines
    assert line.unit_amount == Decimal("75.00")
    label = "late cancellation" if status == "late-cancelled" else "no-show"
    assert line.description == f"Individual session · {label}"
    if billed_to == "payer":
        assert invoice.bill_to_key == f"payer:{payer.pk}"
        assert line.authorization == authorization
    else:
        assert invoice.bill_to_key == f"client:{authorization.client_id}"
        assert line.authorization is None


def test_missed_sessions_billed_to_the_payer_stop_at_its_limit_per_authorization(
    payer, authorization
):
    payer.no_show_billing = "payer"
    payer.missed_sessions_billable_count = 2
    payer.save()
    fee = {"status": "no-show", "missed_session_fee_amount": Decimal("75.00")}
    first = session_of(authorization.client, day=2, authorization=authorization, **fee)
    invoices_generate(month=MARCH)
    second = session_of(authorization.client, day=9, authorization=authorization, **fee)
    session_of(authorization.client, day=16, authorization=authorization, **fee)

    result = invoices_generate(month=MARCH)

    assert set(InvoiceLine.objects.values_list("appointment", flat=True)) == {first.pk, second.pk}
    assert result.warnings == [
        "Pacific Mutual: 1 missed session(s) over the per-authorization limit, not billed."
    ]


def test_payers_that_want_one_invoice_per_client_get_one(payer, service_type):
    payer.invoice_grouping = "per-client"
    payer.save()
    authorizations = AuthorizationFactory.create_batch(
        2, payer=payer, valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)
    )
    for authorization in authorizations:
        session_of(authorization.client, day=3, authorization=authorization)
        session_of(authorization.client, day=10, authorization=authorization)

    invoices = invoices_generate(month=MARCH)

    assert sorted(invoice.bill_to_key for invoice in invoices) == sorted(
        f"payer:{payer.pk}:client:{a.client_id}" for a in authorizations
    )
    for invoice in invoices:
        assert {line.client_id for line in lines_of(invoice)} == {invoice.client_id}
        assert invoice.total_amount == Decimal("300.00")


def test_one_invoice_per_payer_per_period_gathers_all_its_clients(payer):
    for _ in range(3):
        authorization = AuthorizationFactory(
            payer=payer, valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)
        )
        session_of(authorization.client, authorization=authorization)

    [invoice] = invoices_generate(month=MARCH)

    assert invoice.lines.count() == 3
    assert invoice.total_amount == Decimal("450.00")


def test_tax_follows_the_service_type(direct_client):
    report = ServiceTypeFactory(code="insurer-report", name="Report", tax_rate=Decimal("0.05"))
    session_of(direct_client, day=3, service_type=report, fee_amount=Decimal("150.00"))
    session_of(direct_client, day=4, fee_amount=Decimal("160.00"))  # exempt

    [invoice] = invoices_generate(month=MARCH)

    taxed, exempt = lines_of(invoice)
    assert (taxed.tax_rate, taxed.tax_amount, taxed.total_amount) == (
        Decimal("0.0500"),
        Decimal("7.50"),
        Decimal("157.50"),
    )
    assert (exempt.tax_amount, exempt.total_amount) == (0, Decimal("160.00"))
    assert (invoice.subtotal_amount, invoice.tax_amount, invoice.total_amount) == (
        Decimal("310.00"),
        Decimal("7.50"),
        Decimal("317.50"),
    )


def test_indirect_client_session_without_authorization_is_not_billed(payer):
    client = ClientFactory(kind="indirect")
    session_of(client)

    result = invoices_generate(month=MARCH)

    assert list(result) == []
    assert result.warnings == [
        "1 session(s) of indirect clients have no authorization: not billed."
    ]


def test_a_rerun_changes_nothing_and_later_sessions_join_the_same_draft(
    direct_client, authorization
):
    session_of(direct_client, day=3)
    session_of(authorization.client, day=3, authorization=authorization)
    first = invoices_generate(month=MARCH)
    before = list(InvoiceLine.objects.values_list("pk", "invoice", "appointment"))

    again = invoices_generate(month=MARCH)

    assert (list(again), again.lines_added_count) == ([], 0)
    assert list(InvoiceLine.objects.values_list("pk", "invoice", "appointment")) == before
    late = session_of(direct_client, day=20)
    [extended] = invoices_generate(month=MARCH)
    assert extended.pk in {invoice.pk for invoice in first}
    assert Invoice.objects.count() == 2
    extended.refresh_from_db()
    assert extended.lines.get(appointment=late)
    assert extended.total_amount == Decimal("320.00")


def test_other_months_and_other_bill_tos_are_left_alone(direct_client, authorization, payer):
    session_of(direct_client, day=3)
    session_of(authorization.client, day=3, authorization=authorization)
    session_of(direct_client, day=3, month=4)

    [invoice] = invoices_generate(month=MARCH, bill_to=payer)

    assert invoice.payer == payer
    [direct] = invoices_generate(month=MARCH, bill_to=direct_client)
    assert direct.lines.count() == 1


def test_sessions_found_after_the_invoice_was_issued_go_on_a_supplementary_draft(direct_client):
    session_of(direct_client, day=3)
    [invoice] = invoices_generate(month=MARCH)
    invoice_issue(invoice=invoice, issued_on=date(2026, 4, 1))
    session_of(direct_client, day=27)

    [supplement] = invoices_generate(month=MARCH)

    assert supplement.pk != invoice.pk
    assert supplement.bill_to_key == f"client:{direct_client.pk}#2"
    assert supplement.status == InvoiceStatus.DRAFT
    assert supplement.lines.count() == 1


def test_history_records_every_invoice_and_line_the_run_writes(direct_client, superuser):
    session_of(direct_client, day=3)

    [invoice] = invoices_generate(month=MARCH, by=superuser)

    assert invoice.history.get().history_user == superuser
    line = invoice.lines.get()
    assert line.history.get().history_change_reason == "Month run 2026-03"


def test_queries_do_not_grow_with_the_sessions(payer, direct_client, service_type):
    def month_of(n, month):
        for i in range(n):
            authorization = AuthorizationFactory(
                payer=payer, valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)
            )
            day = 1 + i % 28
            session_of(authorization.client, day=day, month=month, authorization=authorization)
            session_of(direct_client, day=day, hour=12 + i // 28, month=month)

    month_of(2, 5)
    month_of(20, 6)
    with CaptureQueriesContext(connection) as few:
        invoices_generate(month=date(2026, 5, 1))
    with CaptureQueriesContext(connection) as many:
        invoices_generate(month=date(2026, 6, 1))

    assert InvoiceLine.objects.filter(service_date__month=6).count() == 40
    assert len(few) == len(many), "\n".join(q["sql"][:200] for q in many)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_bill_each_session_once(service_type):
    payer = PayerFactory()
    PayerRateFactory(payer=payer, service_type=service_type)
    sessions = []
    for i in range(20):
        authorization = AuthorizationFactory(
            payer=payer, valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)
        )
        sessions.append(session_of(authorization.client, day=1 + i, authorization=authorization))
        sessions.append(session_of(ClientFactory(kind="direct"), day=1 + i))
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            invoices_generate(month=MARCH)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Invoice.objects.count() == 21  # the payer and 20 direct clients
    assert InvoiceLine.objects.count() == 40
    assert sorted(InvoiceLine.objects.values_list("appointment", flat=True)) == sorted(
        s.pk for s in sessions
    )
