"""Statement workbook and ZIP: both sheets read back, formulas neutralised (docs/quality.md,
Spreadsheet formulas), clients by initials, constant queries."""

import io
import zipfile
from datetime import date

import pytest
from django.utils import translation
from openpyxl import load_workbook

from backoffice.documents.zips import pdfs_zip_stream
from backoffice.payouts.models import Statement
from backoffice.payouts.services import statements_generate
from backoffice.payouts.services.exports import statements_xlsx, statements_zip_stream
from backoffice.payouts.services.pdf import statement_pdf, statement_pdf_filename
from tests.billing.documents import pdf_text
from tests.factories import ClientFactory
from tests.payouts.test_pdf import MARCH, rated_therapist, sessions

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def statements():
    """Two March statements from the month run: Nguyen (3 paid, 1 held), and a therapist and
    client whose names a spreadsheet would run as formulas (1 paid, 2 held)."""
    nguyen = rated_therapist(first_name="Amélie", last_name="Nguyen")
    sessions(
        nguyen,
        ClientFactory(first_name="Marguerite", last_name="Tremblay", primary_therapist=nguyen),
        paid=3,
        held=1,
    )
    evil = rated_therapist(first_name=EVIL, last_name="Zed")
    sessions(evil, ClientFactory(first_name=EVIL, last_name="Zed"), paid=1, held=2)
    statements_generate(month=MARCH)
    return {
        "nguyen": Statement.objects.get(therapist=nguyen),
        "evil": Statement.objects.get(therapist=evil),
    }


def workbook_sheets(content: bytes) -> dict[str, list[tuple]]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}


def as_dicts(rows: list[tuple]) -> list[dict]:
    header, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


def test_statements_sheet_has_one_row_of_totals_per_statement(statements):
    sheets = workbook_sheets(statements_xlsx(queryset=Statement.objects.all()))

    assert list(sheets) == ["Statements", "Lines"]
    rows = {row["Therapist"]: row for row in as_dicts(sheets["Statements"])}
    nguyen = rows["Amélie Nguyen"]
    assert nguyen["Month"] == "2026-03"
    assert nguyen["Status"] == "Draft"
    assert nguyen["Sending"] == "Not sent"
    assert nguyen["Sessions paid out"] == 3
    # Amounts are numbers a spreadsheet can add up, not text.
    assert (nguyen["Gross"], nguyen["Service fees"], nguyen["Net payable"]) == (360, 108, 252)
    assert (nguyen["Sessions held"], nguyen["Held (at therapist's price)"]) == (1, 120)
    evil = rows[f"'{EVIL} Zed"]
    assert (evil["Sessions paid out"], evil["Sessions held"], evil["Net payable"]) == (1, 2, 84)


def test_lines_sheet_lists_paid_and_held_sessions_with_clients_by_initials(statements):
    sheets = workbook_sheets(statements_xlsx(queryset=Statement.objects.all()))

    lines = as_dicts(sheets["Lines"])
    nguyen = [line for line in lines if line["Therapist"] == "Amélie Nguyen"]
    assert [line["Kind"] for line in nguyen] == ["Paid out"] * 3 + ["Held until paid"]
    client_id = statements["nguyen"].lines.first().client_id
    assert {line["Client"] for line in nguyen} == {f"M. T. · #{client_id}"}
    assert nguyen[0]["Service"] == "Individual session"
    assert nguyen[0]["Outcome"] == "Completed"
    assert nguyen[0]["Paid on"].date() == date(2026, 3, 28)
    assert nguyen[-1]["Paid on"] is None
    assert (nguyen[0]["Price"], nguyen[0]["Service fee"], nguyen[0]["Net"]) == (120, 36, 84)
    assert sum(line["Net"] for line in nguyen if line["Kind"] == "Paid out") == 252
    cells = [str(cell) for row in sheets["Lines"] for cell in row if cell is not None]
    assert not any("Marguerite" in cell or "Tremblay" in cell for cell in cells)


def test_formula_like_names_are_neutralised_in_both_sheets(statements):
    sheets = workbook_sheets(statements_xlsx(queryset=Statement.objects.all()))

    lines = [line for line in as_dicts(sheets["Lines"]) if line["Therapist"] != "Amélie Nguyen"]
    assert {line["Therapist"] for line in lines} == {f"'{EVIL} Zed"}
    client_id = statements["evil"].lines.first().client_id
    # Initials of a client called "=HYPERLINK…" start with "=" too.
    assert {line["Client"] for line in lines} == {f"'=. Z. · #{client_id}"}
    for rows in sheets.values():
        assert not any(
            isinstance(cell, str) and cell.startswith(("=", "+", "-", "@"))
            for row in rows
            for cell in row
        )


def test_headers_follow_the_active_language(statements):
    with translation.override("fr-ca"):
        sheets = workbook_sheets(statements_xlsx(queryset=Statement.objects.all()))

    assert "Thérapeute" in sheets[next(iter(sheets))][0]
    assert "Date du service" in sheets[list(sheets)[1]][0]


def test_export_of_a_selection_holds_only_its_statements_and_lines(statements):
    chosen = Statement.objects.filter(pk=statements["evil"].pk)
    sheets = workbook_sheets(statements_xlsx(queryset=chosen))

    assert len(sheets["Statements"]) == 1 + 1
    assert len(sheets["Lines"]) == 1 + 3


@pytest.mark.parametrize("per_therapist", [5, 50])
def test_workbook_takes_two_queries_however_many_lines(per_therapist, django_assert_num_queries):
    for _ in range(2):
        therapist = rated_therapist()
        client = ClientFactory(primary_therapist=therapist)
        sessions(therapist, client, paid=per_therapist - 1, held=1)
    statements_generate(month=MARCH)

    # One query per sheet: the statements, then their lines with therapists and clients.
    with django_assert_num_queries(2):
        content = statements_xlsx(queryset=Statement.objects.all())

    assert len(workbook_sheets(content)["Lines"]) == 1 + 2 * per_therapist


def test_zip_holds_one_pdf_per_statement_in_constant_queries(statements, django_assert_num_queries):
    ids = sorted(statement.pk for statement in statements.values())
    # One batch: the statements with their therapists, then their lines with clients and services.
    with django_assert_num_queries(2):
        content = b"".join(statements_zip_stream(statement_ids=ids))

    archive = zipfile.ZipFile(io.BytesIO(content))
    by_pk = {statement.pk: statement for statement in statements.values()}
    assert archive.namelist() == [statement_pdf_filename(by_pk[pk]) for pk in ids]
    nguyen = statements["nguyen"]
    assert archive.namelist()[ids.index(nguyen.pk)] == (
        f"statement-2026-03-Nguyen-{nguyen.therapist_id}.pdf"
    )
    text = pdf_text(archive.read(statement_pdf_filename(nguyen)))
    assert "Amélie Nguyen" in text and "$252.00" in text


def test_zip_is_streamed_a_batch_at_a_time(statements):
    third = rated_therapist(last_name="Ouellet")
    sessions(third, ClientFactory(primary_therapist=third), paid=1, held=0)
    statements_generate(month=MARCH)
    ids = list(Statement.objects.order_by("pk").values_list("pk", flat=True))
    batches = []

    def batch(batch_ids):
        batches.append(batch_ids)
        return Statement.objects.filter(pk__in=batch_ids).select_related("therapist").order_by("pk")

    stream = pdfs_zip_stream(
        ids=ids,
        batch=batch,
        pdf=lambda statement: statement_pdf(statement=statement),
        filename=statement_pdf_filename,
        batch_size=2,
    )
    first = next(stream)
    assert first.startswith(b"PK")  # the first PDF leaves before the others are rendered
    assert batches == [ids[:2]]
    content = first + b"".join(stream)

    assert batches == [ids[:2], ids[2:]]
    assert len(zipfile.ZipFile(io.BytesIO(content)).namelist()) == 3
