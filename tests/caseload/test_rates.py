"""Money is Decimal; rates are effective-dated so a later change never rewrites a past month."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from backoffice.caseload.models import FeeKind, ServiceKind, TherapistRate
from backoffice.caseload.selectors import payer_rate_in_force, therapist_rate_in_force
from tests.factories import (
    PayerRateFactory,
    ServiceTypeFactory,
    TherapistFactory,
    TherapistRateFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    return ServiceTypeFactory()


@pytest.fixture
def assessment():
    return ServiceTypeFactory(code="assessment", name="Assessment", kind=ServiceKind.ASSESSMENT)


def test_a_later_rate_does_not_change_an_earlier_month(session):
    therapist = TherapistFactory()
    TherapistRateFactory(
        therapist=therapist, effective_from=date(2026, 1, 1), session_price_amount=Decimal("120.00")
    )
    TherapistRateFactory(
        therapist=therapist, effective_from=date(2026, 6, 1), session_price_amount=Decimal("130.00")
    )
    march = therapist_rate_in_force(therapist=therapist, service_type=session, on=date(2026, 3, 15))
    june = therapist_rate_in_force(therapist=therapist, service_type=session, on=date(2026, 6, 1))
    assert march.session_price_amount == Decimal("120.00")
    assert june.session_price_amount == Decimal("130.00")
    assert (
        therapist_rate_in_force(therapist=therapist, service_type=session, on=date(2025, 12, 31))
        is None
    )


def test_a_service_specific_rate_beats_the_general_one(session, assessment):
    therapist = TherapistFactory()
    TherapistRateFactory(
        therapist=therapist, effective_from=date(2026, 5, 1), session_price_amount=Decimal("125.00")
    )
    TherapistRateFactory(
        therapist=therapist,
        service_type=assessment,
        effective_from=date(2026, 1, 1),
        session_price_amount=Decimal("200.00"),
    )
    on = date(2026, 6, 1)
    assert therapist_rate_in_force(
        therapist=therapist, service_type=assessment, on=on
    ).session_price_amount == Decimal("200.00")
    assert therapist_rate_in_force(
        therapist=therapist, service_type=session, on=on
    ).session_price_amount == Decimal("125.00")


@pytest.mark.parametrize(
    ("kind", "value", "fee", "net"),
    [
        (FeeKind.PERCENT, Decimal("30.00"), Decimal("36.00"), Decimal("84.00")),
        (FeeKind.PERCENT, Decimal("33.33"), Decimal("40.00"), Decimal("80.00")),
        (FeeKind.FLAT, Decimal("25.50"), Decimal("25.50"), Decimal("94.50")),
    ],
)
def test_service_fee_flat_or_percent_in_exact_cents(kind, value, fee, net):
    rate = TherapistRate(
        session_price_amount=Decimal("120.00"), service_fee_kind=kind, service_fee_value=value
    )
    assert rate.service_fee_amount() == fee
    assert rate.net_amount() == net
    assert isinstance(rate.net_amount(), Decimal)


def test_money_round_trips_as_decimal_cents():
    rate = TherapistRateFactory(session_price_amount=Decimal("0.10") + Decimal("0.20"))
    rate.refresh_from_db()
    assert rate.session_price_amount == Decimal("0.30")
    assert isinstance(rate.session_price_amount, Decimal)


def test_a_percent_fee_above_100_is_refused():
    rate = TherapistRateFactory.build(
        therapist=TherapistFactory(), service_fee_value=Decimal("120")
    )
    with pytest.raises(ValidationError):
        rate.full_clean()
    with pytest.raises(IntegrityError):
        rate.save()


def test_one_general_rate_per_therapist_per_day():
    rate = TherapistRateFactory()
    with pytest.raises(IntegrityError):
        TherapistRateFactory(therapist=rate.therapist, effective_from=rate.effective_from)


def test_payer_rate_in_force_on_the_session_date(session):
    old = PayerRateFactory(
        service_type=session, effective_from=date(2026, 1, 1), amount=Decimal("150.00")
    )
    PayerRateFactory(
        payer=old.payer,
        service_type=session,
        effective_from=date(2026, 9, 1),
        amount=Decimal("165.00"),
    )
    rate = payer_rate_in_force(payer_id=old.payer_id, service_type=session, on=date(2026, 8, 31))
    assert rate.amount == Decimal("150.00")
    rate = payer_rate_in_force(payer_id=old.payer_id, service_type=session, on=date(2026, 9, 1))
    assert rate.amount == Decimal("165.00")
