import pytest
import time_machine

from tests.factories import TherapistFactory, UserFactory


@pytest.fixture(autouse=True)
def wednesday_morning():
    """A fixed Vancouver morning, mid-month (Wednesday 18 November 2026, 09:00)."""
    with time_machine.travel("2026-11-18 09:00 -07:00", tick=False):
        yield


@pytest.fixture
def therapist(db):
    return TherapistFactory()


@pytest.fixture
def colleague(db):
    return UserFactory(is_staff=True, first_name="Nadia", last_name="Haddad")
