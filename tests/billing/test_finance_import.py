"""Finance import (docs/quality.md, Imports all or nothing): good files saved whole, bad files
change nothing and say which line (and column) is wrong and why, CSV and XLSX alike; a dry run
saves nothing; money already in the books is never recorded twice; the file waits in storage
between preview and confirm.
Hostile files (zip bombs, giant cells and lines, millions of rows): test_import_limits.py."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse, reverse_lazy
from django.utils import translation
from huey.contrib.djhuey import HUEY
from huey.exceptions import TaskLockedException
from openpyxl import Workbook

from backoffice.billing.models import Invoice, Payment, PaymentAllocation
from backoffice.billing.services.imports import (
    MAX_EMPTY_ROWS,
    MAX_ROWS,
    STAGED_DIR,
    payments_file_read,
    payments_import,
    staged_import_save,
    staged_import_take,
    staged_imports_sweep,
)
from backoffice.billing.services.payments import payment_record
from jobs.tasks import staged_imports_sweep_task
from tests.billing import workbooks
from tests.conftest import VANCOUVER
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
    """Imports `rows`; identical rows confirmed (GOOD has two, one per session) unless told."""
    content = (csv_file if kind == "csv" else xlsx_file)(rows, header)
    kwargs.setdefault("repeated_rows_confirmed", True)
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
    "formula after a line break": ({REFERENCE: '\n=HYPERLINK("x")'}, "formula"),
    "full-width formula": ({REFERENCE: '＝HYPERLINK("x")'}, "formula"),
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


# --- Strict formats: what is not written the documented way is refused, by line and column --


def read_one(value, column=AMOUNT, kind="csv"):
    """The file of BASE_ROW with `value` in `column`, read without the books."""
    row = [value if i == column else cell for i, cell in enumerate(BASE_ROW)]
    content = (csv_file if kind == "csv" else xlsx_file)([row])
    return payments_file_read(name=f"remittance.{kind}", content=content)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "written",
    ["1e1", "1E2", "1,000.00.0", "NaN", "Infinity", "-inf", "1.2.3", "12,3456", "1,2345.00",
     "150 00", "1 5 0", ".5", "5.", "+5", "0x1F", "1_000", "\u0661\u0665\u0660", "150 CAD"],
)  # fmt: skip
def test_an_amount_in_another_format_is_refused_with_its_line_and_column(kind, written):
    result = read_one(written, AMOUNT, kind)
    assert [(p.line, p.column) for p in result.problems] == [(2, "C (Amount)")]
    assert "is not an amount (write it as 1234.56 or 1,234.56)" in result.problems[0].reason
    assert result.lines == []


@pytest.mark.parametrize(
    "written, amount",
    [
        ("1234.56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1,234,567", "1234567.00"),
        ("150", "150.00"),
        ("150.5", "150.50"),
        ("1234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("12,50", "12.50"),
        ("$1,234.56", "1234.56"),
        ("1 234,56 $", "1234.56"),
        (" 150.00 ", "150.00"),
    ],
)
def test_the_documented_amount_formats_are_read(written, amount):
    result = read_one(written)
    assert result.problems == []
    assert result.lines[0].amount == Decimal(amount)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "written",
    ["20261115", "2026-11-5", "15/11/2026", "11/15/2026", "2026/11/15", "2026-02-30",
     "2026-11-15T00:00", "2026-11-15 00:00:00", "2026-W46-7", "2026-319", "46341",
     "\uff12\uff10\uff12\uff16-\uff11\uff11-\uff11\uff15"],
)  # fmt: skip
def test_a_date_in_another_format_is_refused_with_its_line_and_column(kind, written):
    result = read_one(written, DATE, kind)
    assert [(p.line, p.column) for p in result.problems] == [(2, "D (Date)")]
    assert "is not a date (write it as YYYY-MM-DD" in result.problems[0].reason


@pytest.mark.parametrize("written", ["9" * 40, "100,000,000.00", 1e15])
def test_an_amount_too_large_is_refused(written):
    result = read_one(written, AMOUNT, "xlsx")
    assert [(p.line, p.column, p.reason) for p in result.problems] == [
        (2, "C (Amount)", "The amount is too large.")
    ]


def test_excel_cells_are_read_by_their_type():
    """Dates: a date cell (a time of day is dropped), never a bare serial number; amounts: a
    number cell, its binary float read to Excel's 15 digits."""
    rows = [
        ["ICBC", "INV-2026-00001", 0.1 + 0.2, datetime(2026, 4, 10, 14, 30), "cheque", ""],
        ["ICBC", "INV-2026-00001", 150, 46122, "cheque", ""],
        ["ICBC", "INV-2026-00001", float("nan"), date(2026, 4, 10), "cheque", ""],
    ]
    result = payments_file_read(name="remittance.xlsx", content=xlsx_file(rows))
    assert [(line.amount, line.received_on) for line in result.lines] == [
        (Decimal("0.30"), date(2026, 4, 10))
    ]
    assert [(p.line, p.column) for p in result.problems] == [(3, "D (Date)"), (4, "C (Amount)")]


def test_a_column_named_twice_is_refused(books):
    header = ["Invoice number", "Amount", "Date", "Method", "amount"]
    result = run([["INV-2026-00001", "150", "2026-04-10", "cheque", "150"]], header=header)
    assert [(p.line, "column amount appears twice" in p.reason) for p in result.problems] == [
        (0, True)
    ]


def test_the_page_shows_the_accepted_formats(client, finance_user):
    client.force_login(finance_user)
    page = client.get(reverse("admin:billing_payment_import")).content.decode()
    formats = page[page.index('id="import-formats"') :]
    assert "1234.56 or 1,234.56" in formats
    assert "YYYY-MM-DD (2026-11-15) or an Excel date cell" in formats
    assert "20261115" in formats  # and what is refused
    assert "At most 10,000 rows and 1,000 empty rows, columns A to Z" in formats
    with translation.override("en"):  # the request leaves its language active: not after
        french = client.get(reverse("admin:billing_payment_import"), HTTP_ACCEPT_LANGUAGE="fr-CA")
    formats = french.content.decode()
    assert "Dates : AAAA-MM-JJ (2026-11-15) ou une cellule de date Excel" in formats
    assert "Au plus 10\u00a0000 lignes et 1\u00a0000 lignes vides" in formats


# --- Row limits (the cost of hostile files is measured in test_import_limits.py) ------------


def test_more_rows_than_the_limit_are_refused_before_anything_is_checked():
    rows = [BASE_ROW] * MAX_ROWS
    assert payments_file_read(name="r.csv", content=csv_file(rows)).problems == []
    result = payments_file_read(name="r.csv", content=csv_file([*rows, BASE_ROW]))
    assert [(p.line, "more than 10,000 rows" in p.reason) for p in result.problems] == [(0, True)]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_empty_rows_are_skipped_up_to_their_limit(kind):
    build = csv_file if kind == "csv" else xlsx_file
    rows = [BASE_ROW, *[[""] * 6] * MAX_EMPTY_ROWS, BASE_ROW]
    result = payments_file_read(name=f"r.{kind}", content=build(rows))
    assert [line.line for line in result.lines] == [2, 3 + MAX_EMPTY_ROWS]
    rows.insert(1, [""] * 6)
    result = payments_file_read(name=f"r.{kind}", content=build(rows))
    assert [(p.line, "more than 1,000 empty rows" in p.reason) for p in result.problems] == [
        (0, True)
    ]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_cells_beyond_column_z_are_refused(kind):
    rows = [[*BASE_ROW, *[""] * 20, "x"]]  # column AA
    content = (csv_file if kind == "csv" else xlsx_file)(rows)
    result = payments_file_read(name=f"r.{kind}", content=content)
    assert len(result.problems) == 1
    assert "beyond column Z" in result.problems[0].reason


# --- Money already in the books is never recorded twice ---------------------------------------


def test_the_same_remittance_imported_twice_is_refused_row_by_row(books):
    assert run(GOOD).saved
    again = run(GOOD, "xlsx")
    assert not again.saved
    assert [p.line for p in again.problems] == [2, 3, 4, 5]
    assert all(
        p.reason.startswith("Already recorded: the payment of 2026-04-") for p in again.problems
    )
    assert "reference CHQ 881, $400.00" in again.problems[0].reason
    assert Payment.objects.count() == 2
    books["first"].refresh_from_db()
    assert books["first"].paid_amount == Decimal("300.00")


def test_a_part_of_a_remittance_already_imported_is_refused_too(books):
    assert run([GOOD[0], GOOD[1]]).saved  # the cheque's first invoice
    again = run(GOOD)  # then the whole remittance: the cheque is already in the books
    assert [p.line for p in again.problems] == [2, 3, 4]
    assert Payment.objects.count() == 1


def test_a_payment_entered_by_hand_is_not_imported_again(books):
    payment_record(
        payer=books["icbc"],
        amount=Decimal("400.00"),
        received_on=date(2026, 4, 10),
        method="cheque",
        reference="CHQ 881",
    )
    result = run([["ICBC", "INV-2026-00002", "100", "2026-04-10", "cheque", "chq-881"]])
    assert [(p.line, "Already recorded" in p.reason) for p in result.problems] == [(2, True)]
    assert Payment.objects.count() == 1


def test_a_row_without_reference_is_recorded_when_invoice_date_and_amount_match(books):
    assert run([GOOD[3]]).saved  # 50.00 on INV-2026-00002 on 2026-04-11, no reference
    again = run([GOOD[3]])
    assert [p.line for p in again.problems] == [2]
    assert again.problems[0].reason.startswith(
        "Already recorded: the payment of 2026-04-11 without a reference, $50.00"
    )
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [{DATE: "2026-04-12"}, {REFERENCE: "CHQ 882"}, {AMOUNT: "60.00", REFERENCE: ""}],
    ids=["another day", "another cheque", "another amount without reference"],
)
def test_another_payment_of_the_same_payer_is_recorded(books, change):
    first = ["ICBC", "INV-2026-00002", "50.00", "2026-04-11", "cheque", "CHQ 881"]
    assert run([[*first[:5], ""] if REFERENCE in change else first]).saved
    assert run([[change.get(i, value) for i, value in enumerate(first)]]).saved
    assert Payment.objects.count() == 2


def test_the_preview_shows_rows_already_recorded(books):
    assert run(GOOD).saved
    preview = run(GOOD, dry_run=True)
    assert [p.line for p in preview.problems] == [2, 3, 4, 5]
    assert Payment.objects.count() == 2


def test_identical_rows_in_a_file_are_reported_and_recorded_only_once_confirmed(books):
    rows = [GOOD[0], GOOD[3], ["ICBC", "INV-2026-00001", "150", "2026-04-10", "Cheque", "chq881"]]

    preview = run(rows, dry_run=True)
    assert preview.problems == []
    assert preview.repeated == [[2, 4]]  # the third row is the first, written another way

    unconfirmed = run(rows, repeated_rows_confirmed=False)
    assert not unconfirmed.saved
    assert [(p.line, p.reason.startswith("Identical to line 2")) for p in unconfirmed.problems] == [
        (4, True)
    ]
    assert nothing_saved()

    assert run(rows, repeated_rows_confirmed=True).saved
    assert Payment.objects.get(reference="CHQ 881").amount == Decimal("300.00")


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


IMPORT_URL = reverse_lazy("admin:billing_payment_import")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def staged_files() -> list[str]:
    try:
        return default_storage.listdir(STAGED_DIR)[1]
    except FileNotFoundError:
        return []


def confirm(http, token, **data):
    return http.post(IMPORT_URL, {"token": token, "_confirm": "1", **data})


def test_preview_saves_nothing_then_confirm_records_it(client, finance_user, books, media):
    """The previewed file waits in the configured storage under a name nobody can guess (not
    on the web server's disk, not in the session), and goes once recorded."""
    client.force_login(finance_user)

    preview = upload(client, csv_file(GOOD))
    assert preview.status_code == 200
    assert "Confirm and record" in preview.content.decode()
    assert nothing_saved()
    (staged,) = staged_files()
    assert len(staged.split("-", 1)[1].removesuffix(".csv")) >= 43  # 256 random bits
    assert default_storage.open(f"{STAGED_DIR}/{staged}").read() == csv_file(GOOD)
    session = client.session[f"payments-import:{preview.context['token']}"]
    assert session == {"path": f"{STAGED_DIR}/{staged}", "name": "remittance.csv"}

    token = preview.context["token"]
    confirmed = confirm(client, token, repeated_rows_confirmed="1")
    assert confirmed.status_code == 302
    assert Payment.objects.count() == 2
    assert staged_files() == []
    again = confirm(client, token, repeated_rows_confirmed="1")
    assert again.status_code == 302  # the token is spent: nothing recorded twice
    assert Payment.objects.count() == 2


def test_identical_rows_must_be_ticked_on_the_preview(client, finance_user, books, media):
    client.force_login(finance_user)
    preview = upload(client, csv_file(GOOD))
    page = preview.content.decode()
    repeated = page[page.index('id="import-repeated"') :]
    assert "1 group of identical rows" in repeated and "lines 2, 3" in repeated
    assert 'name="repeated_rows_confirmed" value="1" required' in repeated

    unticked = confirm(client, preview.context["token"])
    assert unticked.status_code == 200
    assert "Identical to line 2" in unticked.content.decode()
    assert nothing_saved()
    assert staged_files() == []  # upload it again, and tick the box


def test_cancel_deletes_the_staged_file(client, finance_user, books, media):
    client.force_login(finance_user)
    token = upload(client, csv_file(GOOD)).context["token"]
    assert len(staged_files()) == 1

    cancelled = client.post(IMPORT_URL, {"token": token, "_cancel": "1"})
    assert cancelled.status_code == 302
    assert staged_files() == []
    assert confirm(client, token, repeated_rows_confirmed="1").status_code == 302
    assert nothing_saved()


def test_a_file_already_imported_shows_its_rows_and_no_confirm_button(
    client, finance_user, books, media
):
    assert run(GOOD).saved
    client.force_login(finance_user)
    page = upload(client, csv_file(GOOD)).content.decode()
    assert "4 problems: nothing was saved." in page
    assert page.count("Already recorded: the payment of 2026-04-") == 4
    assert "Confirm and record" not in page
    assert staged_files() == []


def test_problems_name_the_column_as_the_file_does(client, finance_user, books):
    client.force_login(finance_user)
    page = upload(client, csv_file([bad_row("bad date")[0]])).content.decode()
    problems = page[page.index('id="import-problems"') :]
    assert "D (Date)" in problems and "10/04/2026 is not a date" in problems


BIG_STRINGS = workbooks.Part.repeated(
    "xl/sharedStrings.xml",
    workbooks.STRINGS_START + "<si><t>",
    b"x" * 65536,
    32,
    "</t></si>" + workbooks.STRINGS_END,
)


@pytest.mark.parametrize(
    "name, content, reason",
    [
        (
            "remittance.xlsx",
            workbooks.workbook(workbooks.sheet_of(""), BIG_STRINGS),
            "unpacks to 2.0 MB, more than the 1 MB",
        ),
        (
            "remittance.csv",
            b"invoice_number,amount,received_on,method\n" + b"x" * 20_000,
            "longer than 10,000",
        ),
    ],
)
def test_files_past_the_limits_are_a_message_on_the_page(
    client, finance_user, books, name, content, reason
):
    client.force_login(finance_user)
    response = upload(client, content, name)
    assert response.status_code == 200
    assert reason in response.content.decode()


# --- Staged files nobody confirmed or cancelled: swept after a day ---------------------------


def test_the_sweep_deletes_staged_files_older_than_a_day(media, time_machine):
    time_machine.move_to(datetime(2026, 11, 14, 9, 0, tzinfo=VANCOUVER), tick=False)
    old = staged_import_save(name="old.csv", content=b"old")
    time_machine.move_to(datetime(2026, 11, 14, 23, 0, tzinfo=VANCOUVER), tick=False)
    recent = staged_import_save(name="recent.xlsx", content=b"recent")

    time_machine.move_to(datetime(2026, 11, 15, 8, 59, tzinfo=VANCOUVER), tick=False)
    assert staged_imports_sweep() == 0
    time_machine.move_to(datetime(2026, 11, 15, 9, 1, tzinfo=VANCOUVER), tick=False)
    assert staged_imports_sweep() == 1
    assert not default_storage.exists(old)
    assert default_storage.exists(recent)
    assert staged_import_take(path=old) is None  # its preview has expired


def test_the_worker_sweeps_every_hour_one_at_a_time(media, time_machine):
    task = staged_imports_sweep_task.s()
    assert task.validate_datetime(datetime(2026, 11, 15, 17, 20))  # Huey: naive UTC
    assert task.validate_datetime(datetime(2026, 11, 15, 18, 20))
    assert not task.validate_datetime(datetime(2026, 11, 15, 18, 21))

    time_machine.move_to(datetime(2026, 11, 14, 9, 0, tzinfo=VANCOUVER), tick=False)
    old = staged_import_save(name="old.csv", content=b"old")
    time_machine.move_to(datetime(2026, 11, 15, 10, 0, tzinfo=VANCOUVER), tick=False)
    with HUEY.lock_task("staged-imports-sweep"), pytest.raises(TaskLockedException):
        staged_imports_sweep_task.call_local()
    assert default_storage.exists(old)
    staged_imports_sweep_task.call_local()
    assert not default_storage.exists(old)


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
