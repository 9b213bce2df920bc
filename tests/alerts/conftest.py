import pytest
import time_machine
from django.utils import timezone

from backoffice.scheduling.models import AppointmentStatus
from tests.factories import AppointmentFactory, AuthorizationFactory, TherapistFactory


@pytest.fixture(autouse=True)
def wednesday_morning():
    """Alerts read today: a fixed Vancouver morning, mid-month (Wednesday 18 November 2026)."""
    with time_machine.travel("2026-11-18 09:00 -07:00", tick=False):
        yield


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def therapist(db):
    return TherapistFactory()


def completed(authorization, count):
    """`count` completed sessions under the authorization (before today); the last one."""
    appointment = None
    for _ in range(count):
        appointment = AppointmentFactory(
            billing_client=authorization.client,
            therapist=authorization.client.primary_therapist,
            authorization=authorization,
            status=AppointmentStatus.COMPLETED,
        )
    return appointment


def with_sessions_left(therapist, left, approved=5, **fields):
    """An authorization of one of the therapist's clients, in force for two more months,
    with `left` of its `approved` sessions left."""
    authorization = AuthorizationFactory(
        client__primary_therapist=therapist, sessions_approved=approved, **fields
    )
    completed(authorization, approved - left)
    return authorization
