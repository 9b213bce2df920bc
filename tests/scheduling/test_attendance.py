"""Recording attendance: the transitions table, the late-cancel window, Bad Fit, history."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from backoffice.scheduling.models import AppointmentStatus, BadFitEntry, BadFitReason
from backoffice.scheduling.services import (
    TRANSITIONS,
    appointment_cancel,
    appointment_complete,
    appointment_no_show,
)
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

S = AppointmentStatus
PAST = timezone.now().replace(microsecond=0) - timedelta(days=3)
FUTURE = timezone.now().replace(microsecond=0) + timedelta(days=3)


def complete(appointment):
    return appointment_complete(appointment=appointment)


def cancel(appointment):
    return appointment_cancel(appointment=appointment)


def no_show(appointment):
    return appointment_no_show(appointment=appointment)


ACTIONS = {"complete": complete, "cancel": cancel, "no-show": no_show}


def test_the_table_allows_only_moves_out_of_scheduled():
    assert TRANSITIONS[S.SCHEDULED] == {S.COMPLETED, S.CANCELLED, S.LATE_CANCELLED, S.NO_SHOW}
    assert all(not targets for status, targets in TRANSITIONS.items() if status != S.SCHEDULED)
    assert set(TRANSITIONS) == set(S)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("status", [S.COMPLETED, S.CANCELLED, S.LATE_CANCELLED, S.NO_SHOW])
def test_every_move_out_of_a_recorded_outcome_is_refused(status, action):
    appointment = AppointmentFactory(starts_at=PAST, status=status)
    recorded = appointment.history.count()
    with pytest.raises(ValidationError, match=f"#{appointment.pk}"):
        ACTIONS[action](appointment)
    appointment.refresh_from_db()
    assert appointment.status == status
    assert appointment.history.count() == recorded


@pytest.mark.parametrize("status", [S.CANCELLED, S.LATE_CANCELLED])
def test_completing_a_cancelled_session_says_why(status):
    appointment = AppointmentFactory(starts_at=PAST, status=status)
    with pytest.raises(ValidationError, match="cancelled session cannot be completed"):
        complete(appointment)


@pytest.mark.parametrize("action", ["complete", "no-show"])
def test_outcomes_wait_until_the_session_starts(action):
    appointment = AppointmentFactory(starts_at=FUTURE)
    with pytest.raises(ValidationError, match="before"):
        ACTIONS[action](appointment)
    assert appointment.status == S.SCHEDULED


def test_completing_records_who_did_it(superuser):
    appointment = AppointmentFactory(starts_at=PAST)
    appointment_complete(appointment=appointment, by=superuser)
    latest = appointment.history.latest()
    assert latest.status == S.COMPLETED and latest.history_user == superuser


@pytest.mark.parametrize(
    "before_start, expected",
    [
        (timedelta(hours=24), S.CANCELLED),
        (timedelta(hours=24) - timedelta(seconds=1), S.LATE_CANCELLED),
        (timedelta(days=7), S.CANCELLED),
        (timedelta(minutes=-10), S.LATE_CANCELLED),
    ],
    ids=["exactly 24 h before", "a second later", "a week before", "after the start"],
)
def test_the_late_cancel_window_is_24_hours_by_default(before_start, expected):
    appointment = AppointmentFactory(starts_at=FUTURE)
    cancelled_at = appointment.starts_at - before_start
    appointment_cancel(appointment=appointment, cancelled_at=cancelled_at)
    appointment.refresh_from_db()
    assert appointment.status == expected
    assert appointment.cancelled_at == cancelled_at


def test_the_late_cancel_window_is_a_setting(settings):
    settings.LATE_CANCEL_WINDOW_HOURS = 48
    appointment = AppointmentFactory(starts_at=FUTURE)
    appointment_cancel(appointment=appointment, cancelled_at=FUTURE - timedelta(hours=30))
    assert appointment.status == S.LATE_CANCELLED


def test_a_late_cancellation_may_carry_a_missed_session_fee():
    appointment = AppointmentFactory(starts_at=FUTURE)
    appointment_cancel(
        appointment=appointment,
        cancelled_at=FUTURE - timedelta(hours=2),
        missed_session_fee_amount=Decimal("60.00"),
    )
    appointment.refresh_from_db()
    assert appointment.missed_session_fee_amount == Decimal("60.00")


def test_an_in_time_cancellation_refuses_a_missed_session_fee():
    appointment = AppointmentFactory(starts_at=FUTURE)
    with pytest.raises(ValidationError, match="no missed-session fee"):
        appointment_cancel(
            appointment=appointment,
            cancelled_at=FUTURE - timedelta(days=2),
            missed_session_fee_amount=Decimal("60.00"),
        )
    appointment.refresh_from_db()
    assert appointment.status == S.SCHEDULED


def test_a_no_show_may_carry_a_fee():
    appointment = AppointmentFactory(starts_at=PAST)
    appointment_no_show(appointment=appointment, missed_session_fee_amount=Decimal("80.00"))
    appointment.refresh_from_db()
    assert appointment.status == S.NO_SHOW
    assert appointment.missed_session_fee_amount == Decimal("80.00")


def test_a_no_show_puts_the_client_on_the_bad_fit_list():
    appointment = AppointmentFactory(starts_at=PAST)
    appointment_no_show(appointment=appointment)
    entry = BadFitEntry.objects.get(client=appointment.billing_client)
    assert list(entry.appointments.all()) == [appointment]


def test_a_completed_session_between_two_cancellations_keeps_the_client_off_the_list():
    first = AppointmentFactory(starts_at=PAST - timedelta(weeks=2))
    same = {"therapist": first.therapist, "billing_client": first.billing_client}
    second = AppointmentFactory(starts_at=PAST - timedelta(weeks=1), **same)
    third = AppointmentFactory(starts_at=FUTURE, **same)
    appointment_cancel(appointment=first, cancelled_at=first.starts_at - timedelta(days=3))
    complete(second)
    appointment_cancel(appointment=third)
    assert not BadFitEntry.objects.exists()


def test_two_cancellations_in_a_row_put_the_client_on_the_bad_fit_list():
    first = AppointmentFactory(starts_at=FUTURE)
    second = AppointmentFactory(
        starts_at=FUTURE + timedelta(weeks=1),
        therapist=first.therapist,
        billing_client=first.billing_client,
    )
    cancel(first)
    assert not BadFitEntry.objects.exists()
    cancel(second)
    entry = BadFitEntry.objects.get()
    assert entry.reason == BadFitReason.TWO_CANCELLATIONS
    assert set(entry.appointments.all()) == {first, second}
