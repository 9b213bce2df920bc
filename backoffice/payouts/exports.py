"""Statement exports: one workbook (statements and their lines) and a ZIP of their PDFs.

The workbook follows billing.exports: one query per sheet (`values_list` over the joins,
streamed with `iterator`), openpyxl in write-only mode so memory stays flat, and every text
cell through `spreadsheet_safe` (S5). Clients appear as on the PDFs, by initials and file
number (`pdf.client_label`): a statement workbook is about therapists, not clients.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from types import SimpleNamespace

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook

from backoffice.billing.models import SendStatus
from backoffice.documents import pdfs_zip_stream
from backoffice.payouts.models import (
    Statement,
    StatementLine,
    StatementLineKind,
    StatementStatus,
)
from backoffice.payouts.pdf import (
    client_label,
    statement_pdf,
    statement_pdf_filename,
    statements_for_documents,
)
from backoffice.reports.exports import spreadsheet_safe
from backoffice.scheduling.models import AppointmentStatus

CHUNK_ROWS = 2000


def _person(first: str | None, last: str | None) -> str:
    return " ".join(name for name in (first, last) if name)


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value or ""))


def statement_headers() -> list[str]:
    return [
        _("Therapist"),
        _("Month"),
        _("Status"),
        _("Sending"),
        _("Sessions paid out"),
        _("Gross"),
        _("Service fees"),
        _("Net payable"),
        _("Sessions held"),
        _("Held (at therapist's price)"),
        _("Sent on"),
        _("Paid on"),
        _("Payout reference"),
    ]


def statement_rows(queryset: QuerySet[Statement]) -> Iterator[list]:
    """One row per statement, in one query."""
    values = queryset.order_by(
        "period_start", "therapist__last_name", "therapist__first_name", "pk"
    ).values_list(
        "therapist__first_name",
        "therapist__last_name",
        "period_start",
        "status",
        "send_status",
        "paid_count",
        "gross_amount",
        "service_fee_amount",
        "net_amount",
        "held_count",
        "held_amount",
        "sent_on",
        "paid_on",
        "payout_reference",
    )
    for (
        first,
        last,
        period_start,
        status,
        send_status,
        paid_count,
        gross,
        fees,
        net,
        held_count,
        held_amount,
        sent_on,
        paid_on,
        reference,
    ) in values.iterator(chunk_size=CHUNK_ROWS):
        yield [
            _person(first, last),
            f"{period_start:%Y-%m}",
            _label(StatementStatus.choices, status),
            _label(SendStatus.choices, send_status),
            paid_count,
            gross,
            fees,
            net,
            held_count,
            held_amount,
            sent_on,
            paid_on,
            reference,
        ]


def line_headers() -> list[str]:
    return [
        _("Therapist"),
        _("Month"),
        _("Kind"),
        _("Service date"),
        _("Client"),
        _("Service"),
        _("Outcome"),
        _("Paid on"),
        _("Price"),
        _("Service fee"),
        _("Net"),
    ]


def line_rows(queryset: QuerySet[StatementLine]) -> Iterator[list]:
    """One row per statement line, in one query."""
    values = queryset.order_by(
        "statement__period_start",
        "statement__therapist__last_name",
        "statement__therapist__first_name",
        "statement_id",
        "-kind",  # paid out before held, as on the PDF
        "service_date",
        "pk",
    ).values_list(
        "statement__therapist__first_name",
        "statement__therapist__last_name",
        "statement__period_start",
        "kind",
        "service_date",
        "client_id",
        "client__first_name",
        "client__last_name",
        "service_type__name",
        "appointment_status",
        "paid_on",
        "price_amount",
        "service_fee_amount",
        "net_amount",
    )
    for (
        first,
        last,
        period_start,
        kind,
        service_date,
        client_id,
        client_first,
        client_last,
        service,
        outcome,
        paid_on,
        price,
        fee,
        net,
    ) in values.iterator(chunk_size=CHUNK_ROWS):
        client = SimpleNamespace(pk=client_id, first_name=client_first, last_name=client_last)
        yield [
            _person(first, last),
            f"{period_start:%Y-%m}",
            _label(StatementLineKind.choices, kind),
            service_date,
            client_label(client),
            service,
            _label(AppointmentStatus.choices, outcome),
            paid_on,
            price,
            fee,
            net,
        ]


def statements_xlsx(*, queryset: QuerySet[Statement]) -> bytes:
    """The statements and their lines as one workbook, write-only: one query per sheet."""
    lines = StatementLine.objects.filter(statement__in=queryset.values("pk"))
    sheets = [
        (_("Statements"), statement_headers(), statement_rows(queryset)),
        (_("Lines"), line_headers(), line_rows(lines)),
    ]
    workbook = Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([spreadsheet_safe(cell) for cell in headers])
        for row in rows:
            sheet.append([spreadsheet_safe(cell) for cell in row])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _statements_batch(statement_ids: list[int]):
    return statements_for_documents(Statement.objects.filter(pk__in=statement_ids)).order_by("pk")


def statements_zip_stream(*, statement_ids: list[int]) -> Iterator[bytes]:
    """A ZIP of the statements' PDFs, streamed; two queries per batch of statements."""
    yield from pdfs_zip_stream(
        ids=statement_ids,
        batch=_statements_batch,
        pdf=lambda statement: statement_pdf(statement=statement),
        filename=statement_pdf_filename,
    )
