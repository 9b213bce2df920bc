"""The invoice admin: list queries, search, month run, issue / void / credit, drafts only edit."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.billing.models import Invoice, InvoiceLine
from backoffice.billing.selectors import authorization_usage
from backoffice.billing.services import invoice_issue, invoice_lines_save, invoices_generate
from backoffice.billing.services.payments import payment_allocate, payment_record
from backoffice.messaging.models import OutboxMessage
from tests.billing.conftest import MARCH, session_of
from tests.factories import (
    AuthorizationFactory,
    ClientFactory,
    DocumentCounterFactory,
    IssuedInvoiceFactory,
    PaymentFactory,
)
from tests.test_list_queries import TASKS

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:billing_invoice_changelist"


def row_action(admin_client, name, invoice, **data):
    """Submit a row action's dialog as unfold's htmx does; the messages of the next page."""
    url = reverse(f"admin:billing_invoice_{name}", args=[invoice.pk])
    response = admin_client.post(url, {"_form_submitted": "True", **data}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    if "HX-Redirect" not in response.headers:
        return None  # the dialog again: the form is not valid
    page = admin_client.get(reverse(CHANGELIST))
    return [str(message) for message in page.context["messages"]]


def change_url(invoice):
    return reverse("admin:billing_invoice_change", args=[invoice.pk])


def month_of_invoices(payer, count):
    for _ in range(count):
        session_of(ClientFactory(kind="direct"), day=3)
        authorization = AuthorizationFactory(
            payer=payer, valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)
        )
        session_of(authorization.client, day=4, authorization=authorization)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "Lévesque"},
        {"q": "INV-2026-000"},
        {"status__exact": "draft", "period_start_from": "2026-03-01"},
        {"payment": "partly-paid"},
    ],
    ids=["plain", "searched", "number fragment", "filtered", "by payment"],
)
def test_invoice_list_queries_are_few_and_constant(admin_client, payer, params):
    url = reverse(CHANGELIST)
    admin_client.get(url)
    month_of_invoices(payer, 2)
    invoices_generate(month=MARCH)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url, params).status_code == 200
    month_of_invoices(payer, 20)
    invoices_generate(month=MARCH)
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get(url, params).status_code == 200

    assert len(few) == len(many) <= 8, "\n".join(q["sql"] for q in many)
    assert not [q for q in many if "COUNT(" in q["sql"].upper() and TASKS not in q["sql"]]


def test_search_finds_invoices_by_number_payer_and_client_on_a_line(admin_client, payer):
    client = ClientFactory(kind="indirect", last_name="Bélanger")
    authorization = AuthorizationFactory(
        client=client, payer=payer, valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)
    )
    session_of(client, authorization=authorization)
    direct = ClientFactory(kind="direct", last_name="Tremblay")
    session_of(direct)
    by_payer, by_client = sorted(invoices_generate(month=MARCH), key=lambda i: i.payer is None)
    invoice_issue(invoice=by_client, issued_on=date(2026, 4, 1))

    def found(term):
        response = admin_client.get(reverse(CHANGELIST), {"q": term})
        return set(response.context["cl"].result_list.values_list("pk", flat=True))

    assert found("bélanger") == {by_payer.pk}  # the client is only on a line
    assert found("Pacific") == {by_payer.pk}
    assert found("tremblay") == {by_client.pk}
    assert found("INV-2026-00001") == {by_client.pk}
    assert found("inv-2026-00001") == {by_client.pk}


def test_generate_action_runs_the_month_and_reports_counts(admin_client, payer, authorization):
    session_of(authorization.client, authorization=authorization)
    session_of(ClientFactory(kind="direct"))
    url = reverse("admin:billing_invoice_generate_month")

    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"month": "2026-03-15", "payer": payer.pk}, follow=True)

    assert [invoice.payer for invoice in Invoice.objects.all()] == [payer]
    assert "2026-03: 1 session(s) invoiced; 1 new draft(s), 0 draft(s) completed." in [
        str(m) for m in response.context["messages"]
    ]


def test_issue_void_and_credit_actions(admin_client, direct_client):
    session_of(direct_client)
    [invoice] = invoices_generate(month=MARCH)
    year = timezone.localdate().year  # numbers are of the year the invoice is issued

    assert row_action(admin_client, "issue_one", invoice) == [f"Invoice INV-{year}-00001 issued."]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("issued", f"INV-{year}-00001")

    row_action(admin_client, "credit_one", invoice, reason="Disputed")
    credit = Invoice.objects.get(kind="credit-note")
    assert (credit.number, credit.total_amount) == (f"CN-{year}-00001", Decimal("-160.00"))

    [supplement] = invoices_generate(month=MARCH)
    assert row_action(admin_client, "void_one", supplement) is None  # a reason is needed
    row_action(admin_client, "void_one", supplement, reason="Will bill next month")
    assert not Invoice.objects.filter(pk=supplement.pk).exists()  # a draft is discarded


def test_a_refused_action_says_why(admin_client, direct_client):
    session_of(direct_client)
    [invoice] = invoices_generate(month=MARCH)
    invoice = invoice_issue(invoice=invoice)
    payment = PaymentFactory(payer=None, client=direct_client, amount=Decimal("10.00"))
    payment_allocate(payment=payment, invoice=invoice, amount=Decimal("10.00"))

    messages = row_action(admin_client, "void_one", invoice, reason="no")

    assert messages == [f"Payments are allocated to {invoice.number}: issue a credit note instead."]


def test_an_issued_invoice_opens_read_only_with_only_the_actions_it_allows(
    admin_client, direct_client
):
    session_of(direct_client)
    [invoice] = invoices_generate(month=MARCH)
    draft_page = admin_client.get(change_url(invoice)).content.decode()
    invoice = invoice_issue(invoice=invoice)

    page = admin_client.get(change_url(invoice)).content.decode()

    assert 'name="_save"' in draft_page
    assert "/issue_one/" in draft_page and "/credit_one/" not in draft_page
    assert 'name="_save"' not in page
    assert "/issue_one/" not in page
    assert "/void_one/" in page and "/credit_one/" in page and "/send/" in page
    credit = reverse("admin:billing_invoice_credit_one", args=[invoice.pk])
    assert admin_client.get(credit).status_code == 200


def _change_form_data(response):
    form = response.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for line_form in formset.formset.forms:
            for name in line_form.fields:
                value = line_form[name].value()
                data[line_form.add_prefix(name)] = "" if value is None else value
    return data


def test_a_draft_is_edited_in_the_admin_and_its_totals_follow(admin_client, direct_client):
    session_of(direct_client)
    [invoice] = invoices_generate(month=MARCH)
    page = admin_client.get(change_url(invoice))
    data = _change_form_data(page)
    data["notes"] = "Sliding scale agreed"
    data["due_on"] = "2026-04-20"
    data["lines-0-unit_amount"] = "120.00"

    response = admin_client.post(change_url(invoice), data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    invoice.refresh_from_db()
    assert (invoice.notes, invoice.due_on, invoice.total_amount) == (
        "Sliding scale agreed",
        date(2026, 4, 20),
        Decimal("120.00"),
    )
    assert InvoiceLine.objects.get().total_amount == Decimal("120.00")


def test_an_issued_invoice_is_read_only_in_the_admin(admin_client, direct_client):
    session_of(direct_client)
    [invoice] = invoices_generate(month=MARCH)
    invoice = invoice_issue(invoice=invoice)

    page = admin_client.get(change_url(invoice))

    assert "notes" not in page.context["adminform"].form.fields
    [lines] = page.context["inline_admin_formsets"]
    assert not lines.has_change_permission and not lines.has_add_permission


def test_billed_sessions_count_on_the_authorization(authorization):
    session_of(authorization.client, day=3, authorization=authorization)
    session_of(authorization.client, day=10, authorization=authorization)
    session_of(authorization.client, day=17, authorization=authorization, status="scheduled")
    assert authorization_usage(authorization=authorization).sessions_billed_count == 0

    [invoice] = invoices_generate(month=MARCH)

    usage = authorization_usage(authorization=authorization)
    assert (usage.sessions_used_count, usage.sessions_billed_count) == (2, 2)
    invoice_issue(invoice=invoice)
    from backoffice.billing.services import invoice_void

    invoice_void(invoice=invoice, reason="Wrong payer")
    assert authorization_usage(authorization=authorization).sessions_billed_count == 0


def test_the_zip_of_this_list_keeps_the_lists_filters(admin_client, direct_client):
    session_of(direct_client)
    invoices_generate(month=MARCH)

    page = admin_client.get(reverse(CHANGELIST), {"status__exact": "draft"}).content.decode()

    assert "/documents-zip/?status__exact=draft" in page


def test_issue_and_send_selected_issues_drafts_and_leaves_the_pdfs_to_the_worker(
    admin_client, direct_client, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    unreachable = ClientFactory(kind="direct", email="")
    session_of(direct_client)
    session_of(unreachable, day=4)
    invoices = invoices_generate(month=MARCH)
    selected = {
        "action": "issue_and_send_selected",
        "_selected_action": [invoice.pk for invoice in invoices],
    }

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(reverse(CHANGELIST), selected, follow=True)
    assert not mail.outbox, "the page issues and checks; the worker renders and sends"
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()

    unreachable_invoice = Invoice.objects.get(client=unreachable)
    assert [str(message) for message in response.context["messages"]] == [
        "1 invoice queued for email.",
        f"{unreachable_invoice.number}: No email address to send invoice "
        f"{unreachable_invoice.number} to.",
    ]
    assert set(Invoice.objects.values_list("status", flat=True)) == {"issued"}
    [email] = mail.outbox
    assert email.to == [direct_client.email]


def test_invoices_show_and_filter_their_state_of_payment(admin_client):
    """Open, partly paid, paid: in the list, its filter and the invoice's page."""
    paid, partly, unpaid = (ClientFactory(kind="direct") for _ in range(3))
    for client in (paid, partly, unpaid):
        session_of(client, day=3)
    session_of(partly, day=10)
    for client in (paid, partly):
        payment_record(
            client=client,
            amount=Decimal("160.00"),
            received_on=date(2026, 3, 3),
            method="card",
            sessions=[client.billed_appointments.earliest("starts_at")],
        )
    invoices_generate(month=MARCH)
    invoice_of = {client: Invoice.objects.get(client=client) for client in (paid, partly, unpaid)}

    page = admin_client.get(reverse(CHANGELIST))
    shown = {row.pk: row.payment_state for row in page.context["cl"].result_list}
    assert shown == {
        invoice_of[paid].pk: "paid",
        invoice_of[partly].pk: "partly-paid",
        invoice_of[unpaid].pk: "open",
    }
    assert "Partly paid" in page.content.decode()
    for state, client in [("paid", paid), ("partly-paid", partly), ("open", unpaid)]:
        listed = admin_client.get(reverse(CHANGELIST), {"payment": state}).context["cl"]
        assert [row.pk for row in listed.result_list] == [invoice_of[client].pk]
    detail = admin_client.get(change_url(invoice_of[paid])).content.decode()
    assert "Paid" in detail and "Partly paid" not in detail


def test_send_on_an_invoice_emails_it_by_post_only(
    admin_client, direct_client, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    session_of(direct_client)
    [invoice] = invoices_generate(month=MARCH)
    invoice = invoice_issue(invoice=invoice)
    url = reverse("admin:billing_invoice_send_invoice", args=[invoice.pk])

    assert admin_client.get(url).status_code == 200  # the dialog asks first
    assert not OutboxMessage.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        messages = row_action(admin_client, "send_invoice", invoice)

    assert messages == [f"Invoice {invoice.number} queued for email to {direct_client.email}."]
    [email] = mail.outbox
    assert email.to == [direct_client.email]
    invoice.refresh_from_db()
    assert invoice.send_status == "sent"


def test_draft_lines_are_saved_with_their_tax_and_totals_and_only_on_a_draft(direct_client):
    session_of(direct_client)
    session_of(direct_client, day=10)
    [invoice] = invoices_generate(month=MARCH)
    kept, removed = invoice.lines.order_by("service_date")
    kept.unit_amount, kept.tax_rate = Decimal("200.00"), Decimal("0.05")

    invoice_lines_save(invoice=invoice, lines=[kept], removed=[removed])

    kept.refresh_from_db()
    invoice.refresh_from_db()
    assert (kept.tax_amount, kept.total_amount) == (Decimal("10.00"), Decimal("210.00"))
    assert not InvoiceLine.objects.filter(pk=removed.pk).exists()
    assert (invoice.subtotal_amount, invoice.tax_amount, invoice.total_amount) == (
        Decimal("200.00"),
        Decimal("10.00"),
        Decimal("210.00"),
    )
    invoice = invoice_issue(invoice=invoice)
    kept.unit_amount = Decimal("1.00")
    with pytest.raises(ValidationError, match="Only a draft"):
        invoice_lines_save(invoice=invoice, lines=[kept])
    kept.refresh_from_db()
    assert kept.unit_amount == Decimal("200.00")


def test_search_finds_an_invoice_number_from_a_fragment(admin_client, payer):
    def issued(number):  # billed to a payer whose name holds no digit
        return IssuedInvoiceFactory(number=number, payer=payer)

    wanted = issued("INV-2026-02707")
    neighbour = issued("INV-2026-02712")
    credit = issued("CN-2025-02707")
    other = issued("INV-2026-00042")
    for series, year, last in [("INV", 2026, 2712), ("CN", 2025, 2707)]:
        DocumentCounterFactory(series=series, year=year, last_number=last)

    def found(term):
        response = admin_client.get(reverse(CHANGELIST), {"q": term})
        return set(response.context["cl"].result_list)

    assert found("2707") == {wanted, credit}
    assert found("inv-2026-027") == {wanted, neighbour}
    assert found("2026-02707") == {wanted}
    assert found("INV-2026-02707") == {wanted}
    assert found("42") == {other}
    assert found("INV-2026-0") == set(), "too vague to list every number"
