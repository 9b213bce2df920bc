"""Finance import (QUALITY R4): good files saved whole, bad files change nothing and say which
line is wrong and why, CSV and XLSX alike; a dry run saves nothing."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook

from backoffice.billing.models import Invoice, Payment, PaymentAllocation
from backoffice.billing.services.imports import payments_import
from tests.factories import IssuedInvoiceFactory, PayerFactory, SessionLineFactory

pytestmark = pytest.mark.django_db

HEADER = ["Payer", "Invoice number", "Amount", "Date", "Method", "Reference"]


@pytest.fixture(autouse=True)
def receipt_numbers(monkeypatch):
    numbers = iter(range(1, 1000))
    monkeypatch.setattr(
        "backoffice.billing.services.payments._receipt_number",
        lambda *, issued_on: f"TEST-{next(numbers)}",
    )


@pytest.fixture
def books(db):
    """Two payers; ICBC has two invoices of 300, one with two sessions of 150."""
    icbc = PayerFactory(name="ICBC")
    PayerFactory(name="WorkSafeBC")
    first = IssuedInvoiceFactory(payer=icbc, number="INV-2026-00001")
    lines = [SessionLineFactory(invoice=first) for _ in range(2)]
    second = IssuedInvoiceFactory(payer=icbc, number="INV-2026-00002")
    return {"icbc": icbc, "first": first, "second": second, "lines": lines}


def csv_file(rows, header=HEADER) -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_file(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if header:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run(rows, kind="csv", header=HEADER, **kwargs):
    content = (csv_file if kind == "csv" else xlsx_file)(rows, header)
    return payments_import(name=f"remittance.{kind}", content=content, **kwargs)


GOOD = [
    ["ICBC", "INV-2026-00001", "150.00", "2026-04-10", "Cheque", "CHQ 881"],
    ["ICBC", "INV-2026-00001", "150.00", "2026-04-10", "cheque", "CHQ 881"],
    ["icbc", "INV-2026-00002", "100", "2026-04-10", "cheque", "CHQ 881"],
    ["ICBC", "INV-2026-00002", "50.00", "2026-04-11", "EFT", ""],
]


def nothing_saved():
    return (
        not Payment.objects.exists()
        and not PaymentAllocation.objects.exists()
        and set(Invoice.objects.values_list("paid_amount", flat=True)) == {Decimal("0.00")}
    )


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_good_file_is_recorded_whole(books, kind):
    result = run(GOOD, kind)

    assert result.problems == []
    assert result.saved
    cheque, eft = Payment.objects.order_by("amount")[::-1]
    assert (cheque.amount, cheque.reference, cheque.method) == (
        Decimal("400.00"),
        "CHQ 881",
        "cheque",
    )
    assert cheque.allocated_amount == cheque.amount
    assert cheque.allocations.count() == 2  # one per invoice, the two session rows summed
    assert (eft.amount, eft.received_on) == (Decimal("50.00"), date(2026, 4, 11))
    books["first"].refresh_from_db()
    books["second"].refresh_from_db()
    assert books["first"].paid_amount == Decimal("300.00")
    assert books["second"].paid_amount == Decimal("150.00")
    for line in books["lines"]:
        line.appointment.refresh_from_db()
        assert line.appointment.paid_at.date() == date(2026, 4, 10)


def test_excel_dates_and_numbers_are_read_as_such(books):
    rows = [["ICBC", "INV-2026-00002", 120.5, date(2026, 4, 10), "EFT", 4471]]
    result = run(rows, "xlsx")
    assert result.saved
    payment = Payment.objects.get()
    assert (payment.amount, payment.received_on, payment.reference) == (
        Decimal("120.50"),
        date(2026, 4, 10),
        "4471",
    )


def test_a_dry_run_checks_everything_and_saves_nothing(books):
    result = run(GOOD, dry_run=True)
    assert result.problems == []
    assert not result.saved
    assert result.payments_count == 2
    assert result.total_amount == Decimal("450.00")
    assert nothing_saved()


def test_a_dry_run_reports_the_same_problems(books):
    rows = [["ICBC", "INV-2026-09999", "10", "2026-04-10", "cheque", ""]]
    result = run(rows, dry_run=True)
    assert [(p.line, "Unknown invoice" in p.reason) for p in result.problems] == [(2, True)]


BASE_ROW = ["ICBC", "INV-2026-00001", "150", "2026-04-10", "cheque", ""]
PAYER, INVOICE, AMOUNT, DATE, METHOD, REFERENCE = range(6)
BAD_CELLS = {  # case: ({column: value}, reason)
    "bad date": ({DATE: "10/04/2026"}, "not a date"),
    "future date": ({DATE: "2999-01-01"}, "future"),
    "bad amount": ({AMOUNT: "15O.00"}, "not an amount"),
    "negative amount": ({AMOUNT: "-5"}, "more than 0"),
    "three decimals": ({AMOUNT: "1.005"}, "two decimals"),
    "missing amount": ({AMOUNT: ""}, "amount is missing"),
    "unknown invoice": ({INVOICE: "INV-2026-04242"}, "Unknown invoice"),
    "missing invoice": ({INVOICE: ""}, "invoice number is missing"),
    "other payer": ({PAYER: "WorkSafeBC"}, "not billed to the payer"),
    "over-allocation": ({INVOICE: "INV-2026-00002", AMOUNT: "300.01"}, "still open"),
    "unknown method": ({METHOD: "bitcoin"}, "not a payment method"),
    "formula": ({AMOUNT: "=1+1"}, "formula"),
    "formula in text": ({REFERENCE: '=HYPERLINK("x")'}, "formula"),
    "huge cell": ({REFERENCE: "x" * 5000}, "5000 characters"),
}


def bad_row(case: str) -> tuple[list, str]:
    changes, reason = BAD_CELLS[case]
    return [changes.get(i, value) for i, value in enumerate(BASE_ROW)], reason


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("case", list(BAD_CELLS))
def test_one_bad_row_saves_nothing_and_names_its_line(books, kind, case):
    row, reason = bad_row(case)
    result = run([GOOD[0], GOOD[1], row, GOOD[3]], kind)

    assert not result.saved
    assert [problem.line for problem in result.problems] == [4]  # header is line 1
    assert reason in result.problems[0].reason
    assert nothing_saved()


def test_over_allocation_counts_earlier_rows_of_the_file(books):
    rows = [GOOD[0], GOOD[1], ["ICBC", "INV-2026-00001", "0.01", "2026-04-10", "cheque", ""]]
    result = run(rows)
    assert [(p.line, "still open" in p.reason) for p in result.problems] == [(4, True)]
    assert nothing_saved()


def test_every_bad_row_is_reported(books):
    rows = [bad_row("bad date")[0], GOOD[0], bad_row("unknown invoice")[0]]
    result = run(rows)
    assert [problem.line for problem in result.problems] == [2, 4]


@pytest.mark.parametrize(
    "header, reason",
    [
        (["Payer", "Invoice", "Amount", "Method"], "lacks received_on"),
        (["Invoice number", "Amount", "Date", "Method", "Colour"], "unknown columns colour"),
        (None, "lacks"),  # first data row taken as a header
    ],
)
def test_wrong_headers_are_refused(books, header, reason):
    result = run(GOOD, header=header)
    assert [(p.line, reason in p.reason) for p in result.problems] == [(0, True)]
    assert nothing_saved()


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("remittance.pdf", b"%PDF-1.4", "Upload a .csv or .xlsx"),
        ("remittance.xlsx", b"not a zip at all", "not a readable Excel"),
        ("remittance.csv", b"\x00\x01\x02PK", "not a CSV"),
        ("remittance.csv", b"", "empty"),
        ("remittance.csv", b"Invoice,Amount,Date,Method\n", "no rows"),
        ("remittance.csv", b"x" * (10 * 1024 * 1024 + 1), "larger than 10 MB"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(books, name, content, reason):
    result = payments_import(name=name, content=content)
    assert not result.saved
    assert len(result.problems) == 1
    assert result.problems[0].line == 0
    assert reason in result.problems[0].reason
    assert nothing_saved()


def test_accents_and_a_byte_order_mark_are_fine(books):
    payer = PayerFactory(name="Société d'assurance Québec")
    IssuedInvoiceFactory(payer=payer, number="INV-2026-00077")
    content = csv_file(
        [["Société d'assurance Québec", "INV-2026-00077", "12,50", "2026-04-10", "Chèque", "Réf é"]]
    )
    content = "\ufeff".encode() + content.replace("Chèque".encode(), b"cheque")
    result = payments_import(name="remittance.csv", content=content)
    assert result.problems == []
    assert Payment.objects.get().reference == "Réf é"
    assert Payment.objects.get().amount == Decimal("12.50")


def test_a_cp1252_file_from_excel_is_read(books):
    payer = PayerFactory(name="Assurance Lévis")
    IssuedInvoiceFactory(payer=payer, number="INV-2026-00078")
    content = csv_file([["Assurance Lévis", "INV-2026-00078", "10", "2026-04-10", "cash", ""]])
    result = payments_import(name="r.csv", content=content.decode().encode("cp1252"))
    assert result.saved


def test_a_client_invoice_paid_by_import_gets_a_receipt(books):
    invoice = IssuedInvoiceFactory(
        payer=None, client=SessionLineFactory().client, number="INV-2026-00090"
    )
    result = run([["", invoice.number, "300", "2026-04-10", "card", ""]])
    assert result.saved
    payment = Payment.objects.get()
    assert payment.client_id == invoice.client_id
    assert payment.receipt.number.startswith("TEST-")


def test_query_count_does_not_grow_with_rows(books, django_assert_max_num_queries):
    payer = books["icbc"]
    invoices = [IssuedInvoiceFactory(payer=payer, total_amount=Decimal("10.00")) for _ in range(60)]
    rows = [["ICBC", invoice.number, "10.00", "2026-04-10", "eft", "EFT-1"] for invoice in invoices]
    with django_assert_max_num_queries(20):
        result = run(rows)
    assert result.saved
    assert Payment.objects.get().allocations.count() == 60


# --- The admin page: upload, preview, confirm; behind the finance/admin roles --------------


@pytest.fixture
def finance_user(roles):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    user.groups.add(roles["finance"])
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_payment", "view_payment"])
    )
    return user


def upload(http, content, name="remittance.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return http.post(
        reverse("admin:billing_payment_import"),
        {"file": SimpleUploadedFile(name, content), "_preview": "1"},
    )


def test_preview_saves_nothing_then_confirm_records_it(
    client, finance_user, books, tmp_path, settings
):
    settings.VAR_DIR = tmp_path
    client.force_login(finance_user)

    preview = upload(client, csv_file(GOOD))
    assert preview.status_code == 200
    assert "Confirm and record" in preview.content.decode()
    assert nothing_saved()

    token = preview.context["token"]
    confirmed = client.post(
        reverse("admin:billing_payment_import"), {"token": token, "_confirm": "1"}
    )
    assert confirmed.status_code == 302
    assert Payment.objects.count() == 2
    again = client.post(reverse("admin:billing_payment_import"), {"token": token, "_confirm": "1"})
    assert again.status_code == 302  # the token is spent: nothing recorded twice
    assert Payment.objects.count() == 2


def test_a_bad_file_shows_every_problem_and_no_confirm_button(client, finance_user, books):
    client.force_login(finance_user)
    rows = [GOOD[0], bad_row("bad amount")[0], bad_row("unknown invoice")[0]]
    response = upload(client, xlsx_file(rows), "remittance.xlsx")
    page = response.content.decode()
    assert response.status_code == 200
    assert "2 problems: nothing was saved." in page
    assert "not an amount" in page and "Unknown invoice" in page
    assert "Confirm and record" not in page
    assert nothing_saved()


@pytest.mark.parametrize("name, content", [("x.exe", b"MZ\x90"), ("x.xlsx", b"garbage")])
def test_wrong_file_types_are_a_message_not_an_error(client, finance_user, books, name, content):
    client.force_login(finance_user)
    response = upload(client, content, name)
    assert response.status_code == 200
    assert "nothing was saved" in response.content.decode()


def test_read_only_staff_cannot_import(client, roles, books):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    reader = UserFactory(is_staff=True)
    reader.groups.add(roles["read-only"])
    # even a stray add_payment permission does not make a read-only user an importer
    reader.user_permissions.add(Permission.objects.get(codename="add_payment"))
    client.force_login(reader)
    assert client.get(reverse("admin:billing_payment_import")).status_code == 403
    assert upload(client, csv_file(GOOD)).status_code == 403
    assert nothing_saved()


def test_import_needs_the_payment_permission_even_in_the_finance_role(client, roles, books):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    user.groups.add(roles["finance"])
    client.force_login(user)
    assert client.get(reverse("admin:billing_payment_import")).status_code == 200
    roles["finance"].permissions.remove(Permission.objects.get(codename="import_payment"))
    assert client.get(reverse("admin:billing_payment_import")).status_code == 403
