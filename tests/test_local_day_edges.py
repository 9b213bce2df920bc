"""The clinic's days and months end at Vancouver midnight, also in winter 2026-27 when UTC is
seven hours ahead: late on 31 December it is already 1 January in UTC."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from backoffice.billing.models import Invoice
from backoffice.billing.services import invoices_generate
from backoffice.payouts.models import Statement
from backoffice.payouts.services import statements_generate
from backoffice.reports.selectors import week_appointments
from backoffice.scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
)
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    RoomFactory,
    RoomReservationFactory,
    ServiceTypeFactory,
    TherapistFactory,
    TherapistRateFactory,
)

pytestmark = pytest.mark.django_db

DEC, JAN = date(2026, 12, 1), date(2027, 1, 1)


def local(*args: int) -> datetime:
    return timezone.make_aware(datetime(*args))


LATE_ON_NEW_YEARS_EVE = local(2026, 12, 31, 23, 0)
EARLY_ON_NEW_YEARS_DAY = local(2027, 1, 1, 0, 30)


def test_late_on_new_years_eve_utc_is_already_in_the_new_year():
    assert LATE_ON_NEW_YEARS_EVE.astimezone(UTC) == datetime(2027, 1, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def therapist(db):
    therapist = TherapistFactory()
    TherapistRateFactory(therapist=therapist, effective_from=date(2026, 1, 1))
    return therapist


def online_session(therapist, starts_at: datetime, **kwargs):
    return AppointmentFactory(
        therapist=therapist, starts_at=starts_at, attendance="online", room=None, **kwargs
    )


def test_a_late_evening_booking_sits_in_the_thursday_evening_block_of_its_local_day(therapist):
    room = RoomFactory()
    # 31 December 2026 is a Thursday; in UTC the session would fall on a Friday.
    RoomReservationFactory(
        therapist=therapist, room=room, weekday=3, start_time="20:00", end_time="23:59"
    )
    booking = {
        "therapist": therapist,
        "billing_client": ClientFactory(primary_therapist=therapist),
        "service_type": ServiceTypeFactory(),
        "room": room,
    }
    result = appointment_book(starts_at=LATE_ON_NEW_YEARS_EVE, **booking)
    assert timezone.localdate(result.appointment.starts_at) == date(2026, 12, 31)

    with pytest.raises(ValidationError, match="reserv"):  # runs past local midnight
        appointment_book(starts_at=local(2026, 12, 31, 23, 30), **booking)


def test_the_week_view_keeps_new_years_eve_in_its_local_week(therapist):
    evening = online_session(therapist, LATE_ON_NEW_YEARS_EVE)
    morning = online_session(therapist, local(2027, 1, 4, 0, 30))  # Monday of the next week
    assert week_appointments(therapist=therapist, week_start=date(2026, 12, 28)) == [evening]
    assert week_appointments(therapist=therapist, week_start=date(2027, 1, 4)) == [morning]


def test_the_late_cancellation_window_and_completion_across_new_year(therapist):
    session = online_session(therapist, local(2027, 1, 1, 10, 0), status="scheduled")
    assert appointment_cancel(
        appointment=session, cancelled_at=local(2026, 12, 31, 10, 30)
    ).status == ("late-cancelled")

    evening = online_session(therapist, LATE_ON_NEW_YEARS_EVE, status="scheduled")
    with time_machine.travel(local(2026, 12, 31, 22, 59)), pytest.raises(ValidationError):
        appointment_complete(appointment=evening)
    with time_machine.travel(local(2026, 12, 31, 23, 10)):
        assert appointment_complete(appointment=evening).status == "completed"


def test_december_invoices_take_new_years_eve_and_january_takes_new_years_day(therapist):
    client = ClientFactory(primary_therapist=therapist)
    for starts_at in (LATE_ON_NEW_YEARS_EVE, EARLY_ON_NEW_YEARS_DAY):
        online_session(therapist, starts_at, billing_client=client, status="completed")

    invoices_generate(month=DEC)
    invoices_generate(month=JAN)

    def service_dates(month):
        invoice = Invoice.objects.get(period_start=month)
        return list(invoice.lines.values_list("service_date", flat=True))

    assert service_dates(DEC) == [date(2026, 12, 31)]
    assert service_dates(JAN) == [date(2027, 1, 1)]
    assert Invoice.objects.get(period_start=DEC).period_end == date(2026, 12, 31)


def test_a_session_paid_late_on_new_years_eve_is_paid_on_decembers_statement(therapist):
    paid_in_december = online_session(
        therapist,
        local(2026, 12, 31, 18, 0),
        status="completed",
        paid_at=local(2026, 12, 31, 23, 30),
        fee_amount=Decimal("150.00"),
    )
    paid_in_january = online_session(
        therapist,
        LATE_ON_NEW_YEARS_EVE,
        status="completed",
        paid_at=EARLY_ON_NEW_YEARS_DAY,
    )
    statements_generate(month=DEC)

    lines = Statement.objects.get(period_start=DEC).lines.values_list(
        "appointment_id", "kind", "service_date"
    )
    assert sorted(lines) == sorted(
        [
            (paid_in_december.pk, "paid", date(2026, 12, 31)),
            (paid_in_january.pk, "held", date(2026, 12, 31)),
        ]
    )


def test_midnight_in_vancouver_is_seven_in_the_morning_utc_all_winter():
    for day in (date(2026, 11, 15), DEC, JAN, date(2027, 2, 28)):
        midnight = timezone.make_aware(datetime.combine(day, time.min))
        assert midnight.astimezone(UTC) - datetime.combine(day, time.min, UTC) == timedelta(hours=7)
