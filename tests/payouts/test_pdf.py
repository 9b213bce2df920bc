"""Statement PDFs, built by the month run: totals, held sessions, privacy, language, draft."""

import io
import re
from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal

import pypdf
import pytest
from django.utils import timezone

from backoffice.payouts.models import Statement, StatementStatus
from backoffice.payouts.selectors import statements_for_documents
from backoffice.payouts.services import statements_generate
from backoffice.payouts.services.pdf import statement_pdf, statement_pdf_filename
from tests.billing.documents import pdf_text
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    ServiceTypeFactory,
    TherapistFactory,
    TherapistRateFactory,
)

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)


def aware(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def rated_therapist(**fields):
    """A therapist paid $120 a session less a 30 % service fee ($84 net)."""
    therapist = TherapistFactory(**fields)
    TherapistRateFactory(
        therapist=therapist,
        service_type=None,
        effective_from=date(2026, 1, 1),
        session_price_amount=Decimal("120.00"),
        service_fee_kind="percent",
        service_fee_value=Decimal("30.00"),
    )
    return therapist


def sessions(therapist, client, *, paid: int, held: int, month: date = MARCH) -> None:
    """`paid` sessions paid within the month and `held` sessions not paid by its end."""
    for number in range(paid + held):
        delivered = month.replace(day=1 + number % 27)
        is_paid = number < paid
        AppointmentFactory(
            therapist=therapist,
            billing_client=client,
            starts_at=aware(delivered, 8 + number // 27),
            status="completed",
            attendance="online",
            room=None,
            paid_at=aware(month.replace(day=28), 0) if is_paid else None,
        )


def month_statement(*, paid: int, held: int, **therapist_fields) -> Statement:
    """A therapist's March statement, made by the real month run."""
    therapist = rated_therapist(**therapist_fields)
    client = ClientFactory(
        first_name="Marguerite", last_name="Tremblay-Ouellet", primary_therapist=therapist
    )
    sessions(therapist, client, paid=paid, held=held)
    statements_generate(month=MARCH)
    return statements_for_documents(Statement.objects.filter(therapist=therapist)).get()


def page_count(content: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(content)).pages)


def printed_rows(content: bytes) -> list[list[str]]:
    """The first page's texts that share a baseline, left to right, for the rows that start
    with a date: one per statement line when the columns line up."""
    by_baseline = defaultdict(list)

    def visit(text, cm, tm, font, size):
        if text.strip():
            y = round(tm[4] * cm[1] + tm[5] * cm[3] + cm[5], 1)
            x = round(tm[4] * cm[0] + tm[5] * cm[2] + cm[4], 1)
            by_baseline[y].append((x, text.strip()))

    pypdf.PdfReader(io.BytesIO(content)).pages[0].extract_text(visitor_text=visit)
    rows = [[text for _x, text in sorted(texts)] for _y, texts in sorted(by_baseline.items())]
    return [row for row in rows if re.fullmatch(r"\d{4}-\d\d-\d\d", row[0])]


def test_statement_prints_the_months_totals_and_the_held_sessions():
    statement = month_statement(
        paid=3, held=2, first_name="Amélie", last_name="Nguyen", registration_number="RCC-4411"
    )
    text = pdf_text(statement_pdf(statement=statement))

    assert "Therapist statement" in text
    assert "March 2026" in text
    assert "Amélie Nguyen" in text and "RCC-4411" in text
    assert "Sessions paid out (3)" in text
    assert "$360.00" in text  # gross: three sessions at $120
    assert "− $108.00" in text  # service fees: three at $36
    assert "$252.00" in text  # net payable: three at $84
    assert "Sessions held until paid (2)" in text
    assert "$240.00 at your price" in text  # the held sessions' total
    assert text.count("$84.00") == 3  # the net of each paid line, none for held ones


def test_clients_appear_by_initials_and_file_number_only():
    statement = month_statement(paid=1, held=1)
    client = statement.lines.first().client
    text = pdf_text(statement_pdf(statement=statement))

    assert f"M. T. · #{client.pk}" in text
    assert "Marguerite" not in text
    assert "Tremblay" not in text


def test_a_month_without_held_sessions_says_so():
    text = pdf_text(statement_pdf(statement=month_statement(paid=2, held=0)))

    assert "Sessions held until paid (0)" in text
    assert "No session is waiting for payment." in text


def test_french_therapist_gets_a_french_statement():
    statement = month_statement(paid=3, held=1, preferred_language="fr-ca")
    text = pdf_text(statement_pdf(statement=statement))

    assert "Relevé du thérapeute" in text
    assert "mars 2026" in text
    assert "Séance individuelle" in text
    assert "360,00" in text and "252,00" in text
    assert "$360.00" not in text


def test_draft_carries_the_watermark_and_a_sent_statement_does_not():
    statement = month_statement(paid=1, held=0)
    assert statement.status == StatementStatus.DRAFT
    assert "DRAFT" in pdf_text(statement_pdf(statement=statement))

    statement.status = StatementStatus.SENT
    assert "DRAFT" not in pdf_text(statement_pdf(statement=statement))


def test_paid_statement_prints_the_payout():
    statement = month_statement(paid=1, held=0)
    statement.status = StatementStatus.PAID
    statement.paid_on = date(2026, 4, 5)
    statement.payout_reference = "EFT-99812"
    text = pdf_text(statement_pdf(statement=statement))

    assert "Paid on 2026-04-05 · EFT-99812" in text
    assert "DRAFT" not in text


def test_long_statement_runs_over_pages_with_every_line():
    statement = month_statement(paid=70, held=10)
    content = statement_pdf(statement=statement)
    text = pdf_text(content)

    assert page_count(content) >= 2
    assert text.count("$84.00") == 70
    assert "Sessions held until paid (10)" in text
    assert "$8,400.00" in text and "$5,880.00" in text  # gross and net of 70 sessions


def test_filename_names_month_and_therapist():
    statement = month_statement(paid=1, held=0, last_name="Nguyen")
    assert statement_pdf_filename(statement) == (
        f"statement-2026-03-Nguyen-{statement.therapist_id}.pdf"
    )


def test_a_prefetched_statement_prints_without_queries(django_assert_num_queries):
    statement = month_statement(paid=20, held=5)
    with django_assert_num_queries(0):
        statement_pdf(statement=statement)


def test_every_line_keeps_its_columns_on_one_baseline():
    """Lines are printed ten to a table row, a column's values one under the other: long
    labels are cut to their column, so no value wraps and pushes its column down."""
    therapist = rated_therapist()
    client = ClientFactory(
        pk=123456789, first_name="Marguerite", last_name="Tremblay", primary_therapist=therapist
    )
    sessions(therapist, client, paid=12, held=3)
    extended = ServiceTypeFactory(
        code="extended", name="Couples counselling with two therapists, extended session"
    )
    for service_type, status, fee in (
        (extended, "completed", None),
        (None, "late-cancelled", Decimal("80.00")),
    ):
        AppointmentFactory(
            therapist=therapist,
            billing_client=client,
            starts_at=aware(date(2026, 3, 5), 16),
            status=status,
            missed_session_fee_amount=fee,
            attendance="online",
            room=None,
            paid_at=aware(date(2026, 3, 20)),
            **({"service_type": service_type} if service_type else {}),
        )
    statements_generate(month=MARCH)
    statement = statements_for_documents(Statement.objects.filter(therapist=therapist)).get()

    rows = printed_rows(statement_pdf(statement=statement))

    paid = [row for row in rows if len(row) == 7]  # date, client, service, paid on, 3 amounts
    held = [row for row in rows if len(row) == 4]  # date, client, service, price
    assert (len(paid), len(held), len(rows)) == (14, 3, 17)
    assert {row[1] for row in rows} == {"#123456789"}  # no room for the initials too
    services = {row[2] for row in paid}
    assert "Late-cancelled · Individual session" in services
    (cut,) = services - {"Individual session", "Late-cancelled · Individual session"}
    assert cut.startswith("Couples counselling") and cut.endswith("…")
    assert ["$80.00", "$24.00", "$56.00"] in [row[4:] for row in paid]
