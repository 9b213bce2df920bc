"""Recurring series: Vancouver wall-clock across DST, all-or-nothing, move, cancel the rest."""

from datetime import UTC, date

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from backoffice.scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    BadFitEntry,
)
from backoffice.scheduling.services import (
    appointment_book,
    appointment_move,
    appointment_series_book,
    appointment_series_cancel_rest,
)
from tests.factories import AppointmentFactory, AuthorizationFactory, RoomReservationFactory
from tests.scheduling.conftest import local

pytestmark = pytest.mark.django_db


def local_starts(appointments):
    return [f"{timezone.localtime(a.starts_at):%Y-%m-%d %H:%M}" for a in appointments]


def test_a_weekly_series_keeps_its_local_time_across_the_march_2026_change(clinic):
    RoomReservationFactory(therapist=clinic.therapist, room=clinic.room, weekday=1)  # Tuesdays
    result = appointment_series_book(
        frequency="weekly",
        occurrence_count=4,
        **clinic.booking(starts_at=local(2026, 2, 24, 10)),
    )
    assert local_starts(result.appointments) == [
        "2026-02-24 10:00",
        "2026-03-03 10:00",
        "2026-03-10 10:00",  # clocks went forward on 8 March: UTC-7 since
        "2026-03-17 10:00",
    ]
    utc_hours = [a.starts_at.astimezone(UTC).hour for a in result.appointments]
    assert utc_hours == [18, 18, 17, 17]
    series = AppointmentSeries.objects.get()
    assert series.first_starts_at == local(2026, 2, 24, 10)
    assert set(series.appointments.all()) == set(result.appointments)
    assert all(a.clients.filter(pk=clinic.client.pk).exists() for a in result.appointments)


def test_a_weekly_series_stays_at_utc_minus_7_through_the_winter(clinic):
    # British Columbia stopped changing its clocks: no change on 1 November 2026, nor in March.
    RoomReservationFactory(therapist=clinic.therapist, room=clinic.room, weekday=1)
    result = appointment_series_book(
        frequency="weekly",
        occurrence_count=20,
        **clinic.booking(starts_at=local(2026, 10, 20, 10)),
    )
    assert local_starts(result.appointments)[2] == "2026-11-03 10:00"
    assert local_starts(result.appointments)[-1] == "2027-03-02 10:00"
    assert {a.starts_at.astimezone(UTC).hour for a in result.appointments} == {17}


def test_a_fortnightly_series_stops_on_its_last_day(clinic):
    result = appointment_series_book(
        frequency="biweekly", repeat_until=date(2026, 4, 13), **clinic.booking()
    )
    assert local_starts(result.appointments) == [
        "2026-03-02 10:00",
        "2026-03-16 10:00",
        "2026-03-30 10:00",
        "2026-04-13 10:00",
    ]


def test_a_series_needs_an_end(clinic):
    with pytest.raises(ValidationError, match="number of occurrences or a last date"):
        appointment_series_book(frequency="weekly", **clinic.booking())


def test_a_conflicting_series_lists_every_occurrence_and_saves_nothing(clinic):
    second = appointment_book(**clinic.booking(starts_at=local(2026, 3, 9, 10, 30))).appointment
    fourth = AppointmentFactory(room=clinic.room, starts_at=local(2026, 3, 23, 9, 30))
    clinic.therapist.room_reservations.update(valid_until=date(2026, 3, 29))
    before = Appointment.objects.count()
    with pytest.raises(ValidationError) as refused:
        appointment_series_book(frequency="weekly", occurrence_count=5, **clinic.booking())
    messages = refused.value.messages
    assert len(messages) == 3
    assert messages[0].startswith("2026-03-09:") and f"#{second.pk}" in messages[0]
    assert messages[1].startswith("2026-03-23:") and f"Room {clinic.room}" in messages[1]
    assert f"#{fourth.pk}" in messages[1]
    assert messages[2].startswith("2026-03-30:") and "no reservation" in messages[2]
    assert Appointment.objects.count() == before
    assert not AppointmentSeries.objects.exists()


def test_each_occurrence_gets_a_covering_authorization(clinic):
    clinic.client.kind = "indirect"
    clinic.client.save()
    first = AuthorizationFactory(
        client=clinic.client,
        sessions_approved=2,
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
    )
    result = appointment_series_book(frequency="weekly", occurrence_count=3, **clinic.booking())
    assert [a.authorization for a in result.appointments] == [first, first, None]
    assert len([w for w in result.warnings if "No authorization" in w]) == 1


def test_moving_an_occurrence_checks_others_but_not_itself(clinic):
    result = appointment_series_book(frequency="weekly", occurrence_count=2, **clinic.booking())
    first, second = result.appointments
    moved = appointment_move(appointment=first, starts_at=local(2026, 3, 2, 10, 30)).appointment
    assert moved.starts_at == local(2026, 3, 2, 10, 30)
    assert moved.ends_at == local(2026, 3, 2, 11, 20)
    assert moved.series == second.series
    with pytest.raises(ValidationError, match=f"#{second.pk}"):
        appointment_move(appointment=first, starts_at=local(2026, 3, 9, 10, 20))
    first.refresh_from_db()
    assert first.starts_at == local(2026, 3, 2, 10, 30)


def test_moving_outside_the_reservation_is_refused(clinic):
    appointment = appointment_book(**clinic.booking()).appointment
    with pytest.raises(ValidationError, match="no reservation"):
        appointment_move(appointment=appointment, starts_at=local(2026, 3, 3, 10))


def test_only_a_scheduled_appointment_moves(clinic):
    appointment = appointment_book(**clinic.booking()).appointment
    Appointment.objects.filter(pk=appointment.pk).update(status="completed")
    with pytest.raises(ValidationError, match="only a scheduled one can be moved"):
        appointment_move(appointment=appointment, starts_at=local(2026, 3, 9, 10))


def test_cancel_rest_cancels_this_and_later_scheduled_occurrences_only(clinic, superuser):
    result = appointment_series_book(frequency="weekly", occurrence_count=5, **clinic.booking())
    first, second, third, fourth, fifth = result.appointments
    Appointment.objects.filter(pk=fourth.pk).update(status="late-cancelled")
    cancelled = appointment_series_cancel_rest(
        appointment=second, cancelled_at=local(2026, 3, 1, 9), by=superuser
    )
    assert cancelled == [second, third, fifth]
    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: AppointmentStatus.SCHEDULED,
        second.pk: AppointmentStatus.CANCELLED,
        third.pk: AppointmentStatus.CANCELLED,
        fourth.pk: AppointmentStatus.LATE_CANCELLED,
        fifth.pk: AppointmentStatus.CANCELLED,
    }
    assert third.history.latest().history_user == superuser
    # Ending a series is not a run of missed sessions.
    assert not BadFitEntry.objects.exists()


def test_cancel_rest_needs_a_series(clinic):
    appointment = appointment_book(**clinic.booking()).appointment
    with pytest.raises(ValidationError, match="not part of a series"):
        appointment_series_cancel_rest(appointment=appointment)
