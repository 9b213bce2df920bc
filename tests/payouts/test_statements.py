"""The month run: rates in force, paid and held sessions, idempotence, payout."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.payouts.models import Statement, StatementLine, StatementStatus
from backoffice.payouts.services import (
    statement_payout_record,
    statement_regenerate,
    statements_generate,
    statements_payout_record,
)
from tests.factories import (
    AppointmentFactory,
    ServiceTypeFactory,
    TherapistFactory,
    TherapistRateFactory,
)

OCT, NOV, DEC = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)


def aware(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def session(therapist, delivered: date, *, paid: date | None = None, **kwargs):
    """An online session of `therapist`, paid (by anyone) on `paid` when given."""
    return AppointmentFactory(
        therapist=therapist,
        starts_at=aware(delivered),
        status=kwargs.pop("status", "completed"),
        attendance="online",
        room=None,
        paid_at=aware(paid, 0) if paid else None,
        **kwargs,
    )


def lines_of(statement: Statement) -> list[tuple]:
    return list(
        statement.lines.order_by("service_date", "pk").values_list(
            "kind", "appointment_id", "price_amount", "service_fee_amount", "net_amount"
        )
    )


@pytest.fixture
def therapist(db):
    therapist = TherapistFactory()
    TherapistRateFactory(
        therapist=therapist,
        effective_from=date(2026, 1, 1),
        session_price_amount=Decimal("120.00"),
        service_fee_kind="percent",
        service_fee_value=Decimal("30.00"),
    )
    return therapist


def statement_of(therapist, month: date) -> Statement:
    return Statement.objects.get(therapist=therapist, period_start=month)


def test_a_paid_session_pays_the_therapists_price_less_a_percent_fee(therapist):
    paid = session(therapist, date(2026, 10, 6), paid=date(2026, 10, 20))

    run = statements_generate(month=OCT)

    statement = statement_of(therapist, OCT)
    assert (run.created, run.paid_lines, run.held_lines) == (1, 1, 0)
    assert lines_of(statement) == [
        ("paid", paid.pk, Decimal("120.00"), Decimal("36.00"), Decimal("84.00"))
    ]
    assert (statement.gross_amount, statement.service_fee_amount, statement.net_amount) == (
        Decimal("120.00"),
        Decimal("36.00"),
        Decimal("84.00"),
    )
    assert statement.period_end == date(2026, 10, 31)
    assert statement.status == StatementStatus.DRAFT


def test_a_flat_fee_is_taken_per_session(db):
    therapist = TherapistFactory()
    TherapistRateFactory(
        therapist=therapist,
        session_price_amount=Decimal("150.00"),
        service_fee_kind="flat",
        service_fee_value=Decimal("40.00"),
    )
    session(therapist, date(2026, 10, 6), paid=date(2026, 10, 7))
    session(therapist, date(2026, 10, 13), paid=date(2026, 10, 14))

    statements_generate(month=OCT)

    statement = statement_of(therapist, OCT)
    assert (statement.gross_amount, statement.service_fee_amount, statement.net_amount) == (
        Decimal("300.00"),
        Decimal("80.00"),
        Decimal("220.00"),
    )


def test_each_session_uses_the_rate_in_force_on_its_date(therapist):
    TherapistRateFactory(
        therapist=therapist,
        effective_from=date(2026, 10, 15),
        session_price_amount=Decimal("140.00"),
        service_fee_kind="percent",
        service_fee_value=Decimal("25.00"),
    )
    before = session(therapist, date(2026, 10, 14), paid=date(2026, 10, 30))
    after = session(therapist, date(2026, 10, 15), paid=date(2026, 10, 30))

    statements_generate(month=OCT)

    assert lines_of(statement_of(therapist, OCT)) == [
        ("paid", before.pk, Decimal("120.00"), Decimal("36.00"), Decimal("84.00")),
        ("paid", after.pk, Decimal("140.00"), Decimal("35.00"), Decimal("105.00")),
    ]


def test_a_rate_for_the_service_beats_the_general_rate(therapist):
    assessment = ServiceTypeFactory(code="assessment", name="Assessment")
    TherapistRateFactory(
        therapist=therapist,
        service_type=assessment,
        effective_from=date(2026, 1, 1),
        session_price_amount=Decimal("200.00"),
        service_fee_value=Decimal("30.00"),
    )
    session(therapist, date(2026, 10, 6), paid=date(2026, 10, 9), service_type=assessment)
    session(therapist, date(2026, 10, 7), paid=date(2026, 10, 9))

    statements_generate(month=OCT)

    prices = [line[2] for line in lines_of(statement_of(therapist, OCT))]
    assert prices == [Decimal("200.00"), Decimal("120.00")]


def test_an_unpaid_session_is_held_then_paid_out_once_in_the_month_it_is_paid(therapist):
    delivered = session(therapist, date(2026, 10, 28))

    statements_generate(month=OCT)
    october = statement_of(therapist, OCT)
    assert lines_of(october) == [
        ("held", delivered.pk, Decimal("120.00"), Decimal("36.00"), Decimal("84.00"))
    ]
    assert (october.net_amount, october.held_count, october.held_amount) == (
        Decimal("0.00"),
        1,
        Decimal("120.00"),
    )

    delivered.paid_at = aware(date(2026, 11, 10), 0)
    delivered.save()
    statements_generate(month=NOV)
    statements_generate(month=DEC)

    assert lines_of(statement_of(therapist, NOV))[0][:2] == ("paid", delivered.pk)
    assert not Statement.objects.filter(period_start=DEC).exists()
    assert StatementLine.objects.filter(appointment=delivered, kind="paid").count() == 1


def test_a_payment_after_the_month_end_waits_for_the_next_statement(therapist):
    delivered = session(therapist, date(2026, 10, 30), paid=date(2026, 11, 2))

    statements_generate(month=OCT)
    statements_generate(month=NOV)

    assert lines_of(statement_of(therapist, OCT))[0][0] == "held"
    assert lines_of(statement_of(therapist, NOV))[0][:2] == ("paid", delivered.pk)


def test_a_payment_recorded_late_is_paid_out_on_the_next_statement(therapist):
    delivered = session(therapist, date(2026, 10, 5))
    statements_generate(month=OCT)
    Statement.objects.filter(period_start=OCT).update(status=StatementStatus.SENT)

    # Received on October 20, entered in November: October is already sent.
    delivered.paid_at = aware(date(2026, 10, 20), 0)
    delivered.save()
    statements_generate(month=OCT)
    statements_generate(month=NOV)

    assert lines_of(statement_of(therapist, OCT))[0][0] == "held"
    assert lines_of(statement_of(therapist, NOV))[0][:2] == ("paid", delivered.pk)


def test_a_collected_missed_session_fee_pays_the_therapists_share_and_is_never_held(
    therapist,
):
    collected = session(
        therapist,
        date(2026, 10, 6),
        status="late-cancelled",
        missed_session_fee_amount=Decimal("80.00"),
        paid=date(2026, 10, 9),
    )
    session(
        therapist,
        date(2026, 10, 7),
        status="no-show",
        missed_session_fee_amount=Decimal("80.00"),
    )
    session(therapist, date(2026, 10, 8), status="cancelled")

    statements_generate(month=OCT)

    # 70 % of the price goes to the therapist, so 70 % of the fee does too.
    assert lines_of(statement_of(therapist, OCT)) == [
        ("paid", collected.pk, Decimal("80.00"), Decimal("24.00"), Decimal("56.00"))
    ]


def test_running_a_month_again_duplicates_nothing(therapist):
    session(therapist, date(2026, 10, 6), paid=date(2026, 10, 9))
    session(therapist, date(2026, 10, 7))

    statements_generate(month=OCT)
    before = lines_of(statement_of(therapist, OCT))
    again = statements_generate(month=OCT)

    assert (again.created, again.regenerated) == (0, 1)
    assert Statement.objects.count() == 1
    assert [line[:3] for line in lines_of(statement_of(therapist, OCT))] == [
        line[:3] for line in before
    ]


def test_a_draft_is_regenerated_with_the_payments_that_came_in(therapist):
    delivered = session(therapist, date(2026, 10, 6))
    statements_generate(month=OCT)
    statement = statement_of(therapist, OCT)
    assert statement.held_count == 1

    delivered.paid_at = aware(date(2026, 10, 25), 0)
    delivered.save()
    statement_regenerate(statement=statement)

    statement.refresh_from_db()
    assert (statement.paid_count, statement.held_count, statement.net_amount) == (
        1,
        0,
        Decimal("84.00"),
    )


def test_a_sent_statement_is_left_as_it_was(therapist):
    session(therapist, date(2026, 10, 6), paid=date(2026, 10, 9))
    statements_generate(month=OCT)
    Statement.objects.update(status=StatementStatus.SENT)
    session(therapist, date(2026, 10, 8), paid=date(2026, 10, 9))

    run = statements_generate(month=OCT)

    assert run.kept == 1
    assert statement_of(therapist, OCT).lines.count() == 1
    with pytest.raises(ValidationError):
        statement_regenerate(statement=statement_of(therapist, OCT))


def test_a_month_before_the_first_statements_is_refused(therapist):
    session(therapist, date(2026, 11, 6), paid=date(2026, 11, 9))
    statements_generate(month=NOV)

    with pytest.raises(ValidationError, match="2026-11"):
        statements_generate(month=OCT)


def test_sessions_before_the_first_month_run_are_not_paid_out_again(therapist):
    session(therapist, date(2026, 9, 20), paid=date(2026, 10, 2))
    current = session(therapist, date(2026, 10, 6), paid=date(2026, 10, 9))

    statements_generate(month=OCT)

    assert [line[1] for line in lines_of(statement_of(therapist, OCT))] == [current.pk]


def test_a_therapist_without_a_rate_is_reported_and_the_others_still_run(therapist):
    no_rate = TherapistFactory(first_name="Noé", last_name="Sans-Tarif")
    session(no_rate, date(2026, 10, 6), paid=date(2026, 10, 9))
    session(therapist, date(2026, 10, 6), paid=date(2026, 10, 9))

    run = statements_generate(month=OCT)

    assert run.created == 1
    [problem] = run.problems
    assert "Noé Sans-Tarif" in problem and "2026-10-06" in problem
    assert not Statement.objects.filter(therapist=no_rate).exists()


def _run_queries(therapist_count: int) -> int:
    for _n in range(therapist_count):
        therapist = TherapistFactory()
        TherapistRateFactory(therapist=therapist)
        session(therapist, date(2026, 10, 6), paid=date(2026, 10, 9))
        session(therapist, date(2026, 10, 7))
    with CaptureQueriesContext(connection) as queries:
        statements_generate(month=OCT)
    return len(queries)


@pytest.mark.django_db
def test_a_run_costs_the_same_queries_for_2_or_8_therapists():
    small = _run_queries(2)
    Statement.objects.all().delete()
    assert _run_queries(8) == small


@pytest.mark.django_db
def test_a_rerun_costs_the_same_queries_whatever_the_drafts():
    small = _run_queries(2)
    with CaptureQueriesContext(connection) as rerun_small:
        statements_generate(month=OCT)
    _run_queries(6)
    with CaptureQueriesContext(connection) as rerun_large:
        statements_generate(month=OCT)
    assert len(rerun_small) == len(rerun_large) >= small - 2


def test_history_names_who_ran_the_month(therapist, superuser):
    session(therapist, date(2026, 10, 6), paid=date(2026, 10, 9))

    statements_generate(month=OCT, by=superuser)

    record = statement_of(therapist, OCT).history.get()
    assert record.history_user == superuser
    assert record.history_change_reason == "Statement run 2026-10"
    assert StatementLine.history.filter(history_user=superuser).count() == 1


def test_a_payout_is_recorded_on_a_sent_statement_with_date_and_reference(therapist, superuser):
    session(therapist, date(2026, 10, 6), paid=date(2026, 10, 9))
    statements_generate(month=OCT)
    statement = statement_of(therapist, OCT)

    with pytest.raises(ValidationError, match="sent"):
        statement_payout_record(statement=statement, paid_on=date(2026, 11, 6), reference="EFT-1")

    Statement.objects.update(status=StatementStatus.SENT)
    with pytest.raises(ValidationError) as future:
        tomorrow = timezone.localdate() + timedelta(days=1)
        statement_payout_record(statement=statement, paid_on=tomorrow, reference="EFT-1")
    assert "paid_on" in future.value.message_dict
    with pytest.raises(ValidationError) as blank:
        statement_payout_record(statement=statement, paid_on=date(2026, 11, 6), reference=" ")
    assert "reference" in blank.value.message_dict

    paid = statement_payout_record(
        statement=statement, paid_on=date(2026, 11, 6), reference="EFT-1", by=superuser
    )

    assert (paid.status, paid.paid_on, paid.payout_reference) == (
        StatementStatus.PAID,
        date(2026, 11, 6),
        "EFT-1",
    )
    assert paid.history.first().history_user == superuser


def _sent_statements(count: int) -> list[Statement]:
    for _n in range(count):
        therapist = TherapistFactory()
        TherapistRateFactory(therapist=therapist)
        session(therapist, date(2026, 10, 6), paid=date(2026, 10, 9))
    statements_generate(month=OCT)
    Statement.objects.update(status=StatementStatus.SENT)
    return list(Statement.objects.all())


@pytest.mark.django_db
def test_a_payout_run_costs_the_same_queries_for_2_or_8_statements():
    statements = _sent_statements(8)
    counts = []
    for batch in (statements[:2], statements[2:]):
        with CaptureQueriesContext(connection) as queries:
            result = statements_payout_record(
                statements=batch, paid_on=date(2026, 11, 6), reference="EFT 42"
            )
        assert result.recorded == len(batch)
        counts.append(len(queries))
    assert counts[0] == counts[1]
