"""Statement exports: one workbook (statements and their lines) and a ZIP of their PDFs.

One query per sheet (`selectors.statement_export_values`, `statement_line_export_values`),
written by `documents.spreadsheets`. Clients appear as on the PDFs, by initials and file
number (`pdf.client_label`): a statement workbook is about therapists, not clients.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from backoffice.documents.formatting import person_name
from backoffice.documents.models import SendStatus
from backoffice.documents.spreadsheets import (
    EXPORT_CHUNK_ROWS,
    choice_label,
    with_headers,
    workbook_xlsx,
)
from backoffice.documents.zips import documents_zip_stream
from backoffice.payouts.models import Statement, StatementLineKind, StatementStatus
from backoffice.payouts.selectors import (
    statement_export_values,
    statement_line_export_values,
    statements_for_documents,
)
from backoffice.payouts.services.pdf import client_label, statement_pdf, statement_pdf_filename
from backoffice.scheduling.models import AppointmentStatus


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
    ) in statement_export_values(queryset).iterator(chunk_size=EXPORT_CHUNK_ROWS):
        yield [
            person_name(first, last),
            f"{period_start:%Y-%m}",
            choice_label(StatementStatus.choices, status),
            choice_label(SendStatus.choices, send_status),
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


def line_rows(statements: QuerySet[Statement]) -> Iterator[list]:
    """One row per line of the statements, in one query."""
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
    ) in statement_line_export_values(statements).iterator(chunk_size=EXPORT_CHUNK_ROWS):
        client = SimpleNamespace(pk=client_id, first_name=client_first, last_name=client_last)
        yield [
            person_name(first, last),
            f"{period_start:%Y-%m}",
            choice_label(StatementLineKind.choices, kind),
            service_date,
            client_label(client),
            service,
            choice_label(AppointmentStatus.choices, outcome),
            paid_on,
            price,
            fee,
            net,
        ]


def statements_xlsx(*, queryset: QuerySet[Statement]) -> bytes:
    """The statements and their lines as one workbook, write-only: one query per sheet."""
    return workbook_xlsx(
        [
            (_("Statements"), with_headers(statement_headers(), statement_rows(queryset))),
            (_("Lines"), with_headers(line_headers(), line_rows(queryset))),
        ]
    )


def statements_zip_stream(*, statement_ids: list[int]) -> Iterator[bytes]:
    """A ZIP of the statements' PDFs, streamed; two queries per batch of statements."""
    return documents_zip_stream(
        ids=statement_ids,
        documents=statements_for_documents(Statement.objects.all()),
        pdf=lambda statement: statement_pdf(statement=statement),
        filename=statement_pdf_filename,
    )
