"""Sessions used / billed / remaining per authorization, with the payer's missed-session rules."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.billing.selectors import authorization_usage, authorizations_with_usage
from backoffice.caseload.models import MissedSessionBilling
from backoffice.scheduling.models import AppointmentStatus
from tests.factories import AppointmentFactory, AuthorizationFactory

pytestmark = pytest.mark.django_db

PAYER, CLIENT, NOT_BILLED = (
    MissedSessionBilling.PAYER,
    MissedSessionBilling.CLIENT,
    MissedSessionBilling.NOT_BILLED,
)


MISSED = (AppointmentStatus.LATE_CANCELLED, AppointmentStatus.NO_SHOW)


def sessions(authorization, *statuses, fee=Decimal("75.00")):
    """Sessions of the authorization; missed ones charged `fee` (None: nothing charged)."""
    for status in statuses:
        AppointmentFactory(
            billing_client=authorization.client,
            therapist=authorization.client.primary_therapist,
            authorization=authorization,
            status=status,
            missed_session_fee_amount=fee if status in MISSED else None,
        )


def usage(authorization):
    a = authorization_usage(authorization=authorization)
    return a.sessions_used_count, a.sessions_billed_count, a.sessions_remaining_count


def test_completed_sessions_are_used_scheduled_and_cancelled_ones_are_not():
    authorization = AuthorizationFactory(sessions_approved=10)
    sessions(
        authorization,
        AppointmentStatus.COMPLETED,
        AppointmentStatus.COMPLETED,
        AppointmentStatus.SCHEDULED,
        AppointmentStatus.CANCELLED,
    )
    assert usage(authorization) == (2, 0, 8)


@pytest.mark.parametrize(
    ("late_cancel", "no_show", "used"),
    [
        (NOT_BILLED, NOT_BILLED, 1),
        (PAYER, NOT_BILLED, 2),
        (NOT_BILLED, PAYER, 2),
        (PAYER, PAYER, 3),
    ],
)
def test_missed_sessions_count_only_when_the_payer_pays_for_them(late_cancel, no_show, used):
    authorization = AuthorizationFactory(
        payer__late_cancel_billing=late_cancel, payer__no_show_billing=no_show
    )
    sessions(
        authorization,
        AppointmentStatus.COMPLETED,
        AppointmentStatus.LATE_CANCELLED,
        AppointmentStatus.NO_SHOW,
    )
    assert usage(authorization)[0] == used


def test_a_missed_session_without_a_fee_is_billed_to_nobody_so_not_used():
    """Invoicing bills a missed session only with its fee; usage counts by the same rule."""
    authorization = AuthorizationFactory(
        payer__late_cancel_billing=PAYER, payer__no_show_billing=PAYER
    )
    sessions(authorization, AppointmentStatus.LATE_CANCELLED, AppointmentStatus.NO_SHOW, fee=None)
    assert usage(authorization)[0] == 0


def test_missed_sessions_billed_to_the_client_do_not_use_the_authorization():
    authorization = AuthorizationFactory(
        payer__late_cancel_billing=CLIENT, payer__no_show_billing=CLIENT
    )
    sessions(authorization, AppointmentStatus.LATE_CANCELLED, AppointmentStatus.NO_SHOW)
    assert usage(authorization)[0] == 0


@pytest.mark.parametrize(("cap", "used"), [(None, 4), (0, 1), (1, 2), (2, 3), (5, 4)])
def test_the_payer_caps_missed_sessions_per_authorization(cap, used):
    authorization = AuthorizationFactory(
        payer__late_cancel_billing=PAYER,
        payer__no_show_billing=PAYER,
        payer__missed_sessions_billable_count=cap,
    )
    sessions(
        authorization,
        AppointmentStatus.COMPLETED,
        AppointmentStatus.LATE_CANCELLED,
        AppointmentStatus.NO_SHOW,
        AppointmentStatus.NO_SHOW,
    )
    assert usage(authorization)[0] == used


def test_remaining_never_goes_below_zero():
    authorization = AuthorizationFactory(sessions_approved=1)
    sessions(authorization, AppointmentStatus.COMPLETED, AppointmentStatus.COMPLETED)
    assert usage(authorization) == (2, 0, 0)


def test_sessions_on_another_authorization_are_not_counted():
    authorization = AuthorizationFactory(sessions_approved=5)
    other = AuthorizationFactory(client=authorization.client)
    sessions(other, AppointmentStatus.COMPLETED)
    assert usage(authorization) == (0, 0, 5)


def test_usage_of_many_authorizations_is_one_query():
    for _ in range(5):
        sessions(AuthorizationFactory(), AppointmentStatus.COMPLETED)
    with CaptureQueriesContext(connection) as queries:
        rows = list(authorizations_with_usage())
    assert len(queries) == 1
    assert [a.sessions_used_count for a in rows] == [1] * 5
