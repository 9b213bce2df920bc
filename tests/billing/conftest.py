"""Shared builders for the billing tests: a March 2026 of sessions, direct and indirect."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import (
    AppointmentFactory,
    AuthorizationFactory,
    ClientFactory,
    PayerFactory,
    PayerRateFactory,
    ServiceTypeFactory,
)

MARCH = date(2026, 3, 1)


@pytest.fixture(autouse=True)
def may_2026(time_machine):
    """The billing tests' clock: March 2026's sessions are invoiced, April's payments are in."""
    time_machine.move_to(at(4, 9, month=5))


def at(day: int, hour: int = 10, month: int = 3) -> datetime:
    """A Vancouver time in 2026."""
    return timezone.make_aware(datetime(2026, month, day, hour))


def session_of(
    client, *, day=3, hour=10, month=3, status="completed", authorization=None, **kwargs
):
    """A session of `client` with their primary therapist, in March 2026 unless told."""
    return AppointmentFactory(
        billing_client=client,
        therapist=client.primary_therapist,
        authorization=authorization,
        starts_at=at(day, hour, month),
        status=status,
        **kwargs,
    )


@pytest.fixture
def service_type(db):
    return ServiceTypeFactory()


@pytest.fixture
def payer(service_type):
    payer = PayerFactory(name="Pacific Mutual")
    PayerRateFactory(payer=payer, service_type=service_type, amount=Decimal("150.00"))
    return payer


@pytest.fixture
def authorization(payer):
    return AuthorizationFactory(
        payer=payer, valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)
    )


@pytest.fixture
def direct_client(db):
    return ClientFactory(kind="direct")
