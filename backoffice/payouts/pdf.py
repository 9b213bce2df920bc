"""Statement PDFs, in the therapist's language, under the invoice PDFs' rules (billing.pdf).

Clients appear by initials and file number: the statement travels by email, and the
therapist knows their own clients.

A table row per line costs xhtml2pdf half a millisecond a cell, ~130 ms for a page of 36
lines (QUALITY P6 allows 100). The template prints LINES_PER_ROW lines in each row instead,
a column's values one under the other, so each value must stay on one line for the columns
to line up: client and service labels are cut to their column's width (`one_line`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db.models import Prefetch, QuerySet
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from backoffice.billing.pdf import FONTS_DIR, day, html_to_pdf, letterhead
from backoffice.fields import Language
from backoffice.money import money
from backoffice.payouts.models import Statement, StatementLine, StatementLineKind, StatementStatus
from backoffice.scheduling.models import AppointmentStatus


def client_label(client) -> str:
    """Initials and file number: enough for the therapist, little for anyone else."""
    initials = " ".join(f"{name[:1]}." for name in (client.first_name, client.last_name) if name)
    return f"{initials} · #{client.pk}"


def period_label(statement: Statement) -> str:
    """The month in the active language ("October 2026", "octobre 2026")."""
    return formats.date_format(statement.period_start, "YEAR_MONTH_FORMAT")


def _lines_queryset() -> QuerySet[StatementLine]:
    return StatementLine.objects.select_related("client", "service_type").order_by(
        "service_date", "pk"
    )


def statements_for_documents(queryset: QuerySet[Statement]) -> QuerySet[Statement]:
    """Statements with everything their PDFs print: a constant number of queries per batch."""
    return queryset.select_related("therapist").prefetch_related(
        Prefetch("lines", queryset=_lines_queryset())
    )


def _lines(statement: Statement) -> list[StatementLine]:
    cache = getattr(statement, "_prefetched_objects_cache", {})
    if "lines" in cache:
        return list(cache["lines"])
    return list(_lines_queryset().filter(statement=statement))


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
FONT_SIZE = 8.5  # pt, the body text of billing/pdf/base.html
# Text widths (pt) of the columns in payouts/pdf/statement.html: a share of the letter page
# less its margins (521 pt), less the cells' 6 pt of padding.
CLIENT_WIDTH = 0.15 * 521 - 6
SERVICE_WIDTH = 0.30 * 521 - 6
HELD_SERVICE_WIDTH = 0.46 * 521 - 6


@cache
def _font() -> str:
    name = "StatementDejaVu"
    pdfmetrics.registerFont(TTFont(name, str(FONTS_DIR / "DejaVuSans.ttf")))
    return name


def _fits(text: str, width: float) -> bool:
    return pdfmetrics.stringWidth(text, _font(), FONT_SIZE) <= width


def one_line(text: str, width: float) -> str:
    """The text, cut with an ellipsis if need be, to print on one line `width` points wide."""
    if _fits(text, width):
        return text
    while text and not _fits(text + "…", width):
        text = text[:-1]
    return text.rstrip() + "…"


def _client_cell(client) -> str:
    """Initials and file number, or the file number alone: never a cut file number."""
    label = client_label(client)
    return label if _fits(label, CLIENT_WIDTH) else f"#{client.pk}"


def _chunks(lines: list[_Line]) -> list[list[_Line]]:
    """The lines LINES_PER_ROW at a time: one table row each in the template."""
    return [lines[i : i + LINES_PER_ROW] for i in range(0, len(lines), LINES_PER_ROW)]


def statement_language(statement: Statement) -> str:
    return statement.therapist.preferred_language or Language.ENGLISH


def statement_context(statement: Statement) -> dict:
    """What the statement template prints, formatted in the active language."""
    language = statement_language(statement)
    paid, held = [], []
    for line in _lines(statement):
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
        "therapist_name": f"{therapist.first_name} {therapist.last_name}",
        "therapist_credentials": _("%(designation)s, reg. no. %(number)s")
        % {
            "designation": therapist.get_designation_display(),
            "number": therapist.registration_number,
        },
        "period": period_label(statement),
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
    with translation.override(statement_language(statement)):
        html = render_to_string("payouts/pdf/statement.html", statement_context(statement))
    return html_to_pdf(html)


def statement_pdf_filename(statement: Statement) -> str:
    therapist = statement.therapist
    return f"statement-{statement.period_start:%Y-%m}-{therapist.last_name}-{therapist.pk}.pdf"
