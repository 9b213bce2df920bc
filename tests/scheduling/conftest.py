"""A small clinic for booking tests: one therapist holding one room Monday 09:00-13:00."""

from dataclasses import dataclass
from datetime import datetime

import pytest
from django.utils import timezone

from backoffice.caseload.models import Client, ServiceType, Therapist
from backoffice.scheduling.models import Room
from tests.factories import (
    ClientFactory,
    RoomFactory,
    RoomReservationFactory,
    ServiceTypeFactory,
    TherapistFactory,
)


def local(*args: int) -> datetime:
    """An aware Vancouver datetime: local(2026, 3, 2, 10) is Monday 2 March 2026, 10:00."""
    return timezone.make_aware(datetime(*args))


@dataclass
class Clinic:
    therapist: Therapist
    room: Room
    client: Client
    service_type: ServiceType

    def booking(self, **overrides) -> dict:
        """Arguments for appointment_book: 50 minutes, in person, in the reserved room."""
        return {
            "therapist": self.therapist,
            "billing_client": self.client,
            "service_type": self.service_type,
            "starts_at": local(2026, 3, 2, 10),
            "attendance": "in-person",
            "room": self.room,
            **overrides,
        }


@pytest.fixture
def clinic(db) -> Clinic:
    therapist = TherapistFactory()
    room = RoomFactory()
    RoomReservationFactory(therapist=therapist, room=room, weekday=0)  # Mondays 09-13
    return Clinic(
        therapist=therapist,
        room=room,
        client=ClientFactory(primary_therapist=therapist),
        service_type=ServiceTypeFactory(),
    )
