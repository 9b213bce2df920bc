"""Booking one appointment: conflicts, room reservations, authorization link, fee defaults."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from backoffice.scheduling.models import Appointment, AppointmentStatus
from backoffice.scheduling.services import appointment_book
from tests.factories import (
    AppointmentFactory,
    AuthorizationFactory,
    ClientFactory,
    PayerRateFactory,
    RoomReservationFactory,
    TherapistFactory,
)
from tests.scheduling.conftest import local

pytestmark = pytest.mark.django_db

MINUTES_50 = timedelta(minutes=50)


def test_a_booking_lasts_the_service_duration_and_bills_a_client_seen(clinic, superuser):
    other = ClientFactory()
    result = appointment_book(**clinic.booking(clients=[other]), by=superuser)
    appointment = Appointment.objects.get()
    assert appointment == result.appointment and result.warnings == []
    assert appointment.ends_at == local(2026, 3, 2, 10, 50)
    assert set(appointment.clients.all()) == {clinic.client, other}
    assert appointment.history.latest().history_user == superuser


def test_the_therapist_cannot_be_double_booked(clinic):
    taken = appointment_book(**clinic.booking()).appointment
    with pytest.raises(ValidationError) as refused:
        appointment_book(
            **clinic.booking(starts_at=local(2026, 3, 2, 10, 30), attendance="online", room=None)
        )
    message = " ".join(refused.value.messages)
    assert f"#{taken.pk}" in message
    assert str(clinic.therapist) in message and "2026-03-02 10:00–10:50" in message
    assert Appointment.objects.count() == 1


def test_the_room_cannot_be_double_booked(clinic):
    taken = appointment_book(**clinic.booking()).appointment
    colleague = TherapistFactory()
    RoomReservationFactory(therapist=colleague, room=clinic.room, weekday=0)
    with pytest.raises(ValidationError, match=f"Room .* already booked .*#{taken.pk}"):
        appointment_book(**clinic.booking(therapist=colleague, starts_at=local(2026, 3, 2, 10, 45)))


def test_touching_appointments_are_allowed(clinic):
    appointment_book(**clinic.booking())
    appointment_book(**clinic.booking(starts_at=local(2026, 3, 2, 10, 50)))
    appointment_book(
        **clinic.booking(starts_at=local(2026, 3, 2, 9), ends_at=local(2026, 3, 2, 10))
    )
    assert Appointment.objects.count() == 3


@pytest.mark.parametrize(
    "status", [AppointmentStatus.CANCELLED, AppointmentStatus.LATE_CANCELLED, "no-show"]
)
def test_a_cancelled_or_missed_appointment_frees_its_slot(clinic, status):
    appointment = appointment_book(**clinic.booking()).appointment
    Appointment.objects.filter(pk=appointment.pk).update(status=status)
    appointment_book(**clinic.booking())
    assert Appointment.objects.count() == 2


@pytest.mark.parametrize(
    "starts_at, why",
    [
        (local(2026, 3, 3, 10), "another weekday"),
        (local(2026, 3, 2, 12, 30), "runs past the block"),
        (local(2026, 3, 2, 8, 30), "starts before the block"),
        (local(2025, 12, 29, 10), "before the reservation's first day"),
    ],
)
def test_in_person_needs_the_therapists_reservation_of_that_room(clinic, starts_at, why):
    with pytest.raises(ValidationError, match="no reservation of room"):
        appointment_book(**clinic.booking(starts_at=starts_at))


def test_a_reservation_that_ended_no_longer_covers(clinic):
    clinic.therapist.room_reservations.update(valid_until=date(2026, 2, 28))
    with pytest.raises(ValidationError, match="no reservation"):
        appointment_book(**clinic.booking())


def test_online_sessions_need_no_room_nor_reservation(clinic):
    appointment_book(
        **clinic.booking(starts_at=local(2026, 3, 4, 19), attendance="online", room=None)
    )
    assert Appointment.objects.get().room is None


def test_an_online_session_with_a_room_is_refused(clinic):
    with pytest.raises(ValidationError, match="online appointment has no room"):
        appointment_book(**clinic.booking(attendance="online"))


@pytest.fixture
def indirect(clinic):
    clinic.client.kind = "indirect"
    clinic.client.save()
    return clinic


def test_an_indirect_client_gets_the_authorization_expiring_first_with_sessions_left(indirect):
    client = indirect.client
    used_up = AuthorizationFactory(
        client=client,
        sessions_approved=1,
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 3, 10),
    )
    AppointmentFactory(
        billing_client=client, authorization=used_up, starts_at=local(2026, 2, 2, 10)
    )
    expiring_first = AuthorizationFactory(
        client=client, valid_from=date(2026, 1, 1), valid_until=date(2026, 4, 1)
    )
    AuthorizationFactory(client=client, valid_from=date(2026, 1, 1), valid_until=date(2026, 9, 1))
    AuthorizationFactory(client=client, valid_from=date(2026, 3, 3), valid_until=date(2026, 3, 20))
    result = appointment_book(**indirect.booking())
    assert result.appointment.authorization == expiring_first
    assert not [warning for warning in result.warnings if "No authorization" in warning]


def test_an_indirect_client_without_cover_is_booked_with_a_warning(indirect):
    AuthorizationFactory(
        client=indirect.client, valid_from=date(2025, 1, 1), valid_until=date(2026, 3, 1)
    )
    result = appointment_book(**indirect.booking())
    assert result.appointment.authorization is None
    assert "No authorization" in result.warnings[0] and "2026-03-02" in result.warnings[0]


def test_an_indirect_session_costs_the_payers_rate_in_force(indirect):
    authorization = AuthorizationFactory(
        client=indirect.client, valid_from=date(2026, 1, 1), valid_until=date(2026, 6, 1)
    )
    for effective_from, amount in [
        (date(2026, 1, 1), "140.00"),
        (date(2026, 3, 1), "145.50"),
        (date(2026, 4, 1), "150.00"),
    ]:
        PayerRateFactory(
            payer=authorization.payer,
            service_type=indirect.service_type,
            effective_from=effective_from,
            amount=Decimal(amount),
        )
    result = appointment_book(**indirect.booking())
    assert result.appointment.fee_amount == Decimal("145.50")
    assert result.warnings == []


def test_an_indirect_session_without_a_payer_rate_warns_and_uses_the_default_fee(indirect):
    AuthorizationFactory(
        client=indirect.client, valid_from=date(2026, 1, 1), valid_until=date(2026, 6, 1)
    )
    result = appointment_book(**indirect.booking())
    assert result.appointment.fee_amount == Decimal("160.00")
    assert "has no rate" in result.warnings[0]


def test_a_direct_session_costs_the_services_default_fee_unless_given(clinic):
    first = appointment_book(**clinic.booking()).appointment
    second = appointment_book(
        **clinic.booking(starts_at=local(2026, 3, 2, 11), fee_amount=Decimal("99.00"))
    ).appointment
    assert first.fee_amount == Decimal("160.00")
    assert second.fee_amount == Decimal("99.00")


def test_an_authorization_of_another_client_is_refused(clinic):
    with pytest.raises(ValidationError, match="another client"):
        appointment_book(**clinic.booking(authorization=AuthorizationFactory()))
