"""Excel/CSV exports and the PDF/ZIP admin views: formulas neutralised (docs/quality.md,
Spreadsheet formulas), constant queries."""

import csv
import io
import zipfile
from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory
from openpyxl import load_workbook

from backoffice.admin_base import CaseloadAdmin
from backoffice.billing.admin.documents import InvoiceDocumentsAdminMixin
from backoffice.billing.models import Invoice, InvoiceLine
from backoffice.billing.services import (
    invoice_lines_csv,
    invoice_lines_xlsx,
    invoices_xlsx,
    invoices_zip_stream,
)
from tests.billing.documents import issued_invoice, line_for, pdf_text
from tests.factories import ClientFactory, PayerFactory

pytestmark = pytest.mark.django_db


class DocumentsAdmin(InvoiceDocumentsAdminMixin, CaseloadAdmin):
    pass


@pytest.fixture
def invoices():
    payer = PayerFactory(name='=HYPERLINK("http://evil.example","Pacific")')
    made = []
    for number in range(3):
        invoice = issued_invoice(
            payer=payer, number=f"INV-2026-0010{number}", total_amount=Decimal("300.00")
        )
        for name in ('=HYPERLINK("http://evil.example","x")', "Hélène Côté-Lévesque"):
            line_for(invoice, client=ClientFactory(first_name=name.split()[0], last_name="Z"))
        made.append(invoice)
    return made


def sheet_rows(content: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return list(workbook.worksheets[0].iter_rows(values_only=True))


def test_lines_workbook_reads_back_with_formulas_as_text(invoices):
    rows = sheet_rows(invoice_lines_xlsx(queryset=InvoiceLine.objects.all()))

    header, *lines = rows
    assert len(lines) == 6
    assert "Client legal name" in header
    client_names = [row[header.index("Client legal name")] for row in lines]
    assert '\'=HYPERLINK("http://evil.example","x") Z' in client_names
    assert "Hélène Z" in client_names
    assert all(not str(cell).startswith("=") for row in rows for cell in row if cell)
    assert lines[0][header.index("Fee")] == 160  # numbers stay numbers


def test_invoices_workbook_has_one_row_per_invoice(invoices):
    header, *rows = sheet_rows(invoices_xlsx(queryset=Invoice.objects.all()))
    assert [row[0] for row in rows] == ["INV-2026-00100", "INV-2026-00101", "INV-2026-00102"]
    assert rows[0][header.index("Bill to")].startswith("'=HYPERLINK")


def test_csv_escapes_formulas_too(invoices):
    text = "".join(invoice_lines_csv(queryset=InvoiceLine.objects.all())).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 7
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_exports_run_the_same_queries_for_any_number_of_invoices(
    invoices, django_assert_num_queries
):
    with django_assert_num_queries(1):
        invoice_lines_xlsx(queryset=InvoiceLine.objects.all())
    with django_assert_num_queries(1):
        invoices_xlsx(queryset=Invoice.objects.all())


def test_zip_holds_one_pdf_per_invoice_in_constant_queries(invoices, django_assert_num_queries):
    ids = [invoice.pk for invoice in invoices]
    # One batch: the invoices, then their lines with clients, therapists and services.
    with django_assert_num_queries(2):
        content = b"".join(invoices_zip_stream(invoice_ids=ids))

    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.namelist() == ["INV-2026-00100.pdf", "INV-2026-00101.pdf", "INV-2026-00102.pdf"]
    assert "Hélène Z" in pdf_text(archive.read("INV-2026-00101.pdf"))


def test_admin_views_pdf_inline_and_zips_the_filtered_list(invoices, superuser):
    model_admin = DocumentsAdmin(Invoice, admin.site)
    request = RequestFactory().get("/")
    request.user = superuser

    response = model_admin.pdf_view(request, invoices[0].pk)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert "INV-2026-00100" in pdf_text(response.content)

    download = model_admin.pdf_download_view(request, invoices[0].pk)
    assert download["Content-Disposition"].startswith("attachment")

    zipped = model_admin.download_pdfs_zip(request, Invoice.objects.filter(pk=invoices[1].pk))
    names = zipfile.ZipFile(io.BytesIO(b"".join(zipped.streaming_content))).namelist()
    assert names == ["INV-2026-00101.pdf"]

    filtered = RequestFactory().get("/", {"number": "INV-2026-00102"})
    filtered.user = superuser
    response = model_admin.zip_filtered(filtered)
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert names == ["INV-2026-00102.pdf"]


def test_admin_export_actions_answer_with_workbooks(invoices, superuser):
    model_admin = DocumentsAdmin(Invoice, admin.site)
    request = RequestFactory().get("/")
    request.user = superuser
    response = model_admin.export_lines_xlsx(request, Invoice.objects.filter(pk=invoices[0].pk))
    assert len(sheet_rows(response.content)) == 3
    response = model_admin.export_invoices_csv(request, Invoice.objects.all())
    assert b"".join(response.streaming_content).count(b"INV-2026-001") == 3


def test_the_export_page_writes_every_invoice_as_safe_excel(admin_client, invoices):
    from django.urls import reverse

    url = reverse("admin:billing_invoice_export")
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "format": "1",
            "resource": "0",
            **{f"invoiceresource_{name}": "on" for name in ("number", "bill_to", "total_amount")},
        },
    )
    assert response.status_code == 200, response.content[:500]
    rows = sheet_rows(response.content)
    assert len(rows) == 1 + len(invoices)
    assert all(not str(cell).startswith("=") for row in rows for cell in row if cell)
