"""No double booking under concurrency (docs/quality.md, No double booking): two bookings
racing for one slot on PostgreSQL.

Both pass the Python conflict check before either saves (a barrier holds them there), so
only the exclusion constraint can stop the second; it must surface as the same
ValidationError, naming the appointment that won.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from backoffice.scheduling.models import Appointment
from backoffice.scheduling.services import appointment_book
from backoffice.scheduling.services import booking as services
from tests.factories import RoomReservationFactory, TherapistFactory
from tests.scheduling.conftest import local

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraints exist on PostgreSQL only")


def race(bookings: list[dict], monkeypatch) -> list[tuple[str, object]]:
    """Run each booking in its own thread, all released together after their checks."""
    barrier = threading.Barrier(len(bookings), timeout=15)
    checked = threading.local()
    real_check = services.appointments_overlapping

    def check_then_wait(**kwargs):
        found = real_check(**kwargs)
        if not getattr(checked, "done", False):  # the re-check after a refusal goes on
            checked.done = True
            barrier.wait()
        return found

    monkeypatch.setattr(services, "appointments_overlapping", check_then_wait)
    outcomes: list[tuple[str, object]] = []

    def book(arguments):
        try:
            outcomes.append(("booked", appointment_book(**arguments).appointment.pk))
        except ValidationError as error:
            outcomes.append(("refused", " ".join(error.messages)))
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(arguments,)) for arguments in bookings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_bookings_of_one_therapist_at_once_one_wins(clinic, monkeypatch):
    online = {"attendance": "online", "room": None}
    outcomes = race(
        [
            clinic.booking(starts_at=local(2026, 3, 2, 10), **online),
            clinic.booking(starts_at=local(2026, 3, 2, 10, 20), **online),
        ],
        monkeypatch,
    )
    booked = [value for kind, value in outcomes if kind == "booked"]
    refused = [value for kind, value in outcomes if kind == "refused"]
    assert len(booked) == 1 and len(refused) == 1, outcomes
    assert f"appointment #{booked[0]}" in refused[0]
    assert Appointment.objects.count() == 1


def test_two_therapists_booking_one_room_at_once_one_wins(clinic, monkeypatch):
    colleague = TherapistFactory()
    RoomReservationFactory(therapist=colleague, room=clinic.room, weekday=0)
    outcomes = race(
        [clinic.booking(), clinic.booking(therapist=colleague)],
        monkeypatch,
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["booked", "refused"], outcomes
    refusal = next(value for kind, value in outcomes if kind == "refused")
    assert refusal.startswith("Room ")
    assert Appointment.objects.count() == 1
