"""Appointment shape rules held by the database and by model validation."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from backoffice.scheduling.models import Attendance
from tests.factories import AppointmentFactory, AuthorizationFactory

pytestmark = pytest.mark.django_db


def test_an_online_appointment_has_no_room():
    appointment = AppointmentFactory.build(attendance=Attendance.ONLINE)
    appointment.room.site.save()
    appointment.room.save()
    appointment.room_id = appointment.room.pk
    with pytest.raises(ValidationError, match="online appointment has no room"):
        appointment.clean()


def test_an_in_person_appointment_needs_a_room_in_the_database_too():
    appointment = AppointmentFactory()
    appointment.room = None
    with pytest.raises(IntegrityError):
        appointment.save()


def test_an_appointment_ends_after_it_starts():
    appointment = AppointmentFactory()
    appointment.ends_at = appointment.starts_at - timedelta(minutes=5)
    with pytest.raises(ValidationError):
        appointment.clean()
    with pytest.raises(IntegrityError):
        appointment.save()


def test_the_covering_authorization_belongs_to_the_billing_client():
    appointment = AppointmentFactory()
    appointment.authorization = AuthorizationFactory()
    with pytest.raises(ValidationError, match="another client"):
        appointment.clean()
