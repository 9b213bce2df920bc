"""Statement PDFs, in the therapist's language, on the documents app's base (documents.pdf).

Clients appear by initials and file number: the statement travels by email, and the
therapist knows their own clients.

A table row per line costs xhtml2pdf half a millisecond a cell, ~130 ms for a page of 36
lines (docs/quality.md allows 100 a page for statement PDFs). The template prints
LINES_PER_ROW lines in each row instead, a column's values one under the other, so each value
must stay on one line for the columns to line up: client and service labels are cut to their
column's width (`documents.pdf.one_line`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from backoffice.documents.formatting import day, money, month
from backoffice.documents.pdf import letterhead, one_line, pdf_render, text_fits
from backoffice.fields import Language
from backoffice.payouts.models import Statement, StatementLineKind, StatementStatus
from backoffice.payouts.selectors import statement_lines
from backoffice.scheduling.models import AppointmentStatus


def client_label(client) -> str:
    """Initials and file number: enough for the therapist, little for anyone else."""
    initials = " ".join(f"{name[:1]}." for name in (client.first_name, client.last_name) if name)
    return f"{initials} · #{client.pk}"


@dataclass
class _Line:
    service_date: str
    client: str
    service: str  # with the outcome of a missed session
    paid_on: str
    price: str
    fee: str
    net: str


LINES_PER_ROW = 10
# Text widths (pt) of the columns in payouts/pdf/statement.html: a share of the letter page
# less its margins (521 pt), less the cells' 6 pt of padding.
CLIENT_WIDTH = 0.15 * 521 - 6
SERVICE_WIDTH = 0.30 * 521 - 6
HELD_SERVICE_WIDTH = 0.46 * 521 - 6


def _client_cell(client) -> str:
    """Initials and file number, or the file number alone: never a cut file number."""
    label = client_label(client)
    return label if text_fits(label, CLIENT_WIDTH) else f"#{client.pk}"


def _chunks(lines: list[_Line]) -> list[list[_Line]]:
    """The lines LINES_PER_ROW at a time: one table row each in the template."""
    return [lines[i : i + LINES_PER_ROW] for i in range(0, len(lines), LINES_PER_ROW)]


def statement_language(statement: Statement) -> str:
    return statement.therapist.preferred_language or Language.ENGLISH


def statement_context(statement: Statement) -> dict:
    """What the statement template prints, formatted in the active language."""
    language = statement_language(statement)
    paid, held = [], []
    for line in statement_lines(statement):
        service = line.service_type.name_in(language)
        outcome = (
            ""
            if line.appointment_status == AppointmentStatus.COMPLETED
            else line.get_appointment_status_display()
        )
        is_paid = line.kind == StatementLineKind.PAID
        row = _Line(
            service_date=day(line.service_date),
            client=_client_cell(line.client),
            # The outcome first, so a long service name is what gets cut.
            service=one_line(
                f"{outcome} · {service}" if outcome else service,
                SERVICE_WIDTH if is_paid else HELD_SERVICE_WIDTH,
            ),
            paid_on=day(line.paid_on),
            price=money(line.price_amount),
            fee=money(line.service_fee_amount),
            net=money(line.net_amount),
        )
        (paid if is_paid else held).append(row)
    therapist = statement.therapist
    return {
        "letterhead": letterhead(),
        "statement": statement,
        "therapist_name": therapist.full_name,
        "therapist_credentials": _("%(designation)s, reg. no. %(number)s")
        % {
            "designation": therapist.get_designation_display(),
            "number": therapist.registration_number,
        },
        "period": month(statement.period_start),
        "through": day(statement.period_end),
        "generated_on": day(statement.generated_at.date()),
        "is_draft": statement.status == StatementStatus.DRAFT,
        "paid_chunks": _chunks(paid),
        "held_chunks": _chunks(held),
        "paid_count": len(paid),
        "held_count": len(held),
        "gross": money(statement.gross_amount),
        "fees": money(statement.service_fee_amount),
        "net": money(statement.net_amount),
        "held_total": money(statement.held_amount),
        "paid_on": day(statement.paid_on),
        "payout_reference": statement.payout_reference,
    }


def statement_pdf(*, statement: Statement) -> bytes:
    """The statement as a PDF, in the therapist's language."""
    return pdf_render(
        "payouts/pdf/statement.html",
        lambda: statement_context(statement),
        language=statement_language(statement),
    )


def statement_pdf_filename(statement: Statement) -> str:
    therapist = statement.therapist
    return f"statement-{statement.period_start:%Y-%m}-{therapist.last_name}-{therapist.pk}.pdf"
